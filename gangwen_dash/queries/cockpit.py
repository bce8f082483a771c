"""Everything the 驾驶舱 page shows, in one call (the page caches it; the benchmark times it uncached).

- KPIs of the period, of the previous period of the same length (环比) and year to date (年累计): the
  card figures (``rollup.CARD_KEYS``, equal to ``kpis()``'s) plus, for the period, ``kpis.other_counts``;
- the weekly trend over ``trend_window(period)`` (at least the 12 ISO weeks ending with the period);
- findings by category and by street, the group comparison;
- the overdue list as of the period's end (the longest ``overdue_limit`` rows) and its full length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy.orm import Session

from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries import findings, inspections, rollup
from gangwen_dash.queries.kpis import other_counts

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
    # One pass over the period's findings by group × street × category (street filter only): the cards,
    # the category and street charts and the group comparison all come from it.
    tally = rollup.tallies(session, period, Filters(street_id=filters.street_id))
    mine = rollup.of_group(tally, filters.group_id)
    current = {**rollup.card_figures(session, period, filters, tally=mine), **other_counts(session, period)}
    parts = rollup.breakdowns(session, period, filters, tally=tally)
    return CockpitData(
        period=period,
        previous=previous,
        ytd=ytd,
        trend_period=trend_period,
        kpis=current,
        kpis_previous=rollup.card_figures(session, previous, filters),
        kpis_ytd=_ytd(session, period, ytd, filters, current, mine) if ytd != period else current,
        trend=inspections.weekly_trend(session, trend_period, filters),
        by_category=parts.by_category,
        by_street=parts.by_street,
        groups=parts.groups,
        overdue=findings.overdue_list(session, period.end, filters, limit=overdue_limit),
        overdue_total=current["findings_overdue"],
    )


def _ytd(session: Session, period: Period, ytd: Period, filters: Filters, current: dict, tally: dict) -> dict:
    """Year-to-date card figures. The year to date ends with the period, so the overdue backlog is the
    same; when it starts before the period, its findings are the period's (``tally``: the period's, with
    these filters) plus those of the days before it as of the period's end, which mostly lie before the
    last ``SETTLE_DAYS`` and come from the rollups (no second live pass over the period's last days)."""
    if ytd.start > period.start:  # a period reaching back into the previous year
        findings = rollup.finding_summary(session, ytd, filters, with_overdue=False)
    else:
        before = rollup.tallies(session, Period(ytd.start, period.start - timedelta(days=1)), filters,
                                keyed=False, as_of=period.end)
        findings = rollup.finding_summary(session, ytd, filters, with_overdue=False, tally={**tally, **before})
    return {**rollup.inspection_summary(session, ytd, filters), **findings,
            "findings_overdue": current["findings_overdue"]}
