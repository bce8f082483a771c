"""Responsible units (issue 15): each unit's own problems, letters, extension requests, the chairs'
per-unit figures and the reminder outbox.

Everything a 责任单位 account reads goes through the functions taking ``unit_id``: they return only
problems handed over to that unit (``status != 待交办`` and ``responsible_unit`` = the unit's name), so
another unit's problem is "not found" whatever id a link or a widget carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import (
    ExtensionRequest,
    Finding,
    FindingEvent,
    InspectionGroup,
    Letter,
    OutboxMessage,
    Site,
    Street,
    Unit,
    letter_items,
)
from gangwen_dash.queries import open_findings, timeline
from gangwen_dash.queries.findings import category_label
from gangwen_dash.queries.rectification import days_between
from gangwen_dash.queries.scope import scoped
from gangwen_dash.queries.sqlfuncs import as_date

INBOX_COLUMNS = ["finding_id", "site", "street", "label", "severity", "status", "found_at", "due_date",
                 "first_due_date", "overdue", "days_overdue", "extension"]
STATS_COLUMNS = ["unit", "handed_over", "replied", "on_time", "overdue", "extensions", "median_days_to_reply"]


def units(session: Session, *, active_only: bool = False) -> pd.DataFrame:
    stmt = select(Unit.id, Unit.name, Unit.kind, Unit.contact, Unit.is_active).order_by(Unit.id)
    if active_only:
        stmt = stmt.where(Unit.is_active.is_(True))
    return pd.DataFrame(session.execute(stmt).all(), columns=["id", "name", "kind", "contact", "is_active"])


def _mine(unit_id: int):
    """SQL condition: a problem handed over to the unit ``unit_id``."""
    name = select(Unit.name).where(Unit.id == unit_id).scalar_subquery()
    return and_(Finding.responsible_unit == name, Finding.status != domain.ST_NEW,
                Finding.handed_over_at.is_not(None))


def inbox(session: Session, unit_id: int, today: date, statuses: tuple[str, ...] = domain.OPEN_STATUSES
          ) -> pd.DataFrame:
    """The unit's problems in ``statuses`` (never 待交办), overdue first, then by deadline."""
    pending = (select(ExtensionRequest.requested_due)
               .where(ExtensionRequest.finding_id == Finding.id, ExtensionRequest.state == domain.EXT_PENDING)
               .limit(1).scalar_subquery())
    rows = session.execute(
        select(Finding.id, Site.name, Street.name, Finding.category, Finding.severity, Finding.status,
               Finding.found_at, Finding.due_date, Finding.first_due_date, pending)
        .join(Site, Site.id == Finding.site_id).join(Street, Street.id == Site.street_id)
        .where(_mine(unit_id), Finding.status.in_(statuses))
    ).all()
    data = []
    for fid, site, street, cat, sev, status, found, due, first, ext in rows:
        overdue = status != domain.ST_CLOSED and due < today
        data.append((fid, site, street, category_label(cat), sev, status, found, due, first, overdue,
                     (today - due).days if overdue else 0, f"申请延期至 {ext:%Y-%m-%d}（待审批）" if ext else ""))
    df = pd.DataFrame(data, columns=INBOX_COLUMNS)
    return df.sort_values(["overdue", "days_overdue", "due_date", "finding_id"], ascending=[False, False, True, True],
                          ignore_index=True)


def finding(session: Session, unit_id: int, finding_id: int) -> open_findings.FindingDetail | None:
    """The problem's detail if it is handed to the unit, else None (as if it did not exist)."""
    if not session.execute(select(Finding.id).where(Finding.id == finding_id, _mine(unit_id))).first():
        return None
    return open_findings.finding_detail(session, finding_id)


def site_history(session: Session, unit_id: int, finding_id: int) -> pd.DataFrame:
    """The site's timeline restricted to the unit's problems there (and the inspections that found them)."""
    f = session.get(Finding, finding_id)
    if f is None or finding(session, unit_id, finding_id) is None:
        return pd.DataFrame(columns=timeline.COLUMNS)
    mine = session.execute(select(Finding.id, Finding.inspection_id)
                           .where(Finding.site_id == f.site_id, _mine(unit_id))).all()
    fids, insp = {a for a, _ in mine}, {b for _, b in mine}
    df = timeline.site_timeline(session, f.site_id)
    keep = df.finding_id.isin(fids) | ((df.kind == timeline.KIND_INSPECTION) & df.inspection_id.isin(insp))
    out = df[keep].copy()
    out.loc[out.kind == timeline.KIND_INSPECTION, "detail"] = ""  # the group's notes are not the unit's business
    return out.reset_index(drop=True)


def extension_requests(session: Session, *, finding_id: int | None = None, group_id: int | None = None,
                       pending_only: bool = False) -> pd.DataFrame:
    stmt = (select(ExtensionRequest.id, ExtensionRequest.version, ExtensionRequest.finding_id, Site.name,
                   Finding.responsible_unit, ExtensionRequest.requested_at, ExtensionRequest.current_due,
                   ExtensionRequest.requested_due, ExtensionRequest.reason, ExtensionRequest.state,
                   ExtensionRequest.decision_note)
            .join(Finding, Finding.id == ExtensionRequest.finding_id).join(Site, Site.id == Finding.site_id)
            .order_by(ExtensionRequest.id.desc()))
    if finding_id is not None:
        stmt = stmt.where(ExtensionRequest.finding_id == finding_id)
    if group_id is not None:
        stmt = stmt.where(Finding.group_id == group_id)
    if pending_only:
        stmt = stmt.where(ExtensionRequest.state == domain.EXT_PENDING)
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["request_id", "version", "finding_id", "site", "unit", "requested_at", "current_due",
                                 "requested_due", "reason", "state", "decision_note"])


# --------------------------------------------------------------------------- letters


@dataclass(frozen=True)
class LetterRow:
    letter_id: int
    number: str
    year: int
    seq: int
    unit_id: int
    unit: str
    issued_at: datetime
    content: dict


def letters(session: Session, *, unit_id: int | None = None, group_id: int | None = None,
            limit: int = 200) -> pd.DataFrame:
    n_items = select(func.count()).where(letter_items.c.letter_id == Letter.id).scalar_subquery()
    stmt = (select(Letter.id, Letter.number, Unit.name, Letter.issued_at, n_items)
            .join(Unit, Unit.id == Letter.unit_id).order_by(Letter.issued_at.desc(), Letter.id.desc()).limit(limit))
    if unit_id is not None:
        stmt = stmt.where(Letter.unit_id == unit_id)
    if group_id is not None:
        stmt = stmt.where(Letter.group_id == group_id)
    return pd.DataFrame(session.execute(stmt).all(), columns=["letter_id", "number", "unit", "issued_at", "problems"])


def letter(session: Session, letter_id: int, *, unit_id: int | None = None) -> LetterRow | None:
    """One letter; with ``unit_id`` only if it was addressed to that unit."""
    row = session.execute(select(Letter, Unit.name).join(Unit, Unit.id == Letter.unit_id)
                          .where(Letter.id == letter_id)).first()
    if row is None or (unit_id is not None and row[0].unit_id != unit_id):
        return None
    lt, name = row
    return LetterRow(lt.id, lt.number, lt.year, lt.seq, lt.unit_id, name, lt.issued_at, lt.content)


def letter_by_number(session: Session, seq: int, year: int | None = None) -> LetterRow | None:
    """The letter numbered ``seq`` in ``year`` (default: the latest year that has letters)."""
    if year is None:
        year = session.execute(select(func.max(Letter.year))).scalar()
    lid = session.execute(select(Letter.id).where(Letter.year == year, Letter.seq == seq)).scalar()
    return letter(session, lid) if lid else None


def letters_for_finding(session: Session, finding_id: int) -> list[tuple[int, str]]:
    return [tuple(r) for r in session.execute(
        select(Letter.id, Letter.number).join(letter_items, letter_items.c.letter_id == Letter.id)
        .where(letter_items.c.finding_id == finding_id).order_by(Letter.id)).all()]


def letterable(session: Session, group_id: int | None, unit_name: str) -> pd.DataFrame:
    """Problems that may go on a letter to ``unit_name``: 待交办 ones, and ones already handed to that unit
    without a letter (现场交办)."""
    has_letter = select(letter_items.c.finding_id).where(letter_items.c.finding_id == Finding.id).exists()
    stmt = (select(Finding.id, Finding.version, Site.name, Finding.category, Finding.severity, Finding.status,
                   Finding.responsible_unit, Finding.found_at, Finding.due_date)
            .join(Site, Site.id == Finding.site_id)
            .where(or_(Finding.status == domain.ST_NEW,
                       and_(Finding.status.in_((domain.ST_RECTIFYING, domain.ST_AWAITING_RECHECK)),
                            Finding.responsible_unit == unit_name, ~has_letter)))
            .order_by(Finding.found_at.desc(), Finding.id))
    if group_id is not None:
        stmt = stmt.where(Finding.group_id == group_id)
    rows = [(fid, v, site, category_label(cat), sev, st, unit, found, due)
            for fid, v, site, cat, sev, st, unit, found, due in session.execute(stmt).all()]
    return pd.DataFrame(rows, columns=["finding_id", "version", "site", "label", "severity", "status", "responsible_unit",
                                       "found_at", "due_date"])


# --------------------------------------------------------------------------- the chairs' per-unit view


def unit_stats(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Per unit, problems handed over in the period, as of its end: handed over, replied, replied on time
    (on or before the FIRST deadline: an extension does not make a late reply 按期), overdue (open, past
    the deadline in force), extension requests, median days from hand-over to the first reply."""
    end = period.end_dt
    as_of = period.end
    handed = and_(Finding.handed_over_at >= period.start_dt, Finding.handed_over_at < end)
    replied_at = select(func.min(FindingEvent.at)).where(
        FindingEvent.finding_id == Finding.id, FindingEvent.action == "整改回复",
        FindingEvent.at < end).scalar_subquery()
    n_ext = select(func.count()).where(ExtensionRequest.finding_id == Finding.id,
                                       ExtensionRequest.requested_at < end).scalar_subquery()
    base = scoped(select(Finding.responsible_unit.label("unit"), replied_at.label("first_reply"),
                          Finding.handed_over_at.label("handed"), Finding.first_due_date.label("first_due"),
                          Finding.due_date.label("due"), Finding.closed_at.label("closed"), n_ext.label("n_ext"))
                   .where(handed), Finding, filters).subquery()
    days = days_between(base.c.handed, base.c.first_reply)
    ranked = select(base.c.unit, days.label("d"),
                    func.row_number().over(partition_by=base.c.unit, order_by=days).label("rn"),
                    func.count().over(partition_by=base.c.unit).label("n")
                    ).where(base.c.first_reply.is_not(None)).subquery()
    median = dict(session.execute(
        select(ranked.c.unit, func.avg(ranked.c.d))
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.unit)).all())
    overdue_end = datetime.combine(as_of + timedelta(days=1), time.min)
    rows = session.execute(
        select(base.c.unit, func.count(),
               func.sum(case((base.c.first_reply.is_not(None), 1), else_=0)),
               func.sum(case((and_(base.c.first_reply.is_not(None),
                                   as_date(base.c.first_reply) <= base.c.first_due), 1), else_=0)),
               func.sum(case((and_(or_(base.c.closed.is_(None), base.c.closed >= overdue_end),
                                   base.c.due < as_of), 1), else_=0)),
               func.sum(base.c.n_ext))
        .group_by(base.c.unit).order_by(base.c.unit)).all()
    data = [(u, int(n), int(r or 0), int(o or 0), int(od or 0), int(x or 0),
             round(float(median[u]), 1) if median.get(u) is not None else float("nan"))
            for u, n, r, o, od, x in rows]
    return pd.DataFrame(data, columns=STATS_COLUMNS)


# --------------------------------------------------------------------------- outbox


def outbox(session: Session, *, limit: int = 300, state: str | None = None) -> pd.DataFrame:
    stmt = (select(OutboxMessage.id, OutboxMessage.digest_date, OutboxMessage.audience_name, OutboxMessage.channel,
                   OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.state, OutboxMessage.attempts,
                   OutboxMessage.last_error, OutboxMessage.next_attempt_at, OutboxMessage.sent_at)
            .order_by(OutboxMessage.id.desc()).limit(limit))
    if state:
        stmt = stmt.where(OutboxMessage.state == state)
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["id", "digest_date", "audience", "channel", "recipient", "subject", "state",
                                 "attempts", "last_error", "next_attempt_at", "sent_at"])


def group_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(InspectionGroup.id, InspectionGroup.name)).all())
