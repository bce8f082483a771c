"""督查整改 analysis: funnel, outcome mix, re-check failures, repeat problems, days to close by unit.

Population: findings found in the period (filters as in ``kpis``); every state is judged as of the
period's end (``period.end_dt``), so a past period keeps its figures however much data came later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Float, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import Finding, FindingEvent, Site, Street
from gangwen_dash.queries.findings import category_label
from gangwen_dash.queries.kpis import overdue_condition
from gangwen_dash.queries.scope import scoped
from gangwen_dash.queries.sqlfuncs import as_date

FUNNEL_STAGES = ("发现问题", "已交办", "已回复", "已销号")
OUTCOMES = ("按期整改", "超期整改", "逾期未整改", "整改期内")
REPEAT_WINDOW_DAYS = 90

FUNNEL_COLUMNS = ["stage", "findings", "share"]
OUTCOME_COLUMNS = ["outcome", "findings", "share"]
REPEAT_COLUMNS = ["site_id", "site", "street", "category", "label", "repeats", "last_found"]
UNIT_COLUMNS = ["responsible_unit", "findings", "closed", "avg_days_to_close", "overdue"]


class days_between(FunctionElement):
    """Fractional days from the first timestamp to the second (both engines)."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_pg(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({b}) - ({a})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({b}) - julianday({a}))"


def _sum(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _found_in(period: Period):
    return and_(Finding.found_at >= period.start_dt, Finding.found_at < period.end_dt)


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else float("nan")


def funnel(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """发现 → 交办 → 回复 → 销号 as of the period's end; each stage includes those that went further."""
    end = period.end_dt
    closed = and_(Finding.closed_at.is_not(None), Finding.closed_at < end)
    replied = or_(closed, and_(Finding.replied_at.is_not(None), Finding.replied_at < end))
    handed = or_(replied, and_(Finding.handed_over_at.is_not(None), Finding.handed_over_at < end))
    stmt = select(func.count(), _sum(handed), _sum(replied), _sum(closed)).where(_found_in(period))
    counts = [int(v) for v in session.execute(scoped(stmt, Finding, filters)).one()]
    return pd.DataFrame([(s, n, _share(n, counts[0])) for s, n in zip(FUNNEL_STAGES, counts, strict=True)],
                        columns=FUNNEL_COLUMNS)


def outcomes(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Outcome of the period's findings as of its end (they add up to the findings):

    按期整改: closed, accepted reply on or before the original deadline · 超期整改: closed, reply later ·
    逾期未整改: open and overdue (``kpis.overdue_condition``) · 整改期内: open, deadline not yet passed.
    """
    end = period.end_dt
    closed = and_(Finding.closed_at.is_not(None), Finding.closed_at < end)
    on_time = and_(closed, as_date(Finding.replied_at) <= Finding.first_due_date)
    overdue = overdue_condition(period.end)
    stmt = select(func.count(), _sum(closed), _sum(on_time), _sum(overdue)).where(_found_in(period))
    total, n_closed, n_on_time, n_overdue = (int(v) for v in session.execute(scoped(stmt, Finding, filters)).one())
    counts = (n_on_time, n_closed - n_on_time, n_overdue, total - n_closed - n_overdue)
    return pd.DataFrame([(o, n, _share(n, total)) for o, n in zip(OUTCOMES, counts, strict=True)],
                        columns=OUTCOME_COLUMNS)


def recheck_failures(session: Session, period: Period, filters: Filters = Filters()) -> dict:
    """Re-checks (复查) made by the period's end on the period's findings, from the lifecycle events.

    ``rechecks``: 复查通过 + 复查未通过 events; ``failed``: 复查未通过; ``rate``: failed / rechecks (None if none);
    ``findings_failed``: findings with at least one failed re-check.
    """
    failed = FindingEvent.action == "复查未通过"
    stmt = (
        select(func.count(), _sum(failed), func.count(func.distinct(case((failed, FindingEvent.finding_id)))))
        .select_from(FindingEvent)
        .join(Finding, Finding.id == FindingEvent.finding_id)
        .where(_found_in(period), FindingEvent.action.in_(("复查通过", "复查未通过")),
               FindingEvent.at < period.end_dt)
    )
    total, n_failed, findings_failed = (int(v or 0) for v in session.execute(scoped(stmt, Finding, filters)).one())
    return {"rechecks": total, "failed": n_failed, "findings_failed": findings_failed,
            "rate": round(n_failed / total, 4) if total else None}


def repeat_sites(session: Session, period: Period, filters: Filters = Filters(),
                 window_days: int = REPEAT_WINDOW_DAYS) -> pd.DataFrame:
    """Sites where a problem of the same category was found again within ``window_days``.

    A repeat is a finding of the period whose site had a finding of the same category, from an earlier
    inspection, in the ``window_days`` before it (which may lie before the period). One row per site and
    category: ``repeats`` = such findings in the period, ``last_found`` = the latest one. Most repeats first.
    """
    earlier = aliased(Finding)
    # The per-row window is days_between(...) <= window; the constant lower bound lets the
    # (site_id, found_at) index narrow the search.
    prior = (
        select(earlier.id)
        .where(
            earlier.site_id == Finding.site_id,
            earlier.category == Finding.category,
            earlier.inspection_id != Finding.inspection_id,
            earlier.found_at < Finding.found_at,
            days_between(earlier.found_at, Finding.found_at) <= window_days,
            earlier.found_at >= period.start_dt - timedelta(days=window_days),
        )
        .exists()
    )
    stmt = (
        select(Finding.site_id, Site.name, Street.name, Finding.category, func.count(), func.max(Finding.found_at))
        .select_from(Finding)
        .join(Site, Site.id == Finding.site_id)
        .join(Street, Street.id == Site.street_id)
        .where(_found_in(period), prior)
        .group_by(Finding.site_id, Site.name, Street.name, Finding.category)
    )
    rows = session.execute(scoped(stmt, Finding, filters)).all()
    data = [(int(sid), site, street, cat, category_label(cat), int(n), _dt(last))
            for sid, site, street, cat, n, last in rows]
    df = pd.DataFrame(data, columns=REPEAT_COLUMNS)
    return df.sort_values(["repeats", "last_found"], ascending=[False, False], ignore_index=True)


def by_unit(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Per responsible unit: the period's findings, closed by its end, average days from finding to
    closing (closed ones; NaN if none) and overdue as of its end. Slowest average first."""
    end = period.end_dt
    closed = and_(Finding.closed_at.is_not(None), Finding.closed_at < end)
    stmt = (
        select(
            Finding.responsible_unit,
            func.count(),
            _sum(closed),
            func.avg(case((closed, days_between(Finding.found_at, Finding.closed_at)))),
            _sum(overdue_condition(period.end)),
        )
        .where(_found_in(period))
        .group_by(Finding.responsible_unit)
    )
    rows = session.execute(scoped(stmt, Finding, filters)).all()
    data = [(unit, int(n), int(c), round(float(avg), 1) if avg is not None else float("nan"), int(o))
            for unit, n, c, avg, o in rows]
    df = pd.DataFrame(data, columns=UNIT_COLUMNS)
    return df.sort_values(["avg_days_to_close", "responsible_unit"], ascending=[False, True],
                          na_position="last", ignore_index=True)


def _dt(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def page_data(session: Session, period: Period, filters: Filters = Filters()) -> dict:
    """Everything the 督查整改 page shows (its loader caches it; ``bench dashboard --matrix`` times it).

    ``kpis``: the cockpit cards' figures (``rollup.CARD_KEYS``, equal to those of ``kpis()``), from the rollups.
    """
    from gangwen_dash.queries import rollup

    return {
        "kpis": rollup.card_figures(session, period, filters),
        "funnel": funnel(session, period, filters),
        "outcomes": outcomes(session, period, filters),
        "recheck": recheck_failures(session, period, filters),
        "repeats": repeat_sites(session, period, filters),
        "units": by_unit(session, period, filters),
    }
