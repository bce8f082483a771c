"""Parsing of the date forms people type (CLI, Excel ledgers, the pages) and ISO weeks, with Chinese errors.

One parser for every door: ``parse_date`` and ``parse_datetime`` accept 2019-11-14, 2019/11/14,
2019.11.14, 2019年11月14日, 11月14日 / 11-14 (with the ``year`` the caller knows, e.g. from the
ledger's title), Excel date serials (43783) and date/datetime cells; a time (09:30, 9时30分) may follow.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta

_DATE_FORMS = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),  # 20191114
)
# A month and day without a year: the year comes from the caller (the ledger's title, or asked).
_MONTH_DAY = (
    re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})$"),
)
_TIME = re.compile(r"^(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*分?(?:\s*[:：]\s*(\d{1,2})\s*秒?)?$")
_SPLIT_TIME = re.compile(r"^(.*?[日号\d])\s*(?:[T ]|(?=\d{1,2}\s*[:：时点]))\s*(\d{1,2}\s*[:：时点].*)$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_YEAR_IN_TEXT = re.compile(r"((?:19|20)\d{2})\s*年")
# Excel's date serials (1900 system): 1 is 1900-01-01, 2958465 is 9999-12-31; 0 and fractions are times only.
MIN_SERIAL, MAX_SERIAL = 1, 2958465
FORMS_HINT = "2019-11-14、2019/11/14、2019.11.14 或 2019年11月14日"


class DateFormatError(ValueError):
    """A date or week the user typed could not be understood; the message is Chinese."""


def _number_text(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def from_excel_serial(value: int | float) -> datetime:
    """An Excel date serial number as a datetime, or DateFormatError (out of range, time only, NaN)."""
    from openpyxl.utils.datetime import from_excel

    if not math.isfinite(value):
        raise DateFormatError(f"“{value}”不是有效的日期")
    if value < MIN_SERIAL:
        raise DateFormatError(f"“{_number_text(value)}”不是有效的 Excel 日期（只有时间或早于 1900-01-01），"
                              "请填写 2019-11-14 这样的日期")
    if value > MAX_SERIAL:
        raise DateFormatError(f"“{_number_text(value)}”超出 Excel 日期范围（最晚 9999-12-31），请填写 2019-11-14 这样的日期")
    try:
        result = from_excel(value)
    except (ValueError, OverflowError, TypeError):
        raise DateFormatError(f"“{_number_text(value)}”不是有效的 Excel 日期") from None
    if not isinstance(result, datetime):
        raise DateFormatError(f"“{_number_text(value)}”不是有效的 Excel 日期")
    return result


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def year_in_text(*texts: str | None) -> int | None:
    """The first year written as 2019年 in ``texts`` (a ledger's title rows, its sheet name), if any."""
    for text in texts:
        m = _YEAR_IN_TEXT.search(str(text or ""))
        if m:
            return int(m[1])
    return None


def parse_date(value: str | date | datetime | int | float, *, year: int | None = None) -> date:
    """A day from what people type or a spreadsheet holds; ``year`` completes 11月14日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        raise DateFormatError(f"“{value:%H:%M}”只有时间，没有日期，请填写 2019-11-14 这样的日期")
    if _is_number(value):
        return from_excel_serial(value).date()
    text = str(value).strip()
    if text.isdigit() and len(text) == 5:  # a serial stored as text (1927–2173)
        return from_excel_serial(int(text)).date()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            return _day(int(m[1]), int(m[2]), int(m[3]), text)
    for form in _MONTH_DAY:
        m = form.match(text)
        if m:
            if year is None:
                raise DateFormatError(f"“{text}”没有年份，请填写年份（如 2019年{m[1]}月{m[2]}日），或在导入时指定年份")
            return _day(year, int(m[1]), int(m[2]), text)
    raise DateFormatError(f"无法识别的日期“{text}”，请使用 {FORMS_HINT} 格式")


def _day(y: int, m: int, d: int, text: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise DateFormatError(f"无法识别的日期“{text}”：{y} 年没有 {m} 月 {d} 日") from None


def parse_datetime(value, *, year: int | None = None) -> datetime:
    """A moment: a day as ``parse_date`` reads it, optionally followed by a time (09:30, 9:30:15, 9时30分)."""
    if isinstance(value, datetime):
        try:  # Excel stores times as fractions of a day: round to the second
            return (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        except OverflowError:  # 9999-12-31 23:59:59.5 rounds past the last datetime
            return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    if isinstance(value, time):
        raise DateFormatError(f"“{value:%H:%M}”只有时间，没有日期，请填写 2019-11-14 09:30 这样的时间")
    if _is_number(value):
        return parse_datetime(from_excel_serial(value))
    text = " ".join(str(value).split())
    m = _SPLIT_TIME.match(text)
    day_part, time_part = (m[1], m[2]) if m else (text, "")
    day = parse_date(day_part, year=year)
    if not time_part:
        return datetime.combine(day, time.min)
    t = _TIME.match(time_part.strip())
    if not t:
        raise DateFormatError(f"无法识别的时间“{text}”，请使用 2019-11-14 09:30 这样的格式")
    try:
        return datetime.combine(day, time(int(t[1]), int(t[2] or 0), int(t[3] or 0)))
    except ValueError:
        raise DateFormatError(f"无法识别的时间“{text}”") from None


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
