"""Inspections (督查) aggregated for the cockpit and the weekly pack: weekly trend, group comparison.

Same period semantics and filters as ``gangwen_dash.queries.kpis``; the sums of these tables equal
the KPI cards (``weekly_trend(...).inspections.sum() == kpis(...).inspections`` and so on).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gangwen_dash.domain.dates import iso_week_label
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import Finding, Inspection, InspectionGroup, inspection_members
from gangwen_dash.queries.scope import scoped

WEEKLY_COLUMNS = ["week", "week_start", "inspections", "findings"]
GROUP_COLUMNS = ["group_id", "group", "inspections", "member_participations", "findings", "closed", "closure_rate"]


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def daily_counts(session: Session, period: Period, filters: Filters = Filters()) -> dict[date, tuple[int, int]]:
    """{day: (inspections, findings)} for the days of ``period`` that have any.

    Read from the daily rollups (``queries.rollup``), which carry the group and the street.
    """
    from gangwen_dash.queries import rollup

    return rollup.daily_counts(session, period, filters)


def weeks_of(period: Period) -> list[date]:
    """Mondays of the ISO weeks that overlap ``period``."""
    monday = period.start - timedelta(days=period.start.weekday())
    weeks = []
    while monday <= period.end:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def weekly_trend(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Inspections and findings per ISO week overlapping ``period`` (zero weeks included).

    Only days inside the period count, so a period that starts or ends mid-week has partial edge weeks
    and the columns sum to the period's KPI figures.
    """
    counts = {monday: [0, 0] for monday in weeks_of(period)}
    for day, (n_insp, n_find) in daily_counts(session, period, filters).items():
        monday = day - timedelta(days=day.weekday())
        counts[monday][0] += n_insp
        counts[monday][1] += n_find
    data = [(iso_week_label(m), m, v[0], v[1]) for m, v in counts.items()]
    return pd.DataFrame(data, columns=WEEKLY_COLUMNS)


def group_comparison(session: Session, period: Period, street_id: int | None = None) -> pd.DataFrame:
    """Per inspection group (all groups, in display order): inspections, member participations,
    findings, closed (by the period's end) and closure rate (closed / findings, NaN when none)."""
    filters = Filters(street_id=street_id)
    if street_id is None:
        from gangwen_dash.queries import rollup

        by_group = rollup.group_inspections(session, period)
        insp = {g: v[0] for g, v in by_group.items()}
        parts = {g: v[1] for g, v in by_group.items()}
    else:
        insp, parts = _group_inspections_live(session, period, filters)
    closed_by_end = and_(Finding.closed_at.is_not(None), Finding.closed_at < period.end_dt)
    find_stmt = (
        select(Finding.group_id, func.count(), func.coalesce(func.sum(case((closed_by_end, 1), else_=0)), 0))
        .where(Finding.found_at >= period.start_dt, Finding.found_at < period.end_dt)
        .group_by(Finding.group_id)
    )
    finds = {g: (int(n), int(c)) for g, n, c in session.execute(scoped(find_stmt, Finding, filters))}
    groups = session.execute(
        select(InspectionGroup.id, InspectionGroup.name).order_by(InspectionGroup.sort_order, InspectionGroup.id)
    ).all()
    data = []
    for gid, name in groups:
        n, c = finds.get(gid, (0, 0))
        data.append((gid, name, int(insp.get(gid, 0)), int(parts.get(gid, 0)), n, c,
                     round(c / n, 4) if n else float("nan")))
    return pd.DataFrame(data, columns=GROUP_COLUMNS)



def _group_inspections_live(session: Session, period: Period, filters: Filters) -> tuple[dict, dict]:
    in_period = and_(Inspection.inspected_at >= period.start_dt, Inspection.inspected_at < period.end_dt)
    insp = dict(session.execute(
        scoped(select(Inspection.group_id, func.count()).where(in_period).group_by(Inspection.group_id),
                Inspection, filters)
    ).all())
    part_stmt = (
        select(Inspection.group_id, func.count())
        .select_from(inspection_members)
        .join(Inspection, Inspection.id == inspection_members.c.inspection_id)
        .where(in_period)
        .group_by(Inspection.group_id)
    )
    parts = dict(session.execute(scoped(part_stmt, Inspection, filters)).all())
    return insp, parts


def years_with_data(session: Session) -> list[int]:
    """Calendar years with at least one inspection, newest first (from the daily rollup)."""
    from gangwen_dash.models import InspectionDay

    year = func.extract("year", InspectionDay.day)
    rows = session.execute(select(year).where(InspectionDay.inspections > 0).group_by(year)).scalars()
    return sorted((int(y) for y in rows), reverse=True)
