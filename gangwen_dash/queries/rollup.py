"""Fast, exact cockpit figures from the daily rollups (``inspection_days``, ``finding_days``,
``open_due_days``; kept by database triggers, see ``migrations/rollup_triggers.py``).

The rollups hold "now" figures per day and group. Figures "as of a period's end" differ from "now" only
for findings that changed after that end (closed later) or whose original deadline is after it; those
are few for recent periods and are counted live through the ``closed_at`` / ``first_due_date`` /
``found_at`` indexes and subtracted. Every function here returns exactly what ``kpis.py`` returns
(tests compare them on fixtures and the demo); with a street filter, which the rollups do not carry,
they simply run the live ``kpis.py`` queries.

Writers need do nothing: the triggers keep the rollups in step with every insert, update and delete.
``refresh(session)`` rebuilds them from the base tables (after a bulk load with triggers dropped).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from gangwen_dash.models import Finding, FindingDay, InspectionDay, OpenDueDay
from gangwen_dash.queries import kpis as live
from gangwen_dash.queries.kpis import Filters, Period, _ratio
from gangwen_dash.queries.sqlfuncs import as_date

# Up to this many findings, a period's as-of figures come from one pass over its rows; above it, from
# the rollups corrected through the closed_at / first_due_date indexes (few rows for recent periods).
TAIL_SCAN_LIMIT = 20_000


class no_index(FunctionElement):
    """The column unchanged, but SQLite will not use an index on it for this term (unary ``+``).

    SQLite's planner sometimes prefers a wide ``found_at`` range over a narrow index; this steers it.
    PostgreSQL plans from statistics and gets the bare column.
    """

    inherit_cache = True
    name = "no_index"

    @property
    def type(self):
        return self.clauses.clauses[0].type


@compiles(no_index)
def _no_index_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(no_index, "sqlite")
def _no_index_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


CARD_KEYS = ("inspections", "spot_checks", "routine_inspections", "member_participations", "findings",
             "findings_closed", "findings_overdue", "rectification_rate", "on_time_rate")


def refresh(session: Session) -> None:
    """Recompute the rollups from the base tables (one statement each, inside the caller's transaction)."""
    from migrations import rollup_triggers

    rollup_triggers.rebuild(session.connection())


def _group(stmt, column, filters: Filters):
    return stmt.where(column == filters.group_id) if filters.group_id is not None else stmt


def _live_finding(stmt, filters: Filters):
    return live._scoped(stmt, Finding, filters)


def overdue_count(session: Session, as_of: date, filters: Filters = Filters()) -> int:
    """``count(kpis.overdue_condition(as_of))``: open now and due before ``as_of`` (rollup), minus those
    found after ``as_of`` (live), plus those closed after ``as_of`` that were overdue then (live)."""
    if filters.street_id is not None:
        return int(session.execute(_live_finding(
            select(func.count()).select_from(Finding).where(live.overdue_condition(as_of)), filters)).scalar_one())
    end = datetime.combine(as_of + timedelta(days=1), time.min)
    open_due = session.execute(_group(
        select(func.coalesce(func.sum(OpenDueDay.n_open), 0)).where(OpenDueDay.day < as_of),
        OpenDueDay.group_id, filters)).scalar_one()
    found_later = session.execute(_live_finding(select(func.count()).select_from(Finding).where(
        Finding.closed_at.is_(None), Finding.found_at >= end, no_index(Finding.due_date) < as_of),
        filters)).scalar_one()
    closed_later = session.execute(_live_finding(select(func.count()).select_from(Finding).where(
        Finding.closed_at >= end, Finding.found_at < end, Finding.due_date < as_of), filters)).scalar_one()
    return int(open_due) - int(found_later) + int(closed_later)


def group_inspections(session: Session, period: Period) -> dict[int, tuple[int, int]]:
    """{group_id: (inspections, member participations)} of the period, from the rollup."""
    rows = session.execute(
        select(InspectionDay.group_id, func.sum(InspectionDay.inspections), func.sum(InspectionDay.participations))
        .where(InspectionDay.day >= period.start, InspectionDay.day <= period.end).group_by(InspectionDay.group_id)
    ).all()
    return {int(g): (int(n), int(p)) for g, n, p in rows}


def inspection_summary(session: Session, period: Period, filters: Filters = Filters()) -> dict:
    """inspections, spot_checks, routine_inspections, member_participations (not sites_inspected)."""
    if filters.street_id is not None:
        counts = live.inspection_counts(session, period, filters)
        counts.pop("sites_inspected")
        return counts
    n, spot, parts = session.execute(_group(
        select(func.coalesce(func.sum(InspectionDay.inspections), 0),
               func.coalesce(func.sum(InspectionDay.spot_checks), 0),
               func.coalesce(func.sum(InspectionDay.participations), 0))
        .where(InspectionDay.day >= period.start, InspectionDay.day <= period.end),
        InspectionDay.group_id, filters)).one()
    return {"inspections": int(n), "spot_checks": int(spot), "routine_inspections": int(n) - int(spot),
            "member_participations": int(parts)}


def finding_summary(session: Session, period: Period, filters: Filters = Filters(), *,
                    with_overdue: bool = True) -> dict:
    """findings, findings_closed, findings_overdue, rectification_rate, on_time_rate as in ``kpis``
    (``findings_overdue`` left out when ``with_overdue`` is false)."""
    if filters.street_id is not None:
        counts = live.finding_counts(session, period, filters)
        if not with_overdue:
            counts.pop("findings_overdue")
        return counts
    found, closed_now, on_time_now = (int(v) for v in session.execute(_group(
        select(func.coalesce(func.sum(FindingDay.findings), 0), func.coalesce(func.sum(FindingDay.closed), 0),
               func.coalesce(func.sum(FindingDay.on_time), 0))
        .where(FindingDay.day >= period.start, FindingDay.day <= period.end),
        FindingDay.group_id, filters)).one())
    if found <= TAIL_SCAN_LIMIT:
        # Few findings: one pass over the period's rows (ix_findings_found_cover, index only).
        closed, on_time, due = _period_pass(session, period, filters)
    else:
        closed, on_time, due = _with_tails(session, period, filters, found, closed_now, on_time_now)
    out = {"findings": found, "findings_closed": closed, "rectification_rate": _ratio(closed, found),
           "on_time_rate": _ratio(on_time, due)}
    if with_overdue:
        out["findings_overdue"] = overdue_count(session, period.end, filters)
    return out


def _period_pass(session: Session, period: Period, filters: Filters) -> tuple[int, int, int]:
    """(closed by the end, on time by the end, original deadline by the end) over the period's findings."""
    end = period.end_dt
    closed_by_end = and_(Finding.closed_at.is_not(None), Finding.closed_at < end)
    first_due_passed = Finding.first_due_date <= period.end
    on_time = and_(first_due_passed, closed_by_end, as_date(Finding.replied_at) <= Finding.first_due_date)
    stmt = select(
        func.coalesce(func.sum(case((closed_by_end, 1), else_=0)), 0),
        func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
        func.coalesce(func.sum(case((first_due_passed, 1), else_=0)), 0),
    ).where(Finding.found_at >= period.start_dt, Finding.found_at < end)
    closed, n_on_time, due = session.execute(_live_finding(stmt, filters)).one()
    return int(closed), int(n_on_time), int(due)


def _with_tails(session: Session, period: Period, filters: Filters, found: int, closed_now: int,
                on_time_now: int) -> tuple[int, int, int]:
    """Rollup "now" figures corrected by the period's findings whose "as of the end" state differs:
    closed after the end, or original deadline after the end (two disjoint, index-driven sets)."""
    end = period.end_dt
    found_at = no_index(Finding.found_at)
    in_period = and_(found_at >= period.start_dt, found_at < end)
    reply_ok = as_date(Finding.replied_at) <= Finding.first_due_date
    is_closed = Finding.closed_at.is_not(None)
    due_later = Finding.first_due_date > period.end

    def tail(where):
        stmt = select(
            func.count(),
            func.coalesce(func.sum(case((is_closed, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(is_closed, reply_ok), 1), else_=0)), 0),
            func.coalesce(func.sum(case((due_later, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(is_closed, Finding.closed_at < end, reply_ok, Finding.first_due_date
                                              <= period.end), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(is_closed, Finding.closed_at < end), 1), else_=0)), 0),
        ).where(in_period, where)
        return [int(v) for v in session.execute(_live_finding(stmt, filters)).one()]

    a = tail(Finding.closed_at >= end)
    b = tail(and_(due_later, or_(Finding.closed_at.is_(None), Finding.closed_at < end)))
    closed = closed_now - (a[1] + b[1]) + (a[5] + b[5])
    on_time = on_time_now - (a[2] + b[2]) + (a[4] + b[4])
    due = found - (a[3] + b[3])
    return closed, on_time, due


def card_figures(session: Session, period: Period, filters: Filters = Filters()) -> dict:
    """The cockpit cards' figures (``CARD_KEYS``), equal to the same keys of ``kpis(...)``."""
    return {**inspection_summary(session, period, filters), **finding_summary(session, period, filters)}


def daily_counts(session: Session, period: Period, filters: Filters = Filters()) -> dict[date, tuple[int, int]]:
    """{day: (inspections, findings)} for the days of ``period`` that have any (rollup; no street filter)."""
    out: dict[date, list[int]] = {}
    rows = session.execute(_group(
        select(InspectionDay.day, func.sum(InspectionDay.inspections))
        .where(InspectionDay.day >= period.start, InspectionDay.day <= period.end).group_by(InspectionDay.day),
        InspectionDay.group_id, filters)).all()
    for d, n in rows:
        if n:
            out.setdefault(_day(d), [0, 0])[0] += int(n)
    rows = session.execute(_group(
        select(FindingDay.day, func.sum(FindingDay.findings))
        .where(FindingDay.day >= period.start, FindingDay.day <= period.end).group_by(FindingDay.day),
        FindingDay.group_id, filters)).all()
    for d, n in rows:
        if n:
            out.setdefault(_day(d), [0, 0])[1] += int(n)
    return {d: (v[0], v[1]) for d, v in out.items()}


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
