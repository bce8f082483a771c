"""Everything the 驾驶舱 page shows, in one call (the page caches it; the benchmark times it uncached).

- KPIs of the period, of the previous period of the same length (环比) and year to date (年累计);
- the weekly trend over ``trend_window(period)`` (at least the 12 ISO weeks ending with the period);
- findings by category and by street, the group comparison;
- the overdue list as of the period's end (the longest ``overdue_limit`` rows) and its full length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy.orm import Session

from gangwen_dash.queries import findings, inspections
from gangwen_dash.queries.kpis import Filters, Period, kpis

TREND_WEEKS = 12
OVERDUE_LIMIT = 100


@dataclass(frozen=True)
class CockpitData:
    period: Period
    previous: Period
    ytd: Period
    trend_period: Period
    kpis: dict
    kpis_previous: dict
    kpis_ytd: dict
    trend: pd.DataFrame
    by_category: pd.DataFrame
    by_street: pd.DataFrame
    groups: pd.DataFrame
    overdue: pd.DataFrame
    overdue_total: int


def trend_window(period: Period, weeks: int = TREND_WEEKS) -> Period:
    """The period itself when it spans ``weeks`` ISO weeks or more, else the ``weeks`` weeks ending with it."""
    monday = period.end - timedelta(days=period.end.weekday())
    start = monday - timedelta(weeks=weeks - 1)
    return period if period.start <= start else Period(start, period.end)


def cockpit(session: Session, period: Period, filters: Filters = Filters(),
            overdue_limit: int = OVERDUE_LIMIT) -> CockpitData:
    previous, ytd, trend_period = period.previous(), period.year_to_date(), trend_window(period)
    current = kpis(session, period, filters).as_dict()
    return CockpitData(
        period=period,
        previous=previous,
        ytd=ytd,
        trend_period=trend_period,
        kpis=current,
        kpis_previous=kpis(session, previous, filters).as_dict(),
        kpis_ytd=kpis(session, ytd, filters).as_dict() if ytd != period else current,
        trend=inspections.weekly_trend(session, trend_period, filters),
        by_category=findings.by_category(session, period, filters),
        by_street=findings.by_street(session, period, filters),
        groups=inspections.group_comparison(session, period, filters.street_id),
        overdue=findings.overdue_list(session, period.end, filters, limit=overdue_limit),
        overdue_total=current["findings_overdue"],
    )
