"""Reference lists for pickers: groups, streets, members (small tables)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash.models import InspectionGroup, Member, Street


def groups(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(InspectionGroup.id, InspectionGroup.name).order_by(InspectionGroup.sort_order, InspectionGroup.id)
    ).all()
    return pd.DataFrame(rows, columns=["id", "name"])


def streets(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Street.id, Street.name, Street.lat, Street.lon).order_by(Street.id)).all()
    return pd.DataFrame(rows, columns=["id", "name", "lat", "lon"])


def members(session: Session, group_id: int | None = None) -> pd.DataFrame:
    stmt = select(Member.id, Member.name, Member.sector, Member.group_id).where(Member.is_active.is_(True))
    if group_id is not None:
        stmt = stmt.where(Member.group_id == group_id)
    rows = session.execute(stmt.order_by(Member.id)).all()
    return pd.DataFrame(rows, columns=["id", "name", "sector", "group_id"])
