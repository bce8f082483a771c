"""督查录入: record one complete inspection (checklist, findings, photos) in ONE transaction.

``record_inspection(actor, command, *, now=None, engine=None)``:

1. permission ``inspection.record`` (inspectors and leaders only for their own group);
2. the idempotency token: a submission already stored (double tap, reconnect, resend) returns the
   first one's id and writes nothing;
3. validation with pydantic plus cross-field rules, every message in Chinese keyed by the form field
   (``site_id``, ``inspected_at``, ``member_ids``, ``checklist.S2``, ``findings.0.due_date``,
   ``findings.0.photos``, ``location`` …), all collected at once so the form can show each next to
   its field;
4. photos validated and re-encoded before the transaction (``services.evidence``);
5. one transaction: inspection, checklist, members, findings (with ``site_id``/``group_id``/
   ``found_at`` copied from the inspection), a 发现 event per finding (and 交办 when handed over on the
   spot), photos (files removed again if the transaction fails), one audit row.

Two concurrent submissions with the same token: the UNIQUE constraint refuses the second, which then
returns the first one's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gangwen_dash import domain, photos
from gangwen_dash.config import get_settings, local_now
from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import ChecklistResult, Finding, FindingEvent, Inspection, InspectionGroup, Member, Site
from gangwen_dash.services import evidence, units, validators
from gangwen_dash.services.base import Actor, ValidationFailed, audit, parse, require, validation_errors
from gangwen_dash.services.evidence import PhotoUpload
from gangwen_dash.services.validators import Choice

FUTURE_TOLERANCE = timedelta(minutes=10)

__all__ = ["FindingInput", "PhotoUpload", "RecordInspection", "RecordResult", "default_due_date",
           "record_inspection"]


def default_due_date(severity: str, found: date) -> date:
    """The deadline a severity implies (``settings.deadline_days``, e.g. 一般 1 / 较重 7 / 严重 15 days)."""
    return found + timedelta(days=int(get_settings().deadline_days.get(severity, 7)))


class FindingInput(BaseModel):
    category: Choice("问题类别", domain.FINDING_CATEGORIES, message="请选择问题类别")
    severity: Choice("问题程度", domain.SEVERITIES, message="请选择问题程度（一般/较重/严重）")
    responsible_unit: validators.ResponsibleUnit
    description: validators.Description
    due_date: date | None = None  # None: the default for the severity
    photos: list[PhotoUpload] = []
    hand_over_now: bool = False  # 当场交办: handed to the responsible unit on site


class RecordInspection(BaseModel):
    idempotency_key: str
    site_id: int | None
    kind: Choice("督查类型", domain.INSPECTION_KINDS, message="请选择督查类型（日常督查/抽查暗访）")
    inspected_at: datetime
    group_id: int
    member_ids: list[int]
    checklist: dict[str, str | None]
    findings: list[FindingInput] = []
    location_source: Choice("定位方式", domain.LOCATION_SOURCES, message="请选择定位方式") = domain.LOC_SITE
    lat: float | None = None
    lon: float | None = None
    notes: validators.InspectionNotes = ""
    confirm_flagged_photos: bool = False

    @field_validator("idempotency_key")
    @classmethod
    def _key(cls, v: str) -> str:
        v = (v or "").strip()
        if not 8 <= len(v) <= 64:
            raise ValueError("提交标识无效，请刷新页面后重试")
        return v

    @field_validator("inspected_at")
    @classmethod
    def _at(cls, v: datetime) -> datetime:
        return v.replace(microsecond=0, tzinfo=None) if v.tzinfo is None else v.astimezone().replace(
            microsecond=0, tzinfo=None)

    @field_validator("member_ids")
    @classmethod
    def _members(cls, v: list[int]) -> list[int]:
        return sorted(set(v))


TYPE_MESSAGES = {
    "inspected_at": "请填写正确的督查日期和时间",
    "group_id": "请选择督查组",
    "member_ids": "请选择参加督查的委员",
    "site_id": "请选择或登记工地",
    "lat": "纬度格式不正确",
    "lon": "经度格式不正确",
}


@dataclass
class RecordResult:
    inspection_id: int
    finding_ids: list[int] = field(default_factory=list)
    duplicate: bool = False  # True: the token was already stored; nothing new was written
    photo_checks: list[list[str]] = field(default_factory=list)  # per finding, per photo


def _parse(command) -> RecordInspection:
    try:
        return parse(RecordInspection, command, TYPE_MESSAGES)
    except ValidationFailed as exc:
        raise ValidationFailed({_finding_field(k): v for k, v in exc.errors.items()}) from None


def _finding_field(key: str) -> str:
    # pydantic reports nested photo errors as findings.0.photos.1.data: keep findings.0.photos
    parts = key.split(".")
    if len(parts) > 3 and parts[0] == "findings" and parts[2] == "photos":
        return ".".join(parts[:3])
    return key


def cross_check(cmd: RecordInspection, now: datetime) -> dict[str, str]:
    """Rules across fields, all Chinese, keyed by form field."""
    errors: dict[str, str] = {}
    if cmd.site_id is None:
        errors["site_id"] = "请选择或登记工地"
    if not cmd.member_ids:
        errors["member_ids"] = "请选择参加督查的委员"
    if cmd.inspected_at > now + FUTURE_TOLERANCE:
        errors["inspected_at"] = f"督查时间（{cmd.inspected_at:%Y-%m-%d %H:%M}）不能晚于当前时间"
    for item, label in domain.CHECKLIST_ITEMS.items():
        if cmd.checklist.get(item) not in domain.CHECKLIST_RESULTS:
            errors[f"checklist.{item}"] = f"请选择“{item} {label}”的检查结果"
    unknown = sorted(set(cmd.checklist) - set(domain.CHECKLIST_ITEMS))
    if unknown:
        errors["checklist"] = f"检查清单中有未知项目：{'、'.join(unknown)}"
    categories = {f.category for f in cmd.findings}
    for item in domain.CHECKLIST_ITEMS:
        if cmd.checklist.get(item) == domain.RESULT_FAIL and item not in categories:
            errors[f"checklist.{item}"] = f"{item} 记为不符合，请为该项登记问题（含照片）"
    found_on = cmd.inspected_at.date()
    for i, f in enumerate(cmd.findings):
        if f.category in domain.CHECKLIST_ITEMS and cmd.checklist.get(f.category) != domain.RESULT_FAIL:
            errors[f"findings.{i}.category"] = f"{f.category} 未记为不符合，不能登记 {f.category} 类问题；请先在检查清单中选择“不符合”"
        if f.due_date is not None and f.due_date < found_on:
            errors[f"findings.{i}.due_date"] = f"整改期限（{f.due_date:%Y-%m-%d}）不能早于督查日期（{found_on:%Y-%m-%d}）"
        if not f.photos:
            errors[f"findings.{i}.photos"] = "请至少上传一张问题照片（不符合项必须有照片为证）"
    if cmd.location_source != domain.LOC_SITE and (cmd.lat is None or cmd.lon is None):
        errors["location"] = "请先获取定位或在地图上选点，或改用工地坐标"
    if cmd.lat is not None and cmd.lon is not None and (outside := _outside(cmd.lat, cmd.lon)):
        errors["location"] = outside
    elif (cmd.lat is None) != (cmd.lon is None):
        errors["location"] = "纬度和经度须同时填写"
    return errors


def _outside(lat: float, lon: float) -> str | None:
    try:
        validators.in_district(lat, lon, validators.RELOCATE)
    except ValueError as exc:
        return str(exc)
    return None


def field_errors(command: dict, *, now: datetime | None = None) -> dict[str, str]:
    """The form-level checks of ``record_inspection`` without the database or the photo files: what a
    page re-checks while the user corrects the form, so a fixed field loses its error at once. Each
    finding is checked on its own, so one empty description does not hide the other fields' errors."""
    errors: dict[str, str] = {}
    findings = []
    for i, raw in enumerate((command or {}).get("findings") or []):
        try:
            findings.append(FindingInput.model_validate(raw))
        except ValidationError as exc:
            failed = validation_errors(exc, TYPE_MESSAGES).errors
            errors.update({_finding_field(f"findings.{i}.{k}"): v for k, v in failed.items()})
            findings.append(FindingInput.model_construct(**raw))
    try:
        cmd = _parse({**(command or {}), "findings": []})
    except ValidationFailed as exc:
        return {**exc.errors, **errors}
    cmd = cmd.model_copy(update={"findings": findings})
    return {**cross_check(cmd, (now or local_now()).replace(microsecond=0)), **errors}


def _existing(key: str, engine) -> int | None:
    with read_session(engine) as session:
        return session.execute(select(Inspection.id).where(Inspection.idempotency_key == key)).scalar_one_or_none()


def record_inspection(actor: Actor, command: RecordInspection | dict, *, now: datetime | None = None,
                      engine=None) -> RecordResult:
    """Store one complete inspection; see the module docstring. Raises ValidationFailed / PermissionDenied."""
    require(actor, "inspection.record")
    now = (now or local_now()).replace(microsecond=0)
    key = command.idempotency_key if isinstance(command, RecordInspection) else (command or {}).get("idempotency_key")
    if isinstance(key, str) and key.strip():
        first = _existing(key.strip(), engine)
        if first is not None:
            return RecordResult(first, duplicate=True)
    cmd = _parse(command)
    require(actor, "inspection.record", group_id=cmd.group_id)
    errors = cross_check(cmd, now)
    if errors:
        raise ValidationFailed(errors)

    processed = [evidence.prepare(f.photos, f"findings.{i}.photos") for i, f in enumerate(cmd.findings)]

    with photos.PhotoWriter() as writer:
        try:
            return _store(actor, cmd, processed, writer, now, engine)
        except IntegrityError:
            writer.discard()
            first = _existing(cmd.idempotency_key, engine)
            if first is not None:  # the same submission won a race with this one
                return RecordResult(first, duplicate=True)
            raise


def _store(actor: Actor, cmd: RecordInspection, processed, writer: photos.PhotoWriter, now: datetime,
           engine) -> RecordResult:
    with write_session(engine) as session:
        site = session.get(Site, cmd.site_id)
        errors: dict[str, str] = {}
        if site is None:
            errors["site_id"] = "所选工地不存在，请重新选择"
        if session.get(InspectionGroup, cmd.group_id) is None:
            errors["group_id"] = "所选督查组不存在"
        members = session.execute(
            select(Member).where(Member.id.in_(cmd.member_ids), Member.is_active.is_(True))
        ).scalars().all()
        if len(members) != len(cmd.member_ids):
            errors["member_ids"] = "委员名单中有不存在或已停用的人员，请重新选择"
        active_units = units.active_names(session)
        for i, f_in in enumerate(cmd.findings):
            if f_in.responsible_unit not in active_units:
                errors[f"findings.{i}.responsible_unit"] = units.UNKNOWN_UNIT.format(name=f_in.responsible_unit)
        if errors:
            raise ValidationFailed(errors)
        checks = [evidence.check(p, site, cmd.inspected_at, f"findings.{i}.photos", cmd.confirm_flagged_photos)
                  for i, p in enumerate(processed)]

        if cmd.location_source == domain.LOC_SITE or cmd.lat is None:
            lat, lon = site.lat, site.lon
        else:
            lat, lon = cmd.lat, cmd.lon
        insp = Inspection(
            site_id=site.id, group_id=cmd.group_id, kind=cmd.kind, inspected_at=cmd.inspected_at, lat=lat, lon=lon,
            location_source=cmd.location_source, notes=cmd.notes, idempotency_key=cmd.idempotency_key,
            created_by=actor.user_id, created_at=now, members=list(members),
        )
        for item in domain.CHECKLIST_ITEMS:
            insp.checklist.append(ChecklistResult(item=item, result=cmd.checklist[item]))
        session.add(insp)
        session.flush()  # a duplicate token fails here, before any file is written

        findings = []
        for f_in, proc, results in zip(cmd.findings, processed, checks, strict=True):
            due = f_in.due_date or default_due_date(f_in.severity, cmd.inspected_at.date())
            finding = Finding(
                inspection=insp, site_id=site.id, group_id=cmd.group_id, found_at=cmd.inspected_at,
                category=f_in.category, severity=f_in.severity, description=f_in.description,
                responsible_unit=f_in.responsible_unit, due_date=due, first_due_date=due,
                status=domain.ST_RECTIFYING if f_in.hand_over_now else domain.ST_NEW,
                handed_over_at=cmd.inspected_at if f_in.hand_over_now else None,
                recheck_failures=0, verified_on_site=False, photo_flagged=False,
            )
            session.add(finding)
            finding.events.append(FindingEvent(action="发现", at=cmd.inspected_at, user_id=actor.user_id,
                                               note=f_in.description))
            if f_in.hand_over_now:
                finding.events.append(FindingEvent(action="交办", at=cmd.inspected_at, user_id=actor.user_id,
                                                   responsible_unit=f_in.responsible_unit, due_date=due,
                                                   note="现场交办"))
            evidence.attach(session, writer, finding, proc, results, "整改前", now)
            findings.append((finding, results))
        session.flush()
        audit(session, actor, "inspection.record", "inspection", insp.id, None, {
            "site_id": site.id, "group_id": cmd.group_id, "kind": cmd.kind, "inspected_at": cmd.inspected_at,
            "member_ids": cmd.member_ids, "checklist": cmd.checklist,
            "finding_ids": [f.id for f, _ in findings], "photos": sum(len(p) for p in processed),
            "idempotency_key": cmd.idempotency_key,
        }, at=now)
        return RecordResult(insp.id, [f.id for f, _ in findings], False,
                            [[r.result for r in results] for _, results in findings])
