"""Headline figures (KPIs) for a period, aggregated in SQL.

Period semantics: ``start`` and ``end`` are calendar dates, both inclusive; "in the period" means
``start 00:00 <= t < end+1 00:00``. "As of the period's end" means at ``end+1 00:00`` (the moment the
period closes), so a past period always gives the same answer however much data came later.
The optional ``group_id`` / ``street_id`` filters narrow the inspection and finding figures; they do
not apply to members, rooms, projects, proposals or opinions (those belong to no inspection group).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import (
    ConsultationRoom,
    Finding,
    Inspection,
    InspectionGroup,
    LivelihoodProject,
    Member,
    OpinionItem,
    Proposal,
    inspection_members,
)
from gangwen_dash.queries.scope import ratio, scoped
from gangwen_dash.queries.sqlfuncs import as_date


@dataclass(frozen=True)
class Kpis:
    """Headline figures. Each field's meaning:

    - inspections: inspections that took place in the period (日常督查 + 抽查暗访).
    - spot_checks / routine_inspections: of those, 抽查暗访 / 日常督查.
    - members: active members serving in an inspection group (today's roster; not period-bound).
    - groups: inspection groups.
    - member_participations: 参与委员人次, sum over the period's inspections of participating members.
    - sites_inspected: distinct sites inspected in the period.
    - findings: problems found in the period.
    - findings_closed: of those, closed (已销号) by the period's end.
    - findings_overdue: as of the period's end, problems found up to then, not closed then, whose
      deadline in force (``due_date``) is before the period's last day + 1 — i.e. a problem due on the
      period's last day is not yet overdue. Counted whenever it was found (it is the backlog).
    - rectification_rate: findings_closed / findings (None when nothing was found).
    - on_time_rate: of the period's findings whose original deadline (``first_due_date``) falls on or
      before the period's end, the share that were closed by the period's end and whose accepted
      rectification reply (the last 整改回复, confirmed by the passing re-check) came on or before that
      original deadline (None when none was due). A failed re-check does not reset the promise.
    - rooms: consultation rooms established by the period's end.
    - projects: livelihood projects raised in the period; projects_solved: of those, solved by the
      period's end; projects_in_progress: the rest.
    - proposals: proposals submitted in the period; proposals_key / proposals_excellent: flagged ones.
    - opinions: 社情民意 items submitted in the period; opinions_instructed: of those with 领导批示.
    """

    inspections: int
    spot_checks: int
    routine_inspections: int
    members: int
    groups: int
    member_participations: int
    sites_inspected: int
    findings: int
    findings_closed: int
    findings_overdue: int
    rectification_rate: float | None
    on_time_rate: float | None
    rooms: int
    projects: int
    projects_solved: int
    projects_in_progress: int
    proposals: int
    proposals_key: int
    proposals_excellent: int
    opinions: int
    opinions_instructed: int

    def as_dict(self) -> dict:
        return asdict(self)


def inspection_counts(session: Session, period: Period, filters: Filters = Filters()) -> dict:
    in_period = and_(Inspection.inspected_at >= period.start_dt, Inspection.inspected_at < period.end_dt)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(case((Inspection.kind == domain.KIND_SPOT, 1), else_=0)), 0),
        func.count(func.distinct(Inspection.site_id)),
    ).where(in_period)
    total, spot, sites = session.execute(scoped(stmt, Inspection, filters)).one()
    part = select(func.count()).select_from(inspection_members).join(
        Inspection, Inspection.id == inspection_members.c.inspection_id
    ).where(in_period)
    participations = session.execute(scoped(part, Inspection, filters)).scalar_one()
    return {
        "inspections": total,
        "spot_checks": spot,
        "routine_inspections": total - spot,
        "sites_inspected": sites,
        "member_participations": participations,
    }


def finding_counts(session: Session, period: Period, filters: Filters = Filters()) -> dict:
    end = period.end_dt
    closed_by_end = and_(Finding.closed_at.is_not(None), Finding.closed_at < end)
    first_due_passed = Finding.first_due_date <= period.end
    on_time = and_(first_due_passed, closed_by_end, as_date(Finding.replied_at) <= Finding.first_due_date)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(case((closed_by_end, 1), else_=0)), 0),
        func.coalesce(func.sum(case((first_due_passed, 1), else_=0)), 0),
        func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
    ).where(Finding.found_at >= period.start_dt, Finding.found_at < end)
    found, closed, due, closed_on_time = session.execute(scoped(stmt, Finding, filters)).one()
    overdue = session.execute(
        scoped(select(func.count()).where(overdue_condition(period.end)), Finding, filters)
    ).scalar_one()
    return {
        "findings": found,
        "findings_closed": closed,
        "findings_overdue": overdue,
        "rectification_rate": ratio(closed, found),
        "on_time_rate": ratio(closed_on_time, due),
    }


def overdue_condition(as_of: date):
    """SQL condition: found by ``as_of``, open at the end of ``as_of``, deadline before ``as_of`` + 1 day.

    A finding is overdue on the day after its deadline: due 11-14 and still open at the end of 11-14
    is not overdue as of 11-14, but is as of 11-15.
    """
    end = datetime.combine(as_of + timedelta(days=1), time.min)
    return and_(
        Finding.found_at < end,
        or_(Finding.closed_at.is_(None), Finding.closed_at >= end),
        Finding.due_date < as_of,
    )


def other_counts(session: Session, period: Period) -> dict:
    start, end = period.start, period.end
    members = session.execute(
        select(func.count()).where(Member.group_id.is_not(None), Member.is_active.is_(True))
    ).scalar_one()
    groups = session.execute(select(func.count()).select_from(InspectionGroup)).scalar_one()
    rooms = session.execute(
        select(func.count()).where(ConsultationRoom.established_on <= end)
    ).scalar_one()
    projects, solved = session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(case((and_(LivelihoodProject.solved_on.is_not(None), LivelihoodProject.solved_on <= end),
                               1), else_=0)), 0),
        ).where(LivelihoodProject.raised_on >= start, LivelihoodProject.raised_on <= end)
    ).one()
    proposals, key, excellent = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Proposal.is_key.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((Proposal.is_excellent.is_(True), 1), else_=0)), 0),
        ).where(Proposal.submitted_on >= start, Proposal.submitted_on <= end)
    ).one()
    opinions, instructed = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((OpinionItem.instructed.is_(True), 1), else_=0)), 0),
        ).where(OpinionItem.submitted_on >= start, OpinionItem.submitted_on <= end)
    ).one()
    return {
        "members": members,
        "groups": groups,
        "rooms": rooms,
        "projects": projects,
        "projects_solved": solved,
        "projects_in_progress": projects - solved,
        "proposals": proposals,
        "proposals_key": key,
        "proposals_excellent": excellent,
        "opinions": opinions,
        "opinions_instructed": instructed,
    }


def kpis(session: Session, period: Period, filters: Filters = Filters()) -> Kpis:
    return Kpis(
        **inspection_counts(session, period, filters),
        **finding_counts(session, period, filters),
        **other_counts(session, period),
    )


def latest_data_date(session: Session) -> date | None:
    """The day of the most recent inspection (the demo ends in 2019, not today)."""
    latest = session.execute(select(func.max(Inspection.inspected_at))).scalar_one()
    return latest.date() if latest else None
