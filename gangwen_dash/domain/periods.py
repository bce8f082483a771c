"""Periods and filters: the span a figure is read over (``Period``, both ends inclusive), the group/street
scope (``Filters``), named periods (本周/本月/本年/自定义) and their compact URL form.

URL form of a period (``?period=…``): ``2019-W46`` (ISO week), ``2019-11`` (month), ``2019`` (year) or
``2019-11-01..2019-11-30`` (custom range). The same string is used by the CLI and the weekly pack.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from gangwen_dash.domain.dates import DateFormatError, iso_week_label, parse_date, parse_iso_week


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError("开始日期不能晚于结束日期")

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def end_dt(self) -> datetime:
        """Exclusive upper bound: the first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (for 环比)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_to_date(self) -> Period:
        """From 1 January of the end's year to the end (年累计)."""
        return Period(date(self.end.year, 1, 1), self.end)


@dataclass(frozen=True)
class Filters:
    group_id: int | None = None
    street_id: int | None = None


MODES = {"week": "本周", "month": "本月", "year": "本年", "custom": "自定义"}

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class NamedPeriod:
    mode: str
    period: Period
    token: str  # the URL form

    @property
    def label(self) -> str:
        p = self.period
        if self.mode == "week":
            year, week, _ = p.start.isocalendar()
            return f"{year}年第{week}周（{p.start:%m月%d日}—{p.end:%m月%d日}）"
        if self.mode == "month":
            return f"{p.start.year}年{p.start.month}月"
        if self.mode == "year":
            return f"{p.start.year}年"
        return f"{p.start:%Y-%m-%d} 至 {p.end:%Y-%m-%d}"

    def year_so_far(self) -> Period:
        """The span a yearly line of work (livelihood projects, proposals) is read over: for a week or a month,
        1 January to the period's end (a week alone holds almost none of them and would show zeros); a year
        or a custom range as chosen."""
        return self.period.year_to_date() if self.mode in ("week", "month") else self.period

    def year_so_far_label(self) -> str:
        """What ``year_so_far`` counts, for a page caption."""
        scope = self.year_so_far()
        if scope == self.period:
            return "本时期"
        return f"{scope.start:%Y年%m月%d日}至{scope.end:%m月%d日}（本期所在年份累计）"


def week_of(day: date) -> NamedPeriod:
    monday = day - timedelta(days=day.weekday())
    return NamedPeriod("week", Period(monday, monday + timedelta(days=6)), iso_week_label(day))


def month_of(day: date) -> NamedPeriod:
    last = calendar.monthrange(day.year, day.month)[1]
    return NamedPeriod("month", Period(date(day.year, day.month, 1), date(day.year, day.month, last)),
                       f"{day.year}-{day.month:02d}")


def year_of(day: date) -> NamedPeriod:
    return NamedPeriod("year", Period(date(day.year, 1, 1), date(day.year, 12, 31)), str(day.year))


def custom(start: date, end: date) -> NamedPeriod:
    if start > end:
        raise DateFormatError("开始日期不能晚于结束日期")
    return NamedPeriod("custom", Period(start, end), f"{start.isoformat()}..{end.isoformat()}")


def parse_token(token: str) -> NamedPeriod:
    """Parse the URL form; raises DateFormatError with a Chinese message."""
    text = (token or "").strip()
    if "W" in text.upper():
        monday, _ = parse_iso_week(text)
        return week_of(monday)
    if ".." in text:
        a, b = text.split("..", 1)
        return custom(parse_date(a), parse_date(b))
    m = _MONTH.match(text)
    if m and 1 <= int(m[2]) <= 12:
        return month_of(date(int(m[1]), int(m[2]), 1))
    m = _YEAR.match(text)
    if m and 1900 < int(m[1]) < 2200:
        return year_of(date(int(m[1]), 1, 1))
    raise DateFormatError(f"无法识别的时期“{text}”，示例：2019-W46、2019-11、2019 或 2019-11-01..2019-11-30")
