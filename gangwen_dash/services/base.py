"""The one door every write passes: actor, permission check, validation errors, audit row, versions.

A service function takes an ``Actor`` and a pydantic command, opens ONE transaction with
``write_session()``, checks permission with ``require()``, writes, appends an audit row with
``audit()`` and returns. Any exception rolls the whole transaction back: nothing is half-saved.

Errors meant for people carry Chinese messages:
- ``ValidationFailed.errors`` maps a field name (the form's widget) to its message, so pages show
  each message next to its field;
- ``PermissionDenied`` says what the role may not do;
- ``StaleEdit`` says who changed the record meanwhile and what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gangwen_dash.config import local_now
from gangwen_dash.domain import ROLE_LABELS
from gangwen_dash.models import AppState, AuditLog, ConsultationRoom, InspectionGroup, Member, Site, Street
from gangwen_dash.services.permissions import can


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``group_id`` is the inspection group for inspectors and group leaders."""

    user_id: int | None
    username: str
    role: str
    group_id: int | None = None
    display_name: str = ""
    unit_id: int | None = None  # the 责任单位 of a ``unit`` account

    @property
    def label(self) -> str:
        return self.display_name or self.username


def actor_for(user) -> Actor:
    """The actor for a ``models.User`` row as it is now (role and group included)."""
    return Actor(user_id=user.id, username=user.username, role=user.role, group_id=user.group_id,
                 display_name=user.display_name or user.username, unit_id=user.unit_id)


SYSTEM = Actor(user_id=None, username="system", role="secretariat", display_name="系统")


class ServiceError(Exception):
    """Base for errors shown to users; ``str(exc)`` is a Chinese sentence."""


class ValidationFailed(ServiceError):
    """``errors``: field → message. ``needs_confirmation``: the fields whose error the user may
    override by confirming (e.g. photos whose place/time contradict the site), so a page offers the
    confirmation only then — never by reading the message text."""

    def __init__(self, errors: dict[str, str], *, needs_confirmation: frozenset[str] | set[str] = frozenset()) -> None:
        self.errors = errors
        self.needs_confirmation = frozenset(needs_confirmation)
        super().__init__("；".join(errors.values()))


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class StaleEdit(ServiceError):
    """The record changed since the form was opened (optimistic concurrency)."""

    def __init__(self, message: str, changes: dict[str, tuple[Any, Any]] | None = None) -> None:
        self.changes = changes or {}
        super().__init__(message)


def require(actor: Actor, action: str, *, group_id: int | None = None, unit_id: int | None = None) -> None:
    """Raise PermissionDenied unless ``actor`` may do ``action`` (on a record of ``group_id`` / handed to
    the unit ``unit_id``; pass ``unit_id=0`` for a record handed to no known unit)."""
    allowed, reason = can(actor.role, action, actor_group_id=actor.group_id, record_group_id=group_id,
                          actor_unit_id=actor.unit_id, record_unit_id=unit_id)
    if not allowed:
        raise PermissionDenied(reason)


def validation_errors(exc: ValidationError, messages: dict[str, str] | None = None) -> ValidationFailed:
    """Turn a pydantic ValidationError into field → Chinese message.

    Validators in our command models raise ``ValueError`` with Chinese text; pydantic prefixes it
    with "Value error, ", which is stripped. Type errors on a field use ``messages[field]`` when given.
    """
    out: dict[str, str] = {}
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "__root__"
        msg = err.get("msg", "")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        elif messages and field in messages:
            msg = messages[field]
        elif err["type"] == "missing":
            msg = "此项为必填项"
        else:
            msg = f"格式不正确（{msg}）"
        out.setdefault(field, msg)
    return ValidationFailed(out)


def parse(model: type[BaseModel], command: Any, messages: dict[str, str] | None = None):
    """``command`` as a ``model`` command: a model passes as it is, a dict is validated (a refusal is
    ``ValidationFailed`` with field → Chinese message, see ``validation_errors``)."""
    if isinstance(command, model):
        return command
    try:
        return model.model_validate(command)
    except ValidationError as exc:
        raise validation_errors(exc, messages) from None


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj) -> dict[str, Any]:
    """Column values of an ORM object, JSON-ready (for audit before/after)."""
    mapper = sa_inspect(obj).mapper
    return {attr.key: jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def audit(session: Session, actor: Actor, action: str, entity: str, entity_id: int | None,
          before: dict | None = None, after: dict | None = None, *, at: datetime | None = None) -> None:
    """Append one audit row in the caller's transaction (and, for a business write, bump the data version)."""
    if not action.startswith("auth."):
        bump_data_version(session)
    session.add(AuditLog(
        at=at or local_now().replace(microsecond=0), user_id=actor.user_id, username=actor.username,
        action=action, entity=entity, entity_id=entity_id,
        before=json.loads(json.dumps(jsonable(before), ensure_ascii=False)) if before is not None else None,
        after=json.loads(json.dumps(jsonable(after), ensure_ascii=False)) if after is not None else None,
    ))


def bump_data_version(session: Session) -> None:
    """Every process drops its cached reads when this moves (``ui.freshness``); the row lock it takes on
    PostgreSQL lasts only until the writer's commit."""
    session.execute(update(AppState).where(AppState.id == 1).values(data_version=AppState.data_version + 1))


def _fmt(value: Any, limit: int = 300) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


# Fields that hold a reference: a stale-edit message names the record, not its id.
_REFERENCES = {"group_id": InspectionGroup, "street_id": Street, "site_id": Site, "room_id": ConsultationRoom,
               "member_ids": Member}


def _named(session: Session, key: str, value: Any) -> Any:
    """``value`` as people know it: a role's Chinese label, a referenced record's name."""
    if key == "role":
        return ROLE_LABELS.get(value, value)
    model = _REFERENCES.get(key)
    if model is None or value is None or value == "":
        return value
    ids = value if isinstance(value, list | tuple) else [value]
    names = dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
    return "、".join(names.get(i, f"编号 {i}") for i in ids)


def state_at_version(session: Session, entity: str, entity_id: int, version: int) -> tuple[dict | None, list[str]]:
    """The record as it was at ``version`` (the audit row that moved it on holds it as ``before``) and
    who wrote the versions after it."""
    rows = session.execute(
        select(AuditLog.before, AuditLog.after, AuditLog.username)
        .where(AuditLog.entity == entity, AuditLog.entity_id == entity_id).order_by(AuditLog.id)
    ).all()
    state, by = None, []
    for before, after, username in rows:
        if state is None and before and before.get("version") == version:
            state = before
        if after and (after.get("version") or 0) > version and username not in by:
            by.append(username)
    return state, by


def check_version(session: Session, obj, expected_version: int, *, entity: str, label: str,
                  labels: dict[str, str], current: dict[str, Any] | None = None,
                  original: dict[str, Any] | None = None) -> None:
    """Refuse a stale edit: the form was opened at ``expected_version`` (0: there was no record yet) but
    the row moved on. Read ``obj`` with ``with_for_update=True``: on PostgreSQL a concurrent save then waits
    for this transaction and sees the new version (SQLite's BEGIN IMMEDIATE already serializes writers).

    The ``StaleEdit`` message reads "…已被他人修改：字段：旧 → 新；…" over the fields in ``labels``: the old
    values are the row at ``expected_version`` from the audit trail, else ``original`` (what the form
    showed); the new ones are ``current`` (default: the row now). ``changes`` holds them in full.
    """
    if obj.version == expected_version:
        return
    raise stale_edit(session, entity, obj.id, label, expected_version, obj.version,
                     current if current is not None else snapshot(obj), labels, original=original)


def stale_edit(session: Session, entity: str, entity_id: int | None, label: str, expected_version: int,
               current_version: int, current: dict[str, Any], labels: dict[str, str], *,
               original: dict[str, Any] | None = None) -> StaleEdit:
    """The ``StaleEdit`` for a record now at ``current_version`` (with values ``current``) that the user
    opened at ``expected_version``; see ``check_version``."""
    base, by = (state_at_version(session, entity, entity_id, expected_version)
                if entity_id is not None else (None, []))
    fields = [k for k in labels if k != "version"]
    if expected_version == 0:
        base = {}
    else:
        base = base if base is not None else (original or {})
        fields = [k for k in fields if k in base]
    changes = {k: (base.get(k), current.get(k)) for k in fields if base.get(k) != current.get(k)}
    detail = "；".join(f"{labels[k]}：{_fmt(_named(session, k, old))} → {_fmt(_named(session, k, new))}"
                      for k, (old, new) in changes.items())
    opened = "您打开时尚无内容" if expected_version == 0 else f"您打开时为第 {expected_version} 版"
    who = f"修改人：{'、'.join(by)}；" if by else ""
    return StaleEdit(
        f"{label}已被他人修改" + (f"：{detail}" if detail else "")
        + f"（{who}{opened}，现为第 {current_version} 版）。您的修改未保存，请查看最新内容后再改。",
        changes,
    )


def bump_version(obj) -> None:
    obj.version = (obj.version or 1) + 1
