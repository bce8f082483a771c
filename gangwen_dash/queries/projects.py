"""项目进展: livelihood projects (民生项目) and proposals (提案).

Period semantics as in ``kpis``: projects raised in the period, their status as of its end (solved
when ``solved_on <= end``); proposals submitted in the period. ``street_id`` narrows projects to the
rooms of that street; proposals belong to no street or group. Proposal stage, result code and
satisfaction are the current ones (the table keeps no stage history).
"""

from __future__ import annotations

import calendar
from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.domain.periods import Period
from gangwen_dash.models import ConsultationRoom, LivelihoodProject, Proposal, Street

SOLVED, IN_PROGRESS = "已解决", "推进中"
REPLY_MONTHS = 3

PROJECT_STATUS_COLUMNS = ["status", "projects"]
PROJECT_STREET_COLUMNS = ["street_id", "street", "projects", "solved", "in_progress"]
PROJECT_ROOM_COLUMNS = ["room_id", "room", "street", "room_kind", "projects", "solved", "in_progress"]
STAGE_COLUMNS = ["stage", "proposals"]
RESULT_COLUMNS = ["result_code", "label", "proposals"]
SATISFACTION_COLUMNS = ["satisfaction", "proposals"]
KEY_COLUMNS = ["number", "title", "lead_chair", "stage", "handling_unit", "progress"]
EXCELLENT_COLUMNS = ["number", "title", "proposer", "handling_unit", "stage", "result_code"]
OVERDUE_REPLY_COLUMNS = ["number", "title", "handling_unit", "stage", "assigned_on", "reply_due", "days_overdue"]


def _solved_by(end: date):
    return and_(LivelihoodProject.solved_on.is_not(None), LivelihoodProject.solved_on <= end)


def _projects_stmt(period: Period, street_id: int | None, *columns):
    solved = _solved_by(period.end)
    stmt = (
        select(*columns, func.count(), func.coalesce(func.sum(case((solved, 1), else_=0)), 0))
        .select_from(LivelihoodProject)
        .join(ConsultationRoom, ConsultationRoom.id == LivelihoodProject.room_id)
        .where(LivelihoodProject.raised_on >= period.start, LivelihoodProject.raised_on <= period.end)
    )
    if street_id is not None:
        stmt = stmt.where(ConsultationRoom.street_id == street_id)
    return stmt


def project_status(session: Session, period: Period, street_id: int | None = None) -> pd.DataFrame:
    """已解决 / 推进中 counts (both rows always present)."""
    total, solved = session.execute(_projects_stmt(period, street_id)).one()
    return pd.DataFrame([(SOLVED, int(solved)), (IN_PROGRESS, int(total) - int(solved))],
                        columns=PROJECT_STATUS_COLUMNS)


def projects_by_street(session: Session, period: Period, street_id: int | None = None) -> pd.DataFrame:
    stmt = _projects_stmt(period, street_id, Street.id, Street.name).join(
        Street, Street.id == ConsultationRoom.street_id).group_by(Street.id, Street.name)
    data = [(int(i), name, int(n), int(s), int(n) - int(s)) for i, name, n, s in session.execute(stmt)]
    df = pd.DataFrame(data, columns=PROJECT_STREET_COLUMNS)
    return df.sort_values(["projects", "street_id"], ascending=[False, True], ignore_index=True)


def projects_by_room(session: Session, period: Period, street_id: int | None = None) -> pd.DataFrame:
    stmt = _projects_stmt(period, street_id, ConsultationRoom.id, ConsultationRoom.name, Street.name,
                          ConsultationRoom.kind).join(Street, Street.id == ConsultationRoom.street_id).group_by(
        ConsultationRoom.id, ConsultationRoom.name, Street.name, ConsultationRoom.kind)
    data = [(int(i), room, street, kind, int(n), int(s), int(n) - int(s))
            for i, room, street, kind, n, s in session.execute(stmt)]
    df = pd.DataFrame(data, columns=PROJECT_ROOM_COLUMNS)
    return df.sort_values(["projects", "room_id"], ascending=[False, True], ignore_index=True)


def _proposals_in(period: Period):
    return and_(Proposal.submitted_on >= period.start, Proposal.submitted_on <= period.end)


def proposals_by_stage(session: Session, period: Period) -> pd.DataFrame:
    """Every lifecycle stage in order, with zeros."""
    counts = dict(session.execute(
        select(Proposal.stage, func.count()).where(_proposals_in(period)).group_by(Proposal.stage)).all())
    return pd.DataFrame([(s, int(counts.get(s, 0))) for s in domain.PROPOSAL_STAGES], columns=STAGE_COLUMNS)


def proposals_by_result(session: Session, period: Period) -> pd.DataFrame:
    """A/B/C result codes of the period's replied proposals, with zeros."""
    counts = dict(session.execute(
        select(Proposal.result_code, func.count())
        .where(_proposals_in(period), Proposal.result_code.is_not(None))
        .group_by(Proposal.result_code)).all())
    return pd.DataFrame([(c, f"{c}类 {domain.RESULT_CODE_LABELS[c]}", int(counts.get(c, 0)))
                         for c in domain.RESULT_CODES], columns=RESULT_COLUMNS)


def proposals_satisfaction(session: Session, period: Period) -> tuple[pd.DataFrame, float | None]:
    """(满意/基本满意/不满意 counts, 满意率 = (满意 + 基本满意) / feedback, None without feedback)."""
    counts = dict(session.execute(
        select(Proposal.satisfaction, func.count())
        .where(_proposals_in(period), Proposal.satisfaction.is_not(None))
        .group_by(Proposal.satisfaction)).all())
    df = pd.DataFrame([(s, int(counts.get(s, 0))) for s in domain.SATISFACTION], columns=SATISFACTION_COLUMNS)
    total = int(df["proposals"].sum())
    satisfied = int(df.loc[df["satisfaction"] != "不满意", "proposals"].sum())
    return df, (round(satisfied / total, 4) if total else None)


def key_proposals(session: Session, period: Period) -> pd.DataFrame:
    rows = session.execute(
        select(Proposal.number, Proposal.title, Proposal.lead_chair, Proposal.stage, Proposal.handling_unit,
               Proposal.progress)
        .where(_proposals_in(period), Proposal.is_key.is_(True)).order_by(Proposal.number)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=KEY_COLUMNS)


def excellent_proposals(session: Session, period: Period) -> pd.DataFrame:
    rows = session.execute(
        select(Proposal.number, Proposal.title, Proposal.proposer, Proposal.handling_unit, Proposal.stage,
               Proposal.result_code)
        .where(_proposals_in(period), Proposal.is_excellent.is_(True)).order_by(Proposal.number)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=EXCELLENT_COLUMNS)


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later (clamped to the month's last day): 11-30 + 3 months = 02-29/28."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def overdue_replies(session: Session, period: Period) -> pd.DataFrame:
    """Proposals of the period handed over (交办) whose reply is overdue as of the period's end:
    no reply on or before the end, and the end is past ``assigned_on`` + 3 months. Longest overdue first."""
    as_of = period.end
    rows = session.execute(
        select(Proposal.number, Proposal.title, Proposal.handling_unit, Proposal.stage, Proposal.assigned_on)
        .where(_proposals_in(period), Proposal.assigned_on.is_not(None),
               Proposal.assigned_on < as_of,
               (Proposal.replied_on.is_(None)) | (Proposal.replied_on > as_of))
        .order_by(Proposal.assigned_on, Proposal.number)
    ).all()
    data = []
    for number, title, unit, stage, assigned in rows:
        due = add_months(assigned, REPLY_MONTHS)
        if due < as_of:
            data.append((number, title, unit, stage, assigned, due, (as_of - due).days))
    return pd.DataFrame(data, columns=OVERDUE_REPLY_COLUMNS)


def late_replies(session: Session, period: Period) -> int:
    """Proposals of the period answered by its end, but more than 3 months after 交办."""
    rows = session.execute(
        select(Proposal.assigned_on, Proposal.replied_on)
        .where(_proposals_in(period), Proposal.assigned_on.is_not(None), Proposal.replied_on.is_not(None),
               Proposal.replied_on <= period.end)
    ).all()
    return sum(1 for assigned, replied in rows if replied > add_months(assigned, REPLY_MONTHS))
