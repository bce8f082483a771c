"""Pickers for the entry page: find a site by name or street, nearest sites, the group's roster."""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gangwen_dash.domain.geo import distance_m
from gangwen_dash.models import Inspection, InspectionGroup, Member, Site, Street, inspection_members

SITE_COLUMNS = ["site_id", "name", "street_id", "street", "lat", "lon", "address", "distance_m"]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_sites(session: Session, text: str = "", street_id: int | None = None, limit: int = 50) -> pd.DataFrame:
    """Sites whose name, address or street contains ``text`` (all words), in the street if given."""
    stmt = (
        select(Site.id, Site.name, Site.street_id, Street.name, Site.lat, Site.lon, Site.address)
        .join(Street, Street.id == Site.street_id)
        .order_by(Site.name)
        .limit(limit)
    )
    for word in (text or "").split():
        pattern = f"%{_escape_like(word)}%"
        stmt = stmt.where(or_(Site.name.like(pattern, escape="\\"), Street.name.like(pattern, escape="\\"),
                              Site.address.like(pattern, escape="\\")))
    if street_id is not None:
        stmt = stmt.where(Site.street_id == street_id)
    rows = [(*r, None) for r in session.execute(stmt).all()]
    return pd.DataFrame(rows, columns=SITE_COLUMNS)


def nearest_sites(session: Session, lat: float, lon: float, limit: int = 5, radius_m: float = 5000) -> pd.DataFrame:
    """The ``limit`` sites nearest to (lat, lon) within ``radius_m``; a bounding box narrows in SQL."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    rows = session.execute(
        select(Site.id, Site.name, Site.street_id, Street.name, Site.lat, Site.lon, Site.address)
        .join(Street, Street.id == Site.street_id)
        .where(Site.lat.between(lat - dlat, lat + dlat), Site.lon.between(lon - dlon, lon + dlon))
    ).all()
    with_distance = [(*r, round(distance_m(lat, lon, r[4], r[5]))) for r in rows]
    with_distance = [r for r in with_distance if r[-1] <= radius_m]
    with_distance.sort(key=lambda r: (r[-1], r[0]))
    return pd.DataFrame(with_distance[:limit], columns=SITE_COLUMNS)


def site_info(session: Session, site_id: int) -> dict | None:
    row = session.execute(
        select(Site.id, Site.name, Site.street_id, Street.name, Site.lat, Site.lon, Site.address)
        .join(Street, Street.id == Site.street_id).where(Site.id == site_id)
    ).one_or_none()
    return dict(zip(SITE_COLUMNS[:-1], row, strict=True)) if row else None


def group_name(session: Session, group_id: int) -> str | None:
    return session.execute(select(InspectionGroup.name).where(InspectionGroup.id == group_id)).scalar_one_or_none()


def roster(session: Session, group_id: int) -> pd.DataFrame:
    """Active members of the group (id, name), by name order of entry."""
    rows = session.execute(
        select(Member.id, Member.name).where(Member.group_id == group_id, Member.is_active.is_(True))
        .order_by(Member.id)
    ).all()
    return pd.DataFrame(rows, columns=["member_id", "name"])


def last_used_members(session: Session, group_id: int) -> list[int]:
    """Members of the group's most recent inspection (the roster "as last used"); [] if none yet."""
    last = session.execute(
        select(Inspection.id).where(Inspection.group_id == group_id)
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc()).limit(1)
    ).scalar_one_or_none()
    if last is None:
        return []
    return sorted(session.execute(
        select(inspection_members.c.member_id).where(inspection_members.c.inspection_id == last)
    ).scalars())
