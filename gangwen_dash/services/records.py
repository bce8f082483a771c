"""Secretariat management of the reference records: groups, members, sites, rooms, projects, proposals,
opinion items and duty activities (issue 5).

Each kind is an ``EntitySpec`` (``services.record_kinds``): the ORM model, the permission action, a pydantic
command and the form fields the records page draws. ``create`` and ``update`` are the
services: permission check, validation, ONE transaction, an audit row with before/after snapshots.
``update`` takes the version the form was opened at; a stale edit is refused with ``StaleEdit``
listing what changed meanwhile (field: old → new) and who changed it, never silently overwritten.

The Excel import (``gangwen_dash.exchange``) validates its rows with the same commands, so a rule
holds whichever door the data comes in by.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gangwen_dash.config import local_today
from gangwen_dash.db import write_session
from gangwen_dash.models import Member, Site
from gangwen_dash.services.base import (
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    bump_version,
    check_version,
    jsonable,
    require,
    validation_errors,
)
from gangwen_dash.services.record_kinds import (
    REF_MODELS,
    Command,
    EntitySpec,
    Field,
    field_labels,
    record_snapshot,
    spec,
)

# --------------------------------------------------------------------------- in-session helpers


def validate(entity: str, data: dict[str, Any], *, today: date | None = None) -> Command:
    """The command for ``data``; raises ValidationFailed with field → Chinese message."""
    s = spec(entity)
    try:
        return s.command(**data, today=today or local_today())
    except ValidationError as exc:
        raise validation_errors(exc, {f.name: _type_message(f) for f in s.fields}) from None


def _type_message(f: Field) -> str:
    return {
        "int": f"{f.label}应为整数", "float": f"{f.label}应为数字", "date": f"{f.label}应为日期，如 2019-11-14",
        "bool": f"{f.label}应为 是/否", "ref": f"请选择{f.label}", "refs": f"请选择{f.label}",
    }.get(f.kind, f"{f.label}格式不正确")


def _check_refs(session: Session, s: EntitySpec, values: dict[str, Any]) -> None:
    errors = {}
    for f in s.fields:
        if f.kind == "ref" and values.get(f.name) is not None:
            if session.get(REF_MODELS[f.ref], values[f.name]) is None:
                errors[f.name] = f"{f.label}不存在（编号 {values[f.name]}）"
        elif f.kind == "refs":
            ids = values.get(f.name) or []
            if ids:
                model = REF_MODELS[f.ref]
                found = set(session.execute(select(model.id).where(model.id.in_(ids))).scalars())
                missing = sorted(set(ids) - found)
                if missing:
                    errors[f.name] = f"{f.label}中有不存在的记录（编号 {', '.join(map(str, missing))}）"
    if errors:
        raise ValidationFailed(errors)


def _check_unique(session: Session, s: EntitySpec, values: dict[str, Any], exclude_id: int | None) -> None:
    if not s.unique:
        return
    stmt = select(s.model.id)
    for col in s.unique:
        stmt = stmt.where(getattr(s.model, col) == values[col])
    if exclude_id is not None:
        stmt = stmt.where(s.model.id != exclude_id)
    if session.execute(stmt.limit(1)).first():
        labels = field_labels(s.entity)
        key = "、".join(f"{labels.get(c, c)}“{values[c]}”" for c in s.unique)
        raise ValidationFailed({s.unique[-1]: f"已存在{key}相同的{s.label}"})


def _assign(session: Session, obj, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "member_ids":
            obj.members = list(session.execute(select(Member).where(Member.id.in_(value or []))).scalars())
        else:
            setattr(obj, name, value)


def create_in(session: Session, actor: Actor, entity: str, cmd: Command, *, action: str | None = None,
              extra: dict[str, Any] | None = None):
    """Insert within the caller's transaction (used by ``create`` and by the Excel import).
    ``extra`` sets columns the command does not carry (the import's 位置待核 flag)."""
    s = spec(entity)
    values = cmd.values()
    _check_refs(session, s, values)
    _check_unique(session, s, values, None)
    obj = s.model()
    _assign(session, obj, {**values, **(extra or {})})
    obj.version = 1
    session.add(obj)
    session.flush()
    audit(session, actor, action or f"{entity}.create", entity, obj.id, None, record_snapshot(obj))
    return obj


# --------------------------------------------------------------------------- services


def create(actor: Actor, entity: str, data: dict[str, Any], *, today: date | None = None, engine=None) -> int:
    """Create one record; returns its id."""
    s = spec(entity)
    require(actor, s.action)
    cmd = validate(entity, data, today=today)
    try:
        with write_session(engine) as session:
            return create_in(session, actor, entity, cmd).id
    except IntegrityError:
        raise ValidationFailed({s.unique[-1] if s.unique else "__root__": f"{s.label}与已有记录重复"}) from None


def describe_changes(entity: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose value differs (version and bookkeeping columns left out)."""
    skip = {"version", "id", "created_at", "updated_at"}
    return {k: (old.get(k), new.get(k)) for k in new if k not in skip and old.get(k) != new.get(k)}


def update(actor: Actor, entity: str, record_id: int, data: dict[str, Any], expected_version: int, *,
           original: dict[str, Any] | None = None, today: date | None = None, engine=None) -> int:
    """Edit one record opened at ``expected_version``; returns the new version.

    ``original`` is what the form showed when opened (used to say what changed meanwhile when the
    audit trail does not hold that version, e.g. rows loaded by the demo or an older import).
    """
    s = spec(entity)
    require(actor, s.action)
    cmd = validate(entity, data, today=today)
    try:
        with write_session(engine) as session:
            return update_in(session, actor, entity, record_id, cmd, expected_version, original=original)[0]
    except IntegrityError:
        raise ValidationFailed({"__root__": f"{s.label}与已有记录重复或引用无效"}) from None


def update_in(session: Session, actor: Actor, entity: str, record_id: int, cmd: Command, expected_version: int, *,
              original: dict[str, Any] | None = None, action: str | None = None,
              extra: dict[str, Any] | None = None) -> tuple[int, dict[str, tuple[Any, Any]]]:
    """Update within the caller's transaction (used by ``update`` and by the Excel import's re-import):
    row lock, version check, references, uniqueness, audit row with before/after. Returns (version,
    changed fields as old → new); nothing changed: no new version and no audit row.
    ``extra`` sets columns the command does not carry (the import's 位置待核 flag)."""
    s = spec(entity)
    obj = session.get(s.model, record_id, with_for_update=True)
    if obj is None:
        raise NotFound(f"{s.label}（编号 {record_id}）不存在或已被删除")
    current = record_snapshot(obj)
    check_version(session, obj, expected_version, entity=entity, label=f"{s.label}“{getattr(obj, s.title_attr)}”",
                  labels=field_labels(entity), current=current, original=original)
    values = cmd.values()
    _check_refs(session, s, values)
    _check_unique(session, s, values, record_id)
    if "member_ids" in values:
        values["member_ids"] = sorted(set(values["member_ids"]))
    if s.model is Site and obj.location_unverified and (values["lat"], values["lon"]) != (obj.lat, obj.lon):
        values["location_unverified"] = False  # someone placed it: its location is no longer 待核
    values.update(extra or {})
    changes = describe_changes(entity, current, {**current, **jsonable(values)})
    if not changes:
        return obj.version, {}
    _assign(session, obj, values)
    bump_version(obj)
    session.flush()
    audit(session, actor, action or f"{entity}.update", entity, obj.id, current, record_snapshot(obj))
    if entity == "unit" and current["name"] != obj.name:
        _rename_unit(session, current["name"], obj.name)
    return obj.version, changes


def _rename_unit(session: Session, old: str, new: str) -> None:
    """Problems name their unit: a renamed unit keeps its problems (letters keep the name they were issued with)."""
    from sqlalchemy import update as sql_update

    from gangwen_dash.models import Finding, FindingEvent

    session.execute(sql_update(Finding).where(Finding.responsible_unit == old).values(responsible_unit=new))
    session.execute(sql_update(FindingEvent).where(FindingEvent.responsible_unit == old).values(responsible_unit=new))

