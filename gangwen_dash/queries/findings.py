"""Findings (问题) aggregated for the cockpit, the rectification analysis and the weekly pack.

Definitions follow ``gangwen_dash.queries.kpis`` exactly (period semantics, "closed by the period's
end", overdue via ``kpis.overdue_condition``), so every figure here adds up to the KPI cards:
``by_category(...).findings.sum() == kpis(...).findings`` and ``len(overdue_list(as_of=end))`` equals
``kpis(...).findings_overdue``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import Finding, InspectionGroup, Site, Street
from gangwen_dash.queries.kpis import overdue_condition
from gangwen_dash.queries.scope import scoped
from gangwen_dash.queries.sqlfuncs import no_index

BY_CATEGORY_COLUMNS = ["category", "label", "findings", "closed", "overdue"]
BY_STREET_COLUMNS = ["street_id", "street", "findings", "closed", "overdue"]
OVERDUE_COLUMNS = ["finding_id", "site", "street", "group", "category", "severity", "description",
                   "responsible_unit", "due_date", "days_overdue"]


def category_label(category: str) -> str:
    """"S2 物料堆放100%覆盖" for checklist items, the category itself otherwise."""
    item = domain.CHECKLIST_ITEMS.get(category)
    return f"{category} {item}" if item else category


def _sum(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _period_counts(period: Period):
    """(found, closed by end, overdue as of end) expressions over findings found in ``period``."""
    closed_by_end = and_(Finding.closed_at.is_not(None), Finding.closed_at < period.end_dt)
    return func.count(), _sum(closed_by_end), _sum(overdue_condition(period.end))


def _in_period(stmt, period: Period):
    return stmt.where(Finding.found_at >= period.start_dt, Finding.found_at < period.end_dt)


def by_category(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Findings of the period per category (in ``domain.FINDING_CATEGORIES`` order; only categories found).

    ``closed``: of those, closed by the period's end; ``overdue``: of those, overdue as of the period's end.
    """
    stmt = _in_period(select(Finding.category, *_period_counts(period)), period).group_by(Finding.category)
    rows = session.execute(scoped(stmt, Finding, filters)).all()
    order = {c: i for i, c in enumerate(domain.FINDING_CATEGORIES)}
    data = [(c, category_label(c), int(n), int(closed), int(overdue))
            for c, n, closed, overdue in sorted(rows, key=lambda r: order.get(r[0], len(order)))]
    return pd.DataFrame(data, columns=BY_CATEGORY_COLUMNS)


def by_street(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Findings of the period per street of the site (only streets with findings), most findings first.

    Counted per site first (one range scan of the found_at covering index), then summed per street.
    """
    site = no_index(Finding.site_id)  # keep SQLite on the found_at range (not a skip-scan by site)
    per_site = _in_period(select(site.label("site_id"), *(
        c.label(n) for c, n in zip(_period_counts(period), ("n", "closed", "overdue"), strict=True)
    )), period).group_by(site)
    if filters.group_id is not None:
        per_site = per_site.where(Finding.group_id == filters.group_id)
    per_site = per_site.subquery()
    stmt = (
        select(Street.id, Street.name, func.sum(per_site.c.n), func.sum(per_site.c.closed),
               func.sum(per_site.c.overdue))
        .select_from(per_site)
        .join(Site, Site.id == per_site.c.site_id)
        .join(Street, Street.id == Site.street_id)
        .group_by(Street.id, Street.name)
    )
    if filters.street_id is not None:
        stmt = stmt.where(Site.street_id == filters.street_id)
    rows = session.execute(stmt).all()
    data = [(int(i), name, int(n), int(c), int(o)) for i, name, n, c, o in rows]
    df = pd.DataFrame(data, columns=BY_STREET_COLUMNS)
    return df.sort_values(["findings", "street_id"], ascending=[False, True], ignore_index=True)


def overdue_list(session: Session, as_of: date, filters: Filters = Filters(),
                 limit: int | None = None) -> pd.DataFrame:
    """Findings overdue as of the end of ``as_of`` (``kpis.overdue_condition``), longest overdue first.

    ``days_overdue`` = ``as_of - due_date`` in days (due yesterday and still open: 1). Read as two
    disjoint parts — open now (the partial ``ix_findings_open_due_id`` index, in deadline order) and closed
    after ``as_of`` (``ix_findings_closed_at``) — each limited, then merged.
    """
    from gangwen_dash.queries.scope import findings_off_index

    end = datetime.combine(as_of + timedelta(days=1), time.min)
    base = (
        select(Finding.id, Finding.site_id, Finding.group_id, Finding.category, Finding.severity,
               Finding.description, Finding.responsible_unit, Finding.due_date)
        .where(no_index(Finding.found_at) < end, Finding.due_date < as_of)
        .order_by(Finding.due_date, Finding.id)
    )
    rows = []
    for part in (Finding.closed_at.is_(None), Finding.closed_at >= end):
        stmt = findings_off_index(base.where(part), filters)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows += session.execute(stmt).all()
    rows.sort(key=lambda r: (_as_date(r[7]), r[0]))
    if limit is not None:
        rows = rows[:limit]
    # Names for the (at most ``limit``) rows shown, looked up by primary key.
    site_ids = sorted({r[1] for r in rows})
    sites = {}
    for chunk in range(0, len(site_ids), 500):
        sites.update({i: (site, street) for i, site, street in session.execute(
            select(Site.id, Site.name, Street.name).join(Street, Street.id == Site.street_id)
            .where(Site.id.in_(site_ids[chunk:chunk + 500])))})
    groups = dict(session.execute(select(InspectionGroup.id, InspectionGroup.name)).all())
    data = [(r[0], *sites[r[1]], groups[r[2]], *r[3:7], _as_date(r[7]), (as_of - _as_date(r[7])).days)
            for r in rows]
    return pd.DataFrame(data, columns=OVERDUE_COLUMNS)


def overdue_count(session: Session, as_of: date, filters: Filters = Filters()) -> int:
    """Number of rows ``overdue_list`` would return without a limit (fast: ``queries.rollup``)."""
    from gangwen_dash.queries import rollup

    return rollup.overdue_count(session, as_of, filters)


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
