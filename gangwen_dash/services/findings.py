"""整改闭环: 交办 → 整改回复 → 复查 (pass → 已销号; fail → back to 整改中 with a new deadline).

Each action is ``fn(actor, command, *, now=None, engine=None)``: permission (own group for inspectors
and leaders; only the group leader re-checks), pydantic validation with Chinese messages per field,
the finding's state must allow the step, ``check_version`` against the version the form was opened
at (on the row locked for update; a stale step is refused listing what changed), then in ONE
transaction: the finding's new state, a ``FindingEvent`` row, after-photos (reply), and one audit row.
逾期 is never written: it is derived from ``due_date`` by the queries.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy.orm import Session

from gangwen_dash import domain, photos
from gangwen_dash.config import get_settings, local_now
from gangwen_dash.db import write_session
from gangwen_dash.models import Finding, FindingEvent, Site
from gangwen_dash.queries.audit import FIELD_LABELS
from gangwen_dash.services import evidence
from gangwen_dash.services.base import (
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    bump_version,
    check_version,
    require,
    snapshot,
    validation_errors,
)
from gangwen_dash.services.evidence import PhotoUpload
from gangwen_dash.services.fields import ResponsibleUnit

TRACKED = ("status", "responsible_unit", "due_date", "first_due_date", "handed_over_at", "replied_at",
           "rechecked_at", "closed_at", "recheck_failures", "reply_text", "version")
LABELS = {k: FIELD_LABELS[k] for k in TRACKED if k != "version"}  # what a stale-edit message lists


class HandOver(BaseModel):
    finding_id: int
    expected_version: int
    responsible_unit: ResponsibleUnit
    due_date: date
    note: str = ""

    @field_validator("note")
    @classmethod
    def _note(cls, v: str) -> str:
        v = (v or "").strip()
        if len(v) > 500:
            raise ValueError("交办意见不能超过 500 字")
        return v


class Reply(BaseModel):
    finding_id: int
    expected_version: int
    text: str
    photos: list[PhotoUpload] = []
    confirm_flagged_photos: bool = False

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        v = (v or "").strip()
        if len(v) < 4:
            raise ValueError("请填写整改情况（至少 4 个字）")
        if len(v) > 1000:
            raise ValueError("整改情况不能超过 1000 字")
        return v

    @field_validator("photos")
    @classmethod
    def _photos(cls, v: list[PhotoUpload]) -> list[PhotoUpload]:
        if not v:
            raise ValueError("请上传至少一张整改后照片")
        return v


class Recheck(BaseModel):
    finding_id: int
    expected_version: int
    passed: bool
    note: str = ""
    new_due_date: date | None = None  # required when the re-check fails
    # Passing without any after-photo: the leader's explicit reason (domain.NO_AFTER_PHOTO_REASONS).
    no_photo_reason: str | None = None

    @field_validator("no_photo_reason")
    @classmethod
    def _reason(cls, v: str | None) -> str | None:
        v = (v or "").strip() or None
        if v is not None and v not in domain.NO_AFTER_PHOTO_REASONS:
            raise ValueError("请从列出的原因中选择")
        return v

    @field_validator("note")
    @classmethod
    def _note(cls, v: str) -> str:
        v = (v or "").strip()
        if len(v) > 500:
            raise ValueError("复查意见不能超过 500 字")
        return v


TYPE_MESSAGES = {"due_date": "请选择整改期限", "new_due_date": "请选择新的整改期限", "passed": "请选择复查结论"}


def _parse(model, command):
    if isinstance(command, model):
        return command
    try:
        return model.model_validate(command)
    except ValidationError as exc:
        raise validation_errors(exc, TYPE_MESSAGES) from None


def _load(session: Session, actor: Actor, action: str, finding_id: int, expected_version: int,
          allowed: tuple[str, ...], verb: str) -> Finding:
    finding = session.get(Finding, finding_id, with_for_update=True)
    if finding is None:
        raise NotFound(f"问题 #{finding_id} 不存在")
    require(actor, action, group_id=finding.group_id)
    check_version(session, finding, expected_version, entity="finding", label=f"问题 #{finding_id}",
                  labels=LABELS, current=_state(finding))
    if finding.status not in allowed:
        raise ValidationFailed({"status": f"该问题当前为“{finding.status}”，不能{verb}"})
    return finding


def _state(finding: Finding) -> dict:
    full = snapshot(finding)
    return {k: full[k] for k in TRACKED}


def hand_over(actor: Actor, command: HandOver | dict, *, now: datetime | None = None, engine=None) -> int:
    """交办: 待交办 → 整改中 with responsible unit and deadline. Returns the finding's new version."""
    require(actor, "finding.hand_over")
    cmd = _parse(HandOver, command)
    now = (now or local_now()).replace(microsecond=0)
    with write_session(engine) as session:
        f = _load(session, actor, "finding.hand_over", cmd.finding_id, cmd.expected_version,
                  (domain.ST_NEW,), "交办")
        if cmd.due_date < f.found_at.date():
            raise ValidationFailed({"due_date": f"整改期限（{cmd.due_date:%Y-%m-%d}）不能早于发现日期（{f.found_at:%Y-%m-%d}）"})
        if cmd.due_date < now.date():
            raise ValidationFailed({"due_date": f"整改期限（{cmd.due_date:%Y-%m-%d}）不能早于今天（{now:%Y-%m-%d}）"})
        before = _state(f)
        f.status = domain.ST_RECTIFYING
        f.responsible_unit = cmd.responsible_unit
        f.due_date = cmd.due_date
        f.first_due_date = cmd.due_date  # the deadline promised at hand-over: on-time rates judge against it
        f.handed_over_at = now
        bump_version(f)
        session.add(FindingEvent(finding=f, action="交办", at=now, user_id=actor.user_id, note=cmd.note,
                                 responsible_unit=cmd.responsible_unit, due_date=cmd.due_date))
        session.flush()
        audit(session, actor, "finding.hand_over", "finding", f.id, before, _state(f), at=now)
        return f.version


def reply(actor: Actor, command: Reply | dict, *, now: datetime | None = None, engine=None) -> int:
    """整改回复: 整改中 → 待复查 with reply text and after-photos. Returns the new version."""
    require(actor, "finding.reply")
    cmd = _parse(Reply, command)
    now = (now or local_now()).replace(microsecond=0)
    processed = evidence.prepare(cmd.photos, "photos")
    with photos.PhotoWriter() as writer, write_session(engine) as session:
        f = _load(session, actor, "finding.reply", cmd.finding_id, cmd.expected_version,
                  (domain.ST_RECTIFYING,), "登记整改回复")
        site = session.get(Site, f.site_id)
        # After-photos are taken at the site, shortly before the reply is entered.
        results = evidence.check(processed, site, now, "photos", cmd.confirm_flagged_photos)
        before = _state(f)
        f.status = domain.ST_AWAITING_RECHECK
        f.replied_at = now
        f.reply_text = cmd.text
        bump_version(f)
        session.add(FindingEvent(finding=f, action="整改回复", at=now, user_id=actor.user_id, note=cmd.text))
        evidence.attach(session, writer, f, processed, results, "整改后", now)
        session.flush()
        audit(session, actor, "finding.reply", "finding", f.id, before,
              {**_state(f), "photos": len(processed)}, at=now)
        return f.version


def recheck(actor: Actor, command: Recheck | dict, *, now: datetime | None = None, engine=None) -> int:
    """复查 (group leader): pass → 已销号; fail → 整改中 with a new deadline, failures counted."""
    require(actor, "finding.recheck")
    cmd = _parse(Recheck, command)
    now = (now or local_now()).replace(microsecond=0)
    if not cmd.passed:
        if cmd.new_due_date is None:
            raise ValidationFailed({"new_due_date": "复查未通过，请设定新的整改期限"})
        if cmd.new_due_date < now.date():
            raise ValidationFailed({"new_due_date": f"新的整改期限（{cmd.new_due_date:%Y-%m-%d}）不能早于今天（{now:%Y-%m-%d}）"})
        if not cmd.note:
            raise ValidationFailed({"note": "复查未通过，请写明存在的问题"})
    with write_session(engine) as session:
        f = _load(session, actor, "finding.recheck", cmd.finding_id, cmd.expected_version,
                  (domain.ST_AWAITING_RECHECK,), "复查")
        without_photo = cmd.passed and not any(p.kind == domain.PHOTO_AFTER for p in f.photos)
        if without_photo and get_settings().recheck_requires_after_photo and cmd.no_photo_reason is None:
            raise ValidationFailed({"no_photo_reason": "该问题没有整改后照片：请先由责任单位补交整改后照片，"
                                                      "或勾选没有照片也予以销号的原因"})
        before = _state(f)
        f.rechecked_at = now
        if cmd.passed:
            f.status = domain.ST_CLOSED
            f.closed_at = now
            note = cmd.note or "复查合格，予以销号"
            if without_photo and cmd.no_photo_reason:
                note += f"（无整改后照片：{cmd.no_photo_reason}）"
            event = FindingEvent(finding=f, action="复查通过", at=now, user_id=actor.user_id, note=note)
        else:
            f.status = domain.ST_RECTIFYING
            f.recheck_failures += 1
            f.due_date = cmd.new_due_date
            event = FindingEvent(finding=f, action="复查未通过", at=now, user_id=actor.user_id, note=cmd.note,
                                 due_date=cmd.new_due_date)
        bump_version(f)
        session.add(event)
        session.flush()
        audit(session, actor, "finding.recheck", "finding", f.id, before,
              {**_state(f), "passed": cmd.passed, "no_photo_reason": cmd.no_photo_reason if without_photo else None},
              at=now)
        return f.version
