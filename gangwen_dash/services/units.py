"""Responsible units (责任单位) as the services see them: a problem names its unit by ``name`` (the ledgers
exchange it as text); these helpers resolve the name to the ``units`` row inside the caller's transaction.
The units themselves are managed through ``services.records`` (entity ``unit``, 机关 → 记录管理)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash.models import Unit
from gangwen_dash.services.base import ValidationFailed

UNKNOWN_UNIT = "请选择责任单位（“{name}”不在责任单位名录中或已停用）"


def active_names(session: Session) -> tuple[str, ...]:
    """Names of the units that may take new problems, in name order."""
    return tuple(session.execute(select(Unit.name).where(Unit.is_active.is_(True)).order_by(Unit.id)).scalars())


def resolve(session: Session, name: str, field: str = "responsible_unit") -> Unit:
    """The active unit called ``name``; ValidationFailed on ``field`` otherwise."""
    unit = session.execute(select(Unit).where(Unit.name == (name or "").strip())).scalar_one_or_none()
    if unit is None or not unit.is_active:
        raise ValidationFailed({field: UNKNOWN_UNIT.format(name=name)})
    return unit


def unit_id_for(session: Session, name: str | None) -> int:
    """The id of the unit named ``name`` (0 when no unit has that name): the scope of a unit account."""
    if not name:
        return 0
    return session.execute(select(Unit.id).where(Unit.name == name)).scalar() or 0
