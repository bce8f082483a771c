"""Parsing of the date forms people type (CLI, Excel ledgers) and ISO weeks, with Chinese errors."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class DateFormatError(ValueError):
    """A date or week the user typed could not be understood; the message is Chinese."""


def parse_date(value: str | date | datetime) -> date:
    """Accept 2019-11-14, 2019/11/14, 2019.11.14 and 2019年11月14日 (and date/datetime objects)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise DateFormatError(f"无法识别的日期“{text}”，请使用 2019-11-14、2019/11/14 或 2019年11月14日 格式")


def parse_iso_week(value: str) -> tuple[date, date]:
    """'2019-W46' → (Monday, Sunday) of that ISO week."""
    text = str(value).strip()
    m = _WEEK.match(text)
    if not m:
        raise DateFormatError(f"无法识别的周次“{text}”，请使用 2019-W46 这样的 ISO 周格式")
    year, week = int(m[1]), int(m[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise DateFormatError(f"{year} 年没有第 {week} 周（ISO 周次为 1–{iso_weeks_in_year(year)}）") from None
    return monday, monday + timedelta(days=6)


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_weeks_in_year(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]
