"""整改闭环: 交办 → 整改回复 → 复查 (pass → 已销号; fail → back to 整改中 with a new deadline).

Each action is ``fn(actor, command, *, now=None, engine=None)``: permission (own group for inspectors
and leaders; only the group leader re-checks; a 责任单位 account only on problems handed to its unit), pydantic validation with Chinese messages per field,
the finding's state must allow the step, ``check_version`` against the version the form was opened
at (on the row locked for update; a stale step is refused listing what changed), then in ONE
transaction: the finding's new state, a ``FindingEvent`` row, after-photos (reply), and one audit row.
逾期 is never written: it is derived from ``due_date`` by the queries.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash import domain, photos
from gangwen_dash.config import get_settings, local_now
from gangwen_dash.db import write_session
from gangwen_dash.models import ExtensionRequest, Finding, FindingEvent, Site
from gangwen_dash.queries.audit import FIELD_LABELS
from gangwen_dash.services import evidence, units, validators
from gangwen_dash.services.base import (
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    bump_version,
    check_version,
    parse,
    require,
    snapshot,
)
from gangwen_dash.services.evidence import PhotoUpload
from gangwen_dash.services.validators import OptionalChoice, Text

TRACKED = ("status", "responsible_unit", "due_date", "first_due_date", "handed_over_at", "replied_at",
           "rechecked_at", "closed_at", "recheck_failures", "reply_text", "version")
LABELS = {k: FIELD_LABELS[k] for k in TRACKED if k != "version"}  # what a stale-edit message lists


class HandOver(BaseModel):
    finding_id: int
    expected_version: int
    responsible_unit: validators.ResponsibleUnit
    due_date: date
    note: validators.HandOverNote = ""


class Reply(BaseModel):
    finding_id: int
    expected_version: int
    text: validators.ReplyText
    photos: list[PhotoUpload] = []
    confirm_flagged_photos: bool = False

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
    note: Text("复查意见", validators.NOTE, required=False) = ""
    new_due_date: date | None = None  # required when the re-check fails
    # Passing without any after-photo: the leader's explicit reason (domain.NO_AFTER_PHOTO_REASONS).
    no_photo_reason: OptionalChoice("无照片原因", domain.NO_AFTER_PHOTO_REASONS, message="请从列出的原因中选择") = None


TYPE_MESSAGES = {"due_date": "请选择整改期限", "new_due_date": "请选择新的整改期限", "passed": "请选择复查结论",
                 "requested_due": "请选择申请的新期限", "granted": "请选择审批结论"}


def parse_command(model, command):
    """``command`` as ``model``, type errors in this module's words (``TYPE_MESSAGES``)."""
    return parse(model, command, TYPE_MESSAGES)


def _load(session: Session, actor: Actor, action: str, finding_id: int, expected_version: int,
          allowed: tuple[str, ...], verb: str) -> Finding:
    finding = session.get(Finding, finding_id, with_for_update=True)
    if finding is None:
        raise NotFound(f"问题 #{finding_id} 不存在")
    require(actor, action, group_id=finding.group_id, unit_id=handed_to(session, finding))
    check_version(session, finding, expected_version, entity="finding", label=f"问题 #{finding_id}",
                  labels=LABELS, current=tracked_state(finding))
    if finding.status not in allowed:
        raise ValidationFailed({"status": f"该问题当前为“{finding.status}”，不能{verb}"})
    return finding


def handed_to(session: Session, finding: Finding) -> int:
    """The unit a problem is in the hands of (0 before it is handed over): a unit account's scope."""
    if finding.status == domain.ST_NEW or finding.handed_over_at is None:
        return 0
    return units.unit_id_for(session, finding.responsible_unit)


def tracked_state(finding: Finding) -> dict:
    full = snapshot(finding)
    return {k: full[k] for k in TRACKED}


def hand_over(actor: Actor, command: HandOver | dict, *, now: datetime | None = None, engine=None) -> int:
    """交办: 待交办 → 整改中 with responsible unit and deadline. Returns the finding's new version."""
    require(actor, "finding.hand_over")
    cmd = parse_command(HandOver, command)
    now = (now or local_now()).replace(microsecond=0)
    with write_session(engine) as session:
        f = _load(session, actor, "finding.hand_over", cmd.finding_id, cmd.expected_version,
                  (domain.ST_NEW,), "交办")
        if cmd.due_date < f.found_at.date():
            raise ValidationFailed({"due_date": f"整改期限（{cmd.due_date:%Y-%m-%d}）不能早于发现日期（{f.found_at:%Y-%m-%d}）"})
        if cmd.due_date < now.date():
            raise ValidationFailed({"due_date": f"整改期限（{cmd.due_date:%Y-%m-%d}）不能早于今天（{now:%Y-%m-%d}）"})
        unit = units.resolve(session, cmd.responsible_unit)
        hand_over_in(session, actor, f, unit.name, cmd.due_date, cmd.note, now)
        return f.version


def hand_over_in(session: Session, actor: Actor, f: Finding, unit_name: str, due: date, note: str,
                 now: datetime, action: str = "finding.hand_over") -> None:
    """The 交办 step on a locked, checked finding, in the caller's transaction (also used by 交办单)."""
    before = tracked_state(f)
    f.status = domain.ST_RECTIFYING
    f.responsible_unit = unit_name
    f.due_date = due
    f.first_due_date = due  # the deadline promised at hand-over: on-time rates judge against it
    f.handed_over_at = now
    bump_version(f)
    session.add(FindingEvent(finding=f, action="交办", at=now, user_id=actor.user_id, note=note,
                             responsible_unit=unit_name, due_date=due))
    session.flush()
    audit(session, actor, action, "finding", f.id, before, tracked_state(f), at=now)


def reply(actor: Actor, command: Reply | dict, *, now: datetime | None = None, engine=None) -> int:
    """整改回复: 整改中 → 待复查 with reply text and after-photos. Returns the new version."""
    require(actor, "finding.reply")
    cmd = parse_command(Reply, command)
    now = (now or local_now()).replace(microsecond=0)
    processed = evidence.prepare(cmd.photos, "photos")
    with photos.PhotoWriter() as writer, write_session(engine) as session:
        f = _load(session, actor, "finding.reply", cmd.finding_id, cmd.expected_version,
                  (domain.ST_RECTIFYING,), "登记整改回复")
        site = session.get(Site, f.site_id)
        # After-photos are taken at the site, shortly before the reply is entered.
        results = evidence.check(processed, site, now, "photos", cmd.confirm_flagged_photos)
        before = tracked_state(f)
        f.status = domain.ST_AWAITING_RECHECK
        f.replied_at = now
        f.reply_text = cmd.text
        bump_version(f)
        session.add(FindingEvent(finding=f, action="整改回复", at=now, user_id=actor.user_id, note=cmd.text))
        evidence.attach(session, writer, f, processed, results, "整改后", now)
        session.flush()
        audit(session, actor, "finding.reply", "finding", f.id, before,
              {**tracked_state(f), "photos": len(processed)}, at=now)
        return f.version


def recheck(actor: Actor, command: Recheck | dict, *, now: datetime | None = None, engine=None) -> int:
    """复查 (group leader): pass → 已销号; fail → 整改中 with a new deadline, failures counted."""
    require(actor, "finding.recheck")
    cmd = parse_command(Recheck, command)
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
        before = tracked_state(f)
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
              {**tracked_state(f), "passed": cmd.passed, "no_photo_reason": cmd.no_photo_reason if without_photo else None},
              at=now)
        return f.version


# --------------------------------------------------------------------------- deadline extensions (issue 15)


class ExtensionAsk(BaseModel):
    finding_id: int
    requested_due: date
    reason: Text("延期理由", validators.NOTE, min_len=4, too_short="请写明延期理由（至少 4 个字）")


class ExtensionDecision(BaseModel):
    request_id: int
    expected_version: int
    granted: bool
    note: Text("审批意见", validators.NOTE, required=False) = ""


def request_extension(actor: Actor, command: ExtensionAsk | dict, *, now: datetime | None = None,
                      engine=None) -> int:
    """延期申请 by the unit the problem is handed to: a later deadline with a reason, for the group leader
    to decide. One open request per problem. Returns the request's id."""
    require(actor, "finding.request_extension")
    cmd = parse_command(ExtensionAsk, command)
    now = (now or local_now()).replace(microsecond=0)
    with write_session(engine) as session:
        f = session.get(Finding, cmd.finding_id, with_for_update=True)
        if f is None:
            raise NotFound(f"问题 #{cmd.finding_id} 不存在")
        require(actor, "finding.request_extension", group_id=f.group_id, unit_id=handed_to(session, f))
        if f.status != domain.ST_RECTIFYING:
            raise ValidationFailed({"status": f"该问题当前为“{f.status}”，不能申请延期"})
        if cmd.requested_due <= f.due_date:
            raise ValidationFailed({"requested_due": f"申请的期限应晚于现有整改期限（{f.due_date:%Y-%m-%d}）"})
        pending = session.execute(select(ExtensionRequest.id).where(
            ExtensionRequest.finding_id == f.id, ExtensionRequest.state == domain.EXT_PENDING)).first()
        if pending:
            raise ValidationFailed({"requested_due": "该问题已有一份待审批的延期申请，请等待组长审批"})
        req = ExtensionRequest(finding_id=f.id, requested_by=actor.user_id, requested_at=now, reason=cmd.reason,
                               current_due=f.due_date, requested_due=cmd.requested_due, version=1)
        session.add(req)
        session.add(FindingEvent(finding=f, action="申请延期", at=now, user_id=actor.user_id, note=cmd.reason,
                                 responsible_unit=f.responsible_unit, due_date=cmd.requested_due))
        session.flush()
        audit(session, actor, "finding.request_extension", "extension_request", req.id, None, snapshot(req), at=now)
        return req.id


def decide_extension(actor: Actor, command: ExtensionDecision | dict, *, now: datetime | None = None,
                     engine=None) -> None:
    """The group leader grants (the deadline in force moves; ``first_due_date`` still judges 按期) or
    refuses (a reason is required) a pending extension request."""
    require(actor, "finding.decide_extension")
    cmd = parse_command(ExtensionDecision, command)
    now = (now or local_now()).replace(microsecond=0)
    if not cmd.granted and not cmd.note:
        raise ValidationFailed({"note": "驳回延期申请，请写明理由"})
    with write_session(engine) as session:
        req = session.get(ExtensionRequest, cmd.request_id, with_for_update=True)
        if req is None:
            raise NotFound(f"延期申请 #{cmd.request_id} 不存在")
        f = session.get(Finding, req.finding_id, with_for_update=True)
        require(actor, "finding.decide_extension", group_id=f.group_id)
        check_version(session, req, cmd.expected_version, entity="extension_request",
                      label=f"延期申请 #{req.id}", labels={"state": "状态", "decision_note": "审批意见"})
        if req.state != domain.EXT_PENDING:
            raise ValidationFailed({"status": f"该延期申请已{req.state}"})
        before = snapshot(req)
        req.state = domain.EXT_GRANTED if cmd.granted else domain.EXT_REFUSED
        req.decided_by, req.decided_at, req.decision_note = actor.user_id, now, cmd.note
        bump_version(req)
        if cmd.granted and f.status != domain.ST_CLOSED:
            f_before = tracked_state(f)
            f.due_date = max(f.due_date, req.requested_due)
            bump_version(f)
            session.flush()
            audit(session, actor, "finding.extend", "finding", f.id, f_before, tracked_state(f), at=now)
        session.add(FindingEvent(finding=f, action="同意延期" if cmd.granted else "驳回延期", at=now,
                                 user_id=actor.user_id, note=cmd.note or ("同意延期至 " + f"{req.requested_due:%Y-%m-%d}"),
                                 due_date=req.requested_due if cmd.granted else None))
        session.flush()
        audit(session, actor, "finding.decide_extension", "extension_request", req.id, before, snapshot(req), at=now)
