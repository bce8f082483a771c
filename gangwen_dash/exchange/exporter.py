"""Export everything in the template's format (so that export → import into an empty database
reproduces the same figures). Rows are streamed from SQL in id order; names replace foreign keys.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.config import local_now
from gangwen_dash.db import read_session, write_session
from gangwen_dash.exchange import workbook
from gangwen_dash.models import (
    ChecklistResult,
    ConsultationRoom,
    DutyActivity,
    Finding,
    Inspection,
    InspectionGroup,
    LivelihoodProject,
    Member,
    OpinionItem,
    Proposal,
    Site,
    Street,
    activity_members,
    inspection_members,
)
from gangwen_dash.services.base import Actor, audit, require
from gangwen_dash.services.units import active_names as active_unit_names

BATCH = 1000


def _names(session: Session, model) -> dict[int, str]:
    return dict(session.execute(select(model.id, model.name)).all())


def _stream(session: Session, stmt) -> Iterator:
    yield from session.execute(stmt.execution_options(yield_per=BATCH))


def _member_lists(session: Session, table, owner_col, member_names: dict[int, str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for owner, member in session.execute(select(owner_col, table.c.member_id).order_by(owner_col, table.c.member_id)):
        out[owner].append(member_names[member])
    return out


def collect(session: Session) -> dict[str, list[list]]:
    """All records as rows per sheet (values in the sheet's column order)."""
    streets = _names(session, Street)
    groups = _names(session, InspectionGroup)
    members = _names(session, Member)
    sites = _names(session, Site)
    rooms = _names(session, ConsultationRoom)
    out: dict[str, list[list]] = {}

    out["街道"] = [[n, lat, lon] for n, lat, lon in _stream(
        session, select(Street.name, Street.lat, Street.lon).order_by(Street.id))]
    out["督查组"] = [[n, o] for n, o in _stream(
        session, select(InspectionGroup.name, InspectionGroup.sort_order).order_by(InspectionGroup.id))]
    out["委员"] = [[m.name, m.sector, groups.get(m.group_id), m.phone, m.is_active] for m in _stream(
        session, select(Member.name, Member.sector, Member.group_id, Member.phone, Member.is_active)
        .order_by(Member.id))]
    out["工地"] = [[s.name, streets[s.street_id], s.address, s.lat, s.lon, s.builder, s.status] for s in _stream(
        session, select(Site.name, Site.street_id, Site.address, Site.lat, Site.lon, Site.builder, Site.status)
        .order_by(Site.id))]

    crew = _member_lists(session, inspection_members, inspection_members.c.inspection_id, members)
    checks: dict[int, dict[str, str]] = defaultdict(dict)
    for insp_id, item, result in session.execute(
            select(ChecklistResult.inspection_id, ChecklistResult.item, ChecklistResult.result)):
        checks[insp_id][item] = result
    out["督查记录"] = [
        [sites[i.site_id], i.inspected_at, groups[i.group_id], i.kind, crew.get(i.id, []), i.lat, i.lon,
         i.location_source, i.notes, *[checks[i.id].get(code) for code in domain.CHECKLIST_ITEMS]]
        for i in _stream(session, select(Inspection.id, Inspection.site_id, Inspection.inspected_at,
                                         Inspection.group_id, Inspection.kind, Inspection.lat, Inspection.lon,
                                         Inspection.location_source, Inspection.notes).order_by(Inspection.id))
    ]
    out["问题"] = [
        [sites[f.site_id], f.inspected_at, groups[f.group_id], f.category, f.severity, f.description,
         f.responsible_unit, f.due_date, f.first_due_date, f.status, f.handed_over_at, f.replied_at, f.reply_text,
         f.rechecked_at, f.closed_at, f.recheck_failures, f.verified_on_site]
        for f in _stream(session, select(
            Finding.site_id, Inspection.inspected_at, Inspection.group_id, Finding.category, Finding.severity,
            Finding.description, Finding.responsible_unit, Finding.due_date, Finding.first_due_date, Finding.status,
            Finding.handed_over_at, Finding.replied_at, Finding.reply_text, Finding.rechecked_at, Finding.closed_at,
            Finding.recheck_failures, Finding.verified_on_site,
        ).join(Inspection, Inspection.id == Finding.inspection_id).order_by(Finding.id))
    ]
    out["协商议事室"] = [
        [r.name, streets[r.street_id], r.kind, r.lat, r.lon, r.established_on, r.is_pilot]
        for r in _stream(session, select(ConsultationRoom.name, ConsultationRoom.street_id, ConsultationRoom.kind,
                                         ConsultationRoom.lat, ConsultationRoom.lon, ConsultationRoom.established_on,
                                         ConsultationRoom.is_pilot).order_by(ConsultationRoom.id))
    ]
    out["民生项目"] = [
        [p.title, rooms[p.room_id], p.status, p.raised_on, p.solved_on]
        for p in _stream(session, select(LivelihoodProject.title, LivelihoodProject.room_id, LivelihoodProject.status,
                                         LivelihoodProject.raised_on, LivelihoodProject.solved_on)
                         .order_by(LivelihoodProject.id))
    ]
    out["提案"] = [
        [p.number, p.title, p.proposer, p.submitted_on, p.stage, p.handling_unit, p.assigned_on, p.replied_on,
         p.result_code, p.satisfaction, p.is_key, p.is_excellent, p.lead_chair, p.progress]
        for p in _stream(session, select(
            Proposal.number, Proposal.title, Proposal.proposer, Proposal.submitted_on, Proposal.stage,
            Proposal.handling_unit, Proposal.assigned_on, Proposal.replied_on, Proposal.result_code,
            Proposal.satisfaction, Proposal.is_key, Proposal.is_excellent, Proposal.lead_chair, Proposal.progress,
        ).order_by(Proposal.id))
    ]
    out["社情民意"] = [
        [o.title, o.collector, o.submitted_on, o.status, o.instructed]
        for o in _stream(session, select(OpinionItem.title, OpinionItem.collector, OpinionItem.submitted_on,
                                         OpinionItem.status, OpinionItem.instructed).order_by(OpinionItem.id))
    ]
    attendees = _member_lists(session, activity_members, activity_members.c.activity_id, members)
    out["履职活动"] = [
        [a.title, a.kind, a.held_on, attendees.get(a.id, [])]
        for a in _stream(session, select(DutyActivity.id, DutyActivity.title, DutyActivity.kind, DutyActivity.held_on)
                         .order_by(DutyActivity.id))
    ]
    return out


def export(actor: Actor, target: str | Path | BytesIO, *, engine=None) -> dict[str, int]:
    """Write every record to ``target`` (.xlsx path or buffer); returns row counts per sheet.

    Checks ``data.export`` and leaves an audit row (who exported what, when).
    """
    require(actor, "data.export")
    with read_session(engine) as session:
        rows = collect(session)
        units = tuple(active_unit_names(session))
    workbook.save(workbook.build(rows, units=units), target)
    counts = {name: len(r) for name, r in rows.items()}
    with write_session(engine) as session:
        audit(session, actor, "data.export", "exchange", None, None,
              {"file": target.name if isinstance(target, Path) else str(target) if isinstance(target, str) else "下载",
               "rows": counts}, at=local_now().replace(microsecond=0))
    return counts


def export_bytes(actor: Actor, *, engine=None) -> bytes:
    buf = BytesIO()
    export(actor, buf, engine=engine)
    return buf.getvalue()
