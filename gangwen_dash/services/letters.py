"""交办单: hand one or more problems over to a unit with a numbered letter (issue 15).

``issue_letter`` hands every 待交办 problem of the command over to the unit (the same 交办 step as
``findings.hand_over``, with its version check), may include problems already handed over to that unit on
site (现场交办) that have no letter yet, and records the letter — number, unit, and its content as issued —
in ONE transaction. The number is (year, seq): seq is the year's highest plus one, read under a lock on
the one ``app_state`` row, so two letters issued at once get two numbers; letters are never deleted, so
a number is never reused. The PDF is rendered from the stored content (``reports.letter``): a reprint is
the same letter.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, field_validator
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.config import get_settings, local_now
from gangwen_dash.db import write_session
from gangwen_dash.models import AppState, Finding, InspectionGroup, Letter, Photo, Site, Street, Unit, letter_items
from gangwen_dash.queries.findings import category_label
from gangwen_dash.services import findings, units, validators
from gangwen_dash.services.base import Actor, NotFound, ValidationFailed, audit, check_version, require


class LetterItem(BaseModel):
    finding_id: int
    expected_version: int
    due_date: date | None = None  # the deadline for a 待交办 problem (kept for one already handed over)


class IssueLetter(BaseModel):
    responsible_unit: validators.ResponsibleUnit
    items: list[LetterItem]
    note: validators.HandOverNote = ""

    @field_validator("items")
    @classmethod
    def _items(cls, v: list[LetterItem]) -> list[LetterItem]:
        if not v:
            raise ValueError("请至少选择一个问题")
        if len({i.finding_id for i in v}) != len(v):
            raise ValueError("同一问题不能重复列入交办单")
        return v


def format_number(year: int, seq: int) -> str:
    return get_settings().letter_number_format.format(year=year, seq=seq)


def _next_seq(session: Session, year: int) -> int:
    session.execute(select(AppState.id).where(AppState.id == 1).with_for_update())
    return (session.execute(select(func.max(Letter.seq)).where(Letter.year == year)).scalar() or 0) + 1


def _item_content(session: Session, f: Finding) -> dict:
    site = session.get(Site, f.site_id)
    street = session.get(Street, site.street_id)
    before = session.execute(select(Photo.path).where(Photo.finding_id == f.id, Photo.kind == "整改前")
                             .order_by(Photo.id)).scalars().all()
    return {"finding_id": f.id, "site": site.name, "street": street.name, "address": site.address,
            "category": category_label(f.category), "severity": f.severity, "description": f.description,
            "found_at": f"{f.found_at:%Y-%m-%d %H:%M}", "due_date": f"{f.due_date:%Y-%m-%d}",
            "photos": list(before)}


def issue_letter(actor: Actor, command: IssueLetter | dict, *, now: datetime | None = None, engine=None) -> int:
    """Hand the problems over with one numbered letter; returns the letter's id."""
    require(actor, "letter.issue")
    cmd = findings.parse_command(IssueLetter, command)
    now = (now or local_now()).replace(microsecond=0)
    with write_session(engine) as session:
        unit = units.resolve(session, cmd.responsible_unit)
        errors: dict[str, str] = {}
        rows: list[Finding] = []
        for i, item in enumerate(cmd.items):
            f = session.get(Finding, item.finding_id, with_for_update=True)
            if f is None:
                raise NotFound(f"问题 #{item.finding_id} 不存在")
            require(actor, "letter.issue", group_id=f.group_id)
            check_version(session, f, item.expected_version, entity="finding", label=f"问题 #{f.id}",
                                   labels=findings.LABELS, current=findings.tracked_state(f))
            if f.status == domain.ST_NEW:
                if item.due_date is None:
                    errors[f"items.{i}.due_date"] = f"问题 #{f.id}：请选择整改期限"
                elif item.due_date < max(f.found_at.date(), now.date()):
                    errors[f"items.{i}.due_date"] = (f"问题 #{f.id}：整改期限（{item.due_date:%Y-%m-%d}）"
                                                     "不能早于发现日期或今天")
            elif f.status == domain.ST_CLOSED or f.responsible_unit != unit.name:
                errors[f"items.{i}"] = f"问题 #{f.id} 当前为“{f.status}”（{f.responsible_unit}），不能列入给{unit.name}的交办单"
            elif session.execute(select(letter_items.c.letter_id).where(letter_items.c.finding_id == f.id)).first():
                errors[f"items.{i}"] = f"问题 #{f.id} 已列入其他交办单，请重印原交办单"
            rows.append(f)
        if errors:
            raise ValidationFailed(errors)
        for f, item in zip(rows, cmd.items, strict=True):
            if f.status == domain.ST_NEW:
                findings.hand_over_in(session, actor, f, unit.name, item.due_date, cmd.note, now)
        letter = record_letter(session, unit, rows, now, actor.user_id, actor.label, cmd.note)
        audit(session, actor, "letter.issue", "letter", letter.id, None,
              {"number": letter.number, "unit": unit.name, "findings": [f.id for f in rows]}, at=now)
        return letter.id


def record_letter(session: Session, unit: Unit, rows: list[Finding], now: datetime, issued_by: int | None,
                  issued_by_label: str, note: str = "") -> Letter:
    """Number and store a letter for ``rows`` (already handed over to ``unit``) in the caller's
    transaction; the demo uses it too."""
    group_ids = {f.group_id for f in rows}
    group = session.get(InspectionGroup, group_ids.pop()) if len(group_ids) == 1 else None
    seq = _next_seq(session, now.year)
    number = format_number(now.year, seq)
    settings = get_settings()
    content = {
        "number": number, "org_name": settings.org_name, "unit": unit.name, "contact": unit.contact,
        "issued_on": f"{now:%Y年%m月%d日}", "issued_by": issued_by_label, "group": group.name if group else "",
        "note": note, "reply_channel": settings.letter_reply_channel,
        "items": [_item_content(session, f) for f in rows],
    }
    letter = Letter(year=now.year, seq=seq, number=number, unit_id=unit.id, group_id=group.id if group else None,
                    issued_at=now, issued_by=issued_by, content=content)
    session.add(letter)
    session.flush()
    session.execute(insert(letter_items), [{"letter_id": letter.id, "finding_id": f.id} for f in rows])
    return letter
