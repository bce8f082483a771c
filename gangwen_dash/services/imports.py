"""Import commands: the Excel import's door for what the records commands (``services.records``) do not
cover — a street, an inspection as a ledger records it, a problem with its lifecycle so far, and a
problem corrected by a re-imported ledger; and the import's own audit row and remembered column mapping.

Each takes values the importer has already parsed and mapped (names resolved to ids), validates them
with the shared field rules (``services.validators``: the app's limits and Chinese messages — a problem
description of 600 characters is refused here exactly as on the entry page), writes the rows, their
lifecycle events and one audit row in the CALLER's transaction (the import is all-or-nothing), and
raises ``ValidationFailed`` keyed by the import's column keys (``description``, ``closed_at``, ``lat`` …)
so the report names the column.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.config import local_now
from gangwen_dash.models import ChecklistResult, Finding, FindingEvent, ImportMapping, Inspection, Member, Street
from gangwen_dash.queries.audit import FIELD_LABELS
from gangwen_dash.services import validators
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
from gangwen_dash.services.findings import LABELS, tracked_state
from gangwen_dash.services.validators import Choice, Text

IMPORT_NOTE = "Excel导入"  # the note of a lifecycle event an imported row implies
UPDATE_NOTE = "Excel台账更新"  # … and of one a re-imported ledger fills in
TIMES = {"handed_over_at": "交办时间", "replied_at": "整改回复时间", "rechecked_at": "复查时间", "closed_at": "销号时间"}
# Fields a re-imported ledger may correct, and the lifecycle event a newly filled time stands for.
CORRECTABLE = ("severity", "responsible_unit", "due_date", "first_due_date", "status", "handed_over_at",
               "replied_at", "reply_text", "rechecked_at", "closed_at", "recheck_failures", "verified_on_site")
_EVENTS = {"handed_over_at": "交办", "replied_at": "整改回复", "closed_at": "复查通过"}
_TYPES = {"lat": "纬度应为数字", "lon": "经度应为数字", "inspected_at": "督查时间应为日期和时间",
          "due_date": "整改期限应为日期"}


def _check(errors: dict[str, str], key: str, rule, *args, **kwargs) -> None:
    """Run one shared rule (it raises ValueError with its Chinese message); keep the first message per field."""
    try:
        rule(*args, **kwargs)
    except ValueError as exc:
        errors.setdefault(key, str(exc))


def _coordinates(errors: dict[str, str], lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        errors.setdefault("lat", "纬度和经度须同时填写或同时留空")
    elif lat is not None:
        _check(errors, "lat", validators.in_district, lat, lon)


# --------------------------------------------------------------------------- streets


class ImportStreet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text("街道名称", validators.SHORT)
    lat: float | None
    lon: float | None


def import_street(session: Session, actor: Actor, command: ImportStreet | dict[str, Any]) -> int:
    """A new street with its centre (streets are reference geography: an existing one is never rewritten)."""
    require(actor, "data.import")
    cmd = parse(ImportStreet, command, _TYPES)
    if cmd.lat is None or cmd.lon is None:
        raise ValidationFailed({"lat": "新街道须填写中心坐标（纬度、经度）"})
    errors: dict[str, str] = {}
    _coordinates(errors, cmd.lat, cmd.lon)
    if errors:
        raise ValidationFailed(errors)
    obj = Street(name=cmd.name, lat=cmd.lat, lon=cmd.lon)
    session.add(obj)
    session.flush()
    audit(session, actor, "street.import", "street", obj.id, None, snapshot(obj))
    return obj.id


# --------------------------------------------------------------------------- inspections


class ImportInspection(BaseModel):
    """An inspection as a ledger records it; its checklist holds the items the ledger gives."""

    model_config = ConfigDict(extra="forbid")
    site_id: int
    group_id: int
    inspected_at: datetime
    kind: Choice("督查方式", domain.INSPECTION_KINDS) = domain.KIND_ROUTINE
    member_ids: list[int] = []
    lat: float | None = None
    lon: float | None = None
    location_source: Choice("定位来源", domain.LOCATION_SOURCES) = domain.LOC_SITE
    notes: validators.InspectionNotes = ""
    checklist: dict[str, str] = {}


def import_inspection(session: Session, actor: Actor, command: ImportInspection | dict[str, Any], *,
                      today: date) -> int:
    """Store one inspection (no record of the future, a point inside the district); returns its id."""
    require(actor, "data.import")
    cmd = parse(ImportInspection, command, _TYPES)
    errors: dict[str, str] = {}
    _check(errors, "inspected_at", validators.not_future, cmd.inspected_at, "督查时间", today, named=False)
    _coordinates(errors, cmd.lat, cmd.lon)
    for item, result in cmd.checklist.items():
        if item not in domain.CHECKLIST_ITEMS or result not in domain.CHECKLIST_RESULTS:
            errors.setdefault(f"check_{item}", f"“{result}”不是可选值（可选：{'/'.join(domain.CHECKLIST_RESULTS)}）")
    if errors:
        raise ValidationFailed(errors)
    members = list(session.execute(select(Member).where(Member.id.in_(cmd.member_ids))).scalars())
    obj = Inspection(site_id=cmd.site_id, group_id=cmd.group_id, kind=cmd.kind, inspected_at=cmd.inspected_at,
                     lat=cmd.lat, lon=cmd.lon, location_source=cmd.location_source, notes=cmd.notes,
                     created_by=actor.user_id, members=members, version=1)
    for item in domain.CHECKLIST_ITEMS:
        if item in cmd.checklist:
            obj.checklist.append(ChecklistResult(item=item, result=cmd.checklist[item]))
    session.add(obj)
    session.flush()
    audit(session, actor, "inspection.import", "inspection", obj.id, None,
          snapshot(obj) | {"member_ids": sorted(cmd.member_ids)})
    return obj.id


# --------------------------------------------------------------------------- problems


class ImportFinding(BaseModel):
    """A problem with its lifecycle so far (as a ledger holds it): the entry page's rules for what it shares
    with a problem recorded on site, and the lifecycle's own consistency (``_finding_errors``)."""

    model_config = ConfigDict(extra="forbid")
    category: Choice("问题类别", domain.FINDING_CATEGORIES)
    severity: Choice("严重程度", domain.SEVERITIES)
    description: validators.Description
    responsible_unit: str
    due_date: date
    first_due_date: date | None = None  # None: the deadline in force
    status: Choice("状态", domain.FINDING_STATUSES)
    handed_over_at: datetime | None = None
    replied_at: datetime | None = None
    reply_text: Text("整改情况", validators.LONG_NOTE, required=False) = ""
    rechecked_at: datetime | None = None
    closed_at: datetime | None = None
    recheck_failures: int = 0
    verified_on_site: bool = False


def _finding_errors(cmd: ImportFinding, found_at: datetime, today: date, units: tuple[str, ...]) -> dict[str, str]:
    """The whole-record rules on the values as they will be stored, keyed by column."""
    errors: dict[str, str] = {}
    if cmd.responsible_unit not in units:
        errors["responsible_unit"] = f"“{cmd.responsible_unit}”不是可选值（可选：{'/'.join(units)}）"
    if cmd.due_date < found_at.date():
        errors["due_date"] = f"整改期限 {cmd.due_date} 早于督查日期 {found_at.date()}"
    if cmd.first_due_date is not None and cmd.first_due_date < found_at.date():
        errors["first_due_date"] = f"首次整改期限 {cmd.first_due_date} 早于督查日期 {found_at.date()}"
    for key, header in TIMES.items():
        t = getattr(cmd, key)
        if t is None:
            continue
        _check(errors, key, validators.not_future, t, header, today, named=False)
        if key not in errors and t < found_at:
            errors[key] = f"{header} {t:%Y-%m-%d %H:%M} 早于督查时间 {found_at:%Y-%m-%d %H:%M}"
    status = cmd.status
    if status == domain.ST_CLOSED and cmd.closed_at is None:
        errors.setdefault("closed_at", "状态为已销号时须填写销号时间")
    if status != domain.ST_CLOSED and cmd.closed_at is not None:
        errors.setdefault("status", f"填写了销号时间，状态应为已销号（现为{status}）")
    if status == domain.ST_AWAITING_RECHECK and cmd.replied_at is None:
        errors.setdefault("replied_at", "状态为待复查时须填写整改回复时间")
    if status != domain.ST_NEW and cmd.handed_over_at is None:
        errors.setdefault("handed_over_at", f"状态为{status}时须填写交办时间")
    if cmd.recheck_failures < 0:
        errors["recheck_failures"] = "不能为负数"
    return errors


def import_finding(session: Session, actor: Actor, inspection: Inspection, command: ImportFinding | dict[str, Any],
                   *, today: date, units: tuple[str, ...]) -> int:
    """Store a problem of ``inspection`` with the events its times imply (发现, 交办, 整改回复, 复查通过);
    ``units``: the active 责任单位 names. Returns its id."""
    require(actor, "data.import")
    cmd = parse(ImportFinding, command, _TYPES)
    found_at = inspection.inspected_at
    errors = _finding_errors(cmd, found_at, today, units)
    if errors:
        raise ValidationFailed(errors)
    values = cmd.model_dump()
    values["first_due_date"] = cmd.first_due_date or cmd.due_date
    obj = Finding(inspection_id=inspection.id, site_id=inspection.site_id, group_id=inspection.group_id,
                  found_at=found_at, version=1, **values)
    user = actor.user_id
    obj.events.append(FindingEvent(action="发现", at=found_at, note=cmd.description, user_id=user))
    if cmd.handed_over_at:
        obj.events.append(FindingEvent(action="交办", at=cmd.handed_over_at, responsible_unit=obj.responsible_unit,
                                       due_date=obj.first_due_date, note=IMPORT_NOTE, user_id=user))
    if cmd.replied_at:
        obj.events.append(FindingEvent(action="整改回复", at=cmd.replied_at, note=obj.reply_text, user_id=user))
    if cmd.closed_at:
        obj.events.append(FindingEvent(action="复查通过", at=cmd.closed_at, note=IMPORT_NOTE, user_id=user))
    session.add(obj)
    session.flush()
    audit(session, actor, "finding.import", "finding", obj.id, None, snapshot(obj))
    return obj.id


def correct_finding(session: Session, actor: Actor, finding_id: int, given: dict[str, Any], expected_version: int,
                    *, today: date, units: tuple[str, ...], at: datetime | None = None) -> dict[str, tuple]:
    """A re-imported ledger row corrects a problem: row lock, version check (the version the import's check
    saw), the rules on the values as they will be stored, the changed fields only (of ``CORRECTABLE``), a
    lifecycle event for a newly filled 交办/回复/销号 time, one audit row with before → after.
    Returns {field: (old, new)}; no change, no version and no audit row."""
    require(actor, "data.import")
    finding = session.get(Finding, finding_id, with_for_update=True)
    if finding is None:
        raise NotFound(f"问题 #{finding_id} 不存在")
    check_version(session, finding, expected_version, entity="finding", label=f"问题 #{finding_id}",
                  labels=LABELS, current=tracked_state(finding))
    given = {k: v for k, v in given.items() if k in CORRECTABLE and v is not None}
    merged = {k: getattr(finding, k) for k in (*CORRECTABLE, "category", "description")} | given
    cmd = parse(ImportFinding, merged, _TYPES)
    errors = _finding_errors(cmd, finding.found_at, today, units)
    if errors:
        raise ValidationFailed(errors)
    stored = cmd.model_dump()
    changes = {k: (getattr(finding, k), stored[k]) for k in given if getattr(finding, k) != stored[k]}
    if not changes:
        return {}
    before = snapshot(finding)
    for key, (old, new) in changes.items():
        setattr(finding, key, new)
        if key in _EVENTS and old is None and new is not None:
            handed = key == "handed_over_at"
            session.add(FindingEvent(finding=finding, action=_EVENTS[key], at=new, user_id=actor.user_id,
                                     note=UPDATE_NOTE, responsible_unit=finding.responsible_unit if handed else None,
                                     due_date=finding.due_date if handed else None))
    bump_version(finding)
    session.flush()
    audit(session, actor, "finding.import_update", "finding", finding.id, before, snapshot(finding),
          at=at or local_now().replace(microsecond=0))
    return changes


# --------------------------------------------------------------------------- the import as a whole


def record_import(session: Session, actor: Actor, details: dict[str, Any], *, at: datetime | None = None,
                  mapping: dict[str, Any] | None = None) -> None:
    """The import's own audit row (file, counts, a ledger's mapping), last in its transaction. ``mapping``
    (signature, target, headers, columns, fixed): a ledger's column mapping, remembered for files with the
    same headers so the next such file is mapped the same way."""
    require(actor, "data.import")
    at = at or local_now().replace(microsecond=0)
    if mapping is not None:
        row = session.get(ImportMapping, mapping["signature"]) or ImportMapping(signature=mapping["signature"])
        row.target = mapping["target"]
        row.headers = list(mapping["headers"])
        row.mapping = dict(mapping["columns"])
        row.fixed = {k: v for k, v in mapping["fixed"].items() if v}
        row.updated_at = at
        row.updated_by = actor.username
        session.add(row)
    audit(session, actor, "data.import", "exchange", None, None, details, at=at)


def change_labels(changes: dict[str, tuple]) -> list[tuple[str, Any, Any]]:
    """(Chinese field label, old, new) per changed field, as the import report lists them."""
    return [(FIELD_LABELS.get(k, k), old, new) for k, (old, new) in changes.items()]
