"""Fast, exact cockpit figures from the daily rollups (``inspection_days``, ``finding_days``,
``finding_day_totals``, ``open_due_days``; kept by database triggers, see ``migrations/rollup_triggers.py``), for any period
and any group / street filter.

The rollups hold "now" figures per day, group, street (and category for findings). Figures "as of a
period's end" differ from "now" only for findings that changed after that end. A finding found more
than ``models.SETTLE_DAYS`` before the end has the same state then as now unless it is "unsettled"
(``models.unsettled_sql``: closed, or due, that long after it was found) — those few sit in the partial
index ``ix_findings_unsettled``. So a period's findings are read as: the rollups for the days up to
``SETTLE_DAYS`` before its end, corrected by the unsettled findings of those days, plus one live pass
over the last ``SETTLE_DAYS`` (``ix_findings_found_cover``, index only). Every function here returns
exactly what the live queries (``kpis.py``, ``findings.py``, ``inspections.py``) return; tests compare
them on fixtures and the demo, on both engines.

Writers need do nothing: the triggers keep the rollups in step with every insert, update and delete.
``refresh(session)`` rebuilds them from the base tables (after a bulk load with triggers dropped).

Length: one algorithm (rollup sums corrected by the live, unsettled findings) whose parts only make sense
together; splitting it would spread the "as of the period's end" reasoning over modules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from gangwen_dash import domain, models
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import (
    Finding,
    FindingDay,
    FindingDayTotal,
    FindingMonth,
    InspectionDay,
    InspectionGroup,
    OpenDueDay,
    Site,
    Street,
)
from gangwen_dash.queries.scope import findings_off_index, ratio
from gangwen_dash.queries.sqlfuncs import as_date, no_index

CARD_KEYS = ("inspections", "spot_checks", "routine_inspections", "member_participations", "findings",
             "findings_closed", "findings_overdue", "rectification_rate", "on_time_rate")

# A tally of findings found in a period, as of its end: found, closed by the end, closed on time by the
# end (of those whose original deadline had come), original deadline by the end, overdue at the end.
FOUND, CLOSED, ON_TIME, DUE, OVERDUE = range(5)
Key = tuple[int, int, str]  # (group_id, street_id, category)


def refresh(session: Session) -> None:
    """Recompute the rollups from the base tables (one statement each, inside the caller's transaction)."""
    from migrations import rollup_triggers

    rollup_triggers.rebuild(session.connection())


def _cells(stmt, model, filters: Filters):
    """Group / street filters on a rollup table."""
    if filters.group_id is not None:
        stmt = stmt.where(model.group_id == filters.group_id)
    if filters.street_id is not None:
        stmt = stmt.where(model.street_id == filters.street_id)
    return stmt


def _unsettled(session: Session, *where) -> tuple:
    """``models.unsettled_sql`` for this engine, spelled exactly as the partial index's predicate, and
    ``where`` over findings' columns kept off the other indexes, so that SQLite reads the (small)
    ``ix_findings_unsettled`` index whatever its statistics say."""
    return (text(f"({models.unsettled_sql(session.get_bind().dialect.name)})"), *where)


def _found(low: datetime | None = None, high: datetime | None = None, *, indexed: bool = True) -> list:
    column = Finding.found_at if indexed else no_index(Finding.found_at)
    return [*([column >= low] if low else []), *([column < high] if high else [])]


def _settle_start(as_of: date) -> date:
    """The first day whose findings may still differ, as of the end of ``as_of``, from their state now."""
    return as_of - timedelta(days=models.SETTLE_DAYS)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _sum(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _as_of_columns(as_of: date):
    """found, closed, on time, due, overdue as of the end of ``as_of`` (the kpis.py definitions)."""
    end = _midnight(as_of + timedelta(days=1))
    closed_by_end = and_(Finding.closed_at.is_not(None), Finding.closed_at < end)
    first_due_passed = Finding.first_due_date <= as_of
    on_time = and_(first_due_passed, closed_by_end, as_date(Finding.replied_at) <= Finding.first_due_date)
    overdue = and_(or_(Finding.closed_at.is_(None), Finding.closed_at >= end), Finding.due_date < as_of)
    return func.count(), _sum(closed_by_end), _sum(on_time), _sum(first_due_passed), _sum(overdue)


def _now_columns():
    """found, closed, on time, due, overdue as the rollups count them now (before any correction)."""
    closed = Finding.closed_at.is_not(None)
    on_time = and_(closed, as_date(Finding.replied_at) <= Finding.first_due_date)
    return func.count(), _sum(closed), _sum(on_time), func.count(), _sum(Finding.closed_at.is_(None))


def _live_tally(session: Session, columns, where, filters: Filters, keyed: bool) -> list:
    if not keyed:
        return [((), *session.execute(findings_off_index(select(*columns).select_from(Finding).where(*where), filters)).one())]
    street = select(Site.street_id).where(Site.id == Finding.site_id).scalar_subquery()
    group = no_index(Finding.group_id)  # grouping, not ix_findings_group_found's order, for SQLite
    stmt = (select(group, street, Finding.category, *columns).select_from(Finding).where(*where)
            .group_by(group, street, Finding.category))
    return [((g, st, c), *values) for g, st, c, *values in session.execute(findings_off_index(stmt, filters)).all()]


def _month_span(start: date, end: date) -> tuple[date, date] | None:
    """The whole calendar months inside [start, end) as (first month's 1st, 1st after the last), if any."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = end.replace(day=1)
    return (first, last) if first < last else None


def _rollup_rows(session: Session, start: date, end: date, filters: Filters, keyed: bool) -> list:
    """(key, found, closed now, on time now) of the findings found in [start, end): whole months from
    ``finding_months``, the edge days from ``finding_days``."""
    span = _month_span(start, end)
    parts = [(FindingDay, start, end)] if span is None else [
        (FindingDay, start, span[0]), (FindingMonth, span[0], span[1]), (FindingDay, span[1], end)]
    out = []
    for model, lo, hi in parts:
        if lo >= hi:
            continue
        sums = (func.sum(model.findings), func.sum(model.closed), func.sum(model.on_time))
        where = (model.day >= lo, model.day < hi)
        if keyed:
            keys = (model.group_id, model.street_id, model.category)
            rows = session.execute(_cells(select(*keys, *sums).where(*where).group_by(*keys), model, filters))
            out += [((g, st, c), *values) for g, st, c, *values in rows]
        else:
            out.append(((), *session.execute(_cells(select(*sums).where(*where), model, filters)).one()))
    return out


def _changed_after(as_of: date):
    """Findings whose figures as of the end of ``as_of`` differ from their figures now: closed later,
    open with a deadline not yet passed then, or an original deadline after it."""
    end = _midnight(as_of + timedelta(days=1))
    return or_(Finding.closed_at >= end, and_(Finding.closed_at.is_(None), Finding.due_date >= as_of),
               Finding.first_due_date > as_of)


def tallies(session: Session, period: Period, filters: Filters = Filters(), *,
            keyed: bool = True, as_of: date | None = None) -> dict[tuple, list[int]]:
    """{(group, street, category): [found, closed, on time, due, overdue]} for the period's findings,
    as of its end (indexes ``FOUND`` … ``OVERDUE``); keys with no finding may be missing.
    ``keyed=False``: only the totals, under the key ``()``. ``as_of``: as of the end of that day (not
    before the period's end) instead, e.g. the part of a year to date before the period, as of its end.

    The rollups' "now" figures, corrected by the findings whose figures then differ
    (``_changed_after``): among the unsettled ones for the days up to SETTLE_DAYS before ``as_of``, among
    all of the last SETTLE_DAYS (a range of the covering ``found_at`` index)."""
    as_of = period.end if as_of is None else as_of
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for key, n, closed, on_time in _rollup_rows(session, period.start, period.end + timedelta(days=1), filters,
                                                keyed):
        t, n, closed = out[key], int(n or 0), int(closed or 0)
        for i, v in enumerate((n, closed, int(on_time or 0), n, n - closed)):
            t[i] += v
    settle = min(max(period.start, _settle_start(as_of)), period.end + timedelta(days=1))
    changed = _changed_after(as_of)
    wheres = [(changed, *_found(_midnight(settle), period.end_dt))] if settle <= period.end else []
    if period.start < settle:
        wheres.append(_unsettled(session, changed, *_found(period.start_dt, _midnight(settle), indexed=False)))
    columns = (*_now_columns(), *_as_of_columns(as_of))
    for where in wheres:
        for key, *values in _live_tally(session, columns, where, filters, keyed):
            t = out[key]
            for i in range(5):
                t[i] += int(values[5 + i]) - int(values[i])
    return dict(out)


def overdue_count(session: Session, as_of: date, filters: Filters = Filters()) -> int:
    """``count(kpis.overdue_condition(as_of))`` (the backlog): open now and due before ``as_of`` (rollup),
    minus those found after ``as_of``, plus those closed after ``as_of`` that were overdue then (live:
    the last SETTLE_DAYS and the unsettled findings)."""
    end = _midnight(as_of + timedelta(days=1))
    settle = _midnight(_settle_start(as_of))
    open_due = session.execute(_cells(
        select(func.coalesce(func.sum(OpenDueDay.n_open), 0)).where(OpenDueDay.day < as_of),
        OpenDueDay, filters)).scalar_one()

    def count(*where) -> int:
        stmt = select(func.count()).select_from(Finding).where(*where)
        return int(session.execute(findings_off_index(stmt, filters)).scalar_one())

    closed_at, due_date = no_index(Finding.closed_at), no_index(Finding.due_date)
    # Found after as_of yet due before it: a deadline before the day found (unsettled).
    found_later = count(*_unsettled(session, *_found(end, indexed=False), closed_at.is_(None), due_date < as_of))
    closed_later = (count(*_found(settle, end), closed_at >= end, due_date < as_of)
                    + count(*_unsettled(session, *_found(high=settle, indexed=False), closed_at >= end,
                                        due_date < as_of)))
    return int(open_due) - found_later + closed_later


def inspection_summary(session: Session, period: Period, filters: Filters = Filters()) -> dict:
    """inspections, spot_checks, routine_inspections, member_participations (not sites_inspected)."""
    n, spot, parts = session.execute(_cells(
        select(func.coalesce(func.sum(InspectionDay.inspections), 0),
               func.coalesce(func.sum(InspectionDay.spot_checks), 0),
               func.coalesce(func.sum(InspectionDay.participations), 0))
        .where(InspectionDay.day >= period.start, InspectionDay.day <= period.end),
        InspectionDay, filters)).one()
    return {"inspections": int(n), "spot_checks": int(spot), "routine_inspections": int(n) - int(spot),
            "member_participations": int(parts)}


def of_group(tally: dict[Key, list[int]], group_id: int | None) -> dict[Key, list[int]]:
    """The part of a keyed ``tallies()`` that belongs to ``group_id`` (all of it for None)."""
    return tally if group_id is None else {k: v for k, v in tally.items() if k[0] == group_id}


def _total(tally: dict[Key, list[int]]) -> list[int]:
    total = [0, 0, 0, 0, 0]
    for values in tally.values():
        for i, v in enumerate(values):
            total[i] += v
    return total


def finding_summary(session: Session, period: Period, filters: Filters = Filters(), *,
                    with_overdue: bool = True, tally: dict | None = None) -> dict:
    """findings, findings_closed, findings_overdue, rectification_rate, on_time_rate as in ``kpis``
    (``findings_overdue`` left out when ``with_overdue`` is false). ``tally``: ``tallies()`` of the same
    period and filters, when the caller has it already."""
    t = _total(tallies(session, period, filters, keyed=False) if tally is None else tally)
    out = {"findings": t[FOUND], "findings_closed": t[CLOSED], "rectification_rate": ratio(t[CLOSED], t[FOUND]),
           "on_time_rate": ratio(t[ON_TIME], t[DUE])}
    if with_overdue:
        out["findings_overdue"] = overdue_count(session, period.end, filters)
    return out


def card_figures(session: Session, period: Period, filters: Filters = Filters(), tally: dict | None = None) -> dict:
    """The cockpit cards' figures (``CARD_KEYS``), equal to the same keys of ``kpis(...)``."""
    return {**inspection_summary(session, period, filters), **finding_summary(session, period, filters, tally=tally)}


def daily_counts(session: Session, period: Period, filters: Filters = Filters()) -> dict[date, tuple[int, int]]:
    """{day: (inspections, findings)} for the days of ``period`` that have any."""
    out: dict[date, list[int]] = {}
    for i, (model, column) in enumerate(((InspectionDay, InspectionDay.inspections),
                                         (FindingDayTotal, FindingDayTotal.findings))):
        rows = session.execute(_cells(
            select(model.day, func.sum(column)).where(model.day >= period.start, model.day <= period.end)
            .group_by(model.day), model, filters)).all()
        for d, n in rows:
            if n:
                out.setdefault(_day(d), [0, 0])[i] += int(n)
    return {d: (v[0], v[1]) for d, v in out.items()}


def group_inspections(session: Session, period: Period, filters: Filters = Filters()) -> dict[int, tuple[int, int]]:
    """{group_id: (inspections, member participations)} of the period."""
    rows = session.execute(_cells(
        select(InspectionDay.group_id, func.sum(InspectionDay.inspections), func.sum(InspectionDay.participations))
        .where(InspectionDay.day >= period.start, InspectionDay.day <= period.end).group_by(InspectionDay.group_id),
        InspectionDay, filters)).all()
    return {int(g): (int(n), int(p)) for g, n, p in rows}


# --------------------------------------------------------------------------- breakdowns (same frames as findings.py / inspections.py)


@dataclass(frozen=True)
class Breakdowns:
    by_category: pd.DataFrame
    by_street: pd.DataFrame
    groups: pd.DataFrame


def _fold(tally: dict[Key, list[int]], part: int) -> dict:
    out: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
    for key, values in tally.items():
        acc = out[key[part]]
        for i, v in enumerate(values):
            acc[i] += v
    return out


def breakdowns(session: Session, period: Period, filters: Filters = Filters(),
               tally: dict | None = None) -> Breakdowns:
    """``findings.by_category``, ``findings.by_street`` and ``inspections.group_comparison`` of the period
    (the latter for the street filter only, as the live one), from one ``tallies()`` of the period with
    the street filter only (pass it as ``tally`` if you have it)."""
    from gangwen_dash.queries.findings import BY_CATEGORY_COLUMNS, BY_STREET_COLUMNS, category_label
    from gangwen_dash.queries.inspections import GROUP_COLUMNS

    # ``tally``: of the street filter only (the group comparison shows every group); the group filter
    # of the other two is applied here.
    tally = tallies(session, period, Filters(street_id=filters.street_id)) if tally is None else tally
    everyone, tally = tally, of_group(tally, filters.group_id)
    order = {c: i for i, c in enumerate(domain.FINDING_CATEGORIES)}
    cats = sorted(((c, v) for c, v in _fold(tally, 2).items() if v[FOUND]), key=lambda x: order.get(x[0], len(order)))
    by_category = pd.DataFrame([(c, category_label(c), v[FOUND], v[CLOSED], v[OVERDUE]) for c, v in cats],
                               columns=BY_CATEGORY_COLUMNS)
    names = dict(session.execute(select(Street.id, Street.name)).all())
    streets = [(int(s), names[s], v[FOUND], v[CLOSED], v[OVERDUE]) for s, v in _fold(tally, 1).items() if v[FOUND]]
    by_street = pd.DataFrame(streets, columns=BY_STREET_COLUMNS).sort_values(
        ["findings", "street_id"], ascending=[False, True], ignore_index=True)
    finds = _fold(everyone, 0)
    insp = group_inspections(session, period, Filters(street_id=filters.street_id))
    rows = []
    for gid, name in session.execute(select(InspectionGroup.id, InspectionGroup.name)
                                     .order_by(InspectionGroup.sort_order, InspectionGroup.id)).all():
        n, closed = (finds[gid][FOUND], finds[gid][CLOSED]) if gid in finds else (0, 0)
        i, p = insp.get(gid, (0, 0))
        rows.append((gid, name, i, p, n, closed, round(closed / n, 4) if n else float("nan")))
    return Breakdowns(by_category, by_street, pd.DataFrame(rows, columns=GROUP_COLUMNS))


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
