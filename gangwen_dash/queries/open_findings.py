"""整改跟踪: open problems for a group, one problem's detail, and a site's photos for the timeline.

Overdue is derived here with ``kpis.overdue_condition`` (the cockpit's definition), never stored:
as of ``as_of`` (normally today) a problem is overdue when it is open and its deadline has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.models import Finding, FindingEvent, InspectionGroup, Photo, Site, Street, User
from gangwen_dash.queries.findings import category_label
from gangwen_dash.queries.kpis import overdue_condition

OPEN_COLUMNS = ["finding_id", "version", "site_id", "site", "street", "group_id", "group", "category", "label",
                "severity", "description", "responsible_unit", "status", "found_at", "due_date", "overdue",
                "days_overdue", "recheck_failures", "verified_on_site", "photo_flagged"]
PHOTO_COLUMNS = ["photo_id", "finding_id", "kind", "path", "thumb_path", "check_result", "exif_time", "created_at"]


def _as_date(value) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _as_dt(value) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def open_findings(session: Session, as_of: date, *, group_id: int | None = None, street_id: int | None = None,
                  statuses: tuple[str, ...] | list[str] | None = None,
                  severities: tuple[str, ...] | list[str] | None = None, overdue_only: bool = False,
                  limit: int = 500) -> pd.DataFrame:
    """Open problems (not 已销号), overdue first (longest overdue first), then by deadline."""
    overdue = overdue_condition(as_of)
    wanted = [s for s in (statuses or domain.OPEN_STATUSES) if s in domain.OPEN_STATUSES]
    stmt = (
        select(Finding.id, Finding.version, Finding.site_id, Site.name, Street.name, Finding.group_id,
               InspectionGroup.name, Finding.category, Finding.severity, Finding.description,
               Finding.responsible_unit, Finding.status, Finding.found_at, Finding.due_date,
               case((overdue, 1), else_=0), Finding.recheck_failures, Finding.verified_on_site,
               Finding.photo_flagged)
        .select_from(Finding)
        .join(Site, Site.id == Finding.site_id)
        .join(Street, Street.id == Site.street_id)
        .join(InspectionGroup, InspectionGroup.id == Finding.group_id)
        .where(Finding.closed_at.is_(None), Finding.status.in_(wanted or ["-"]))
        .order_by(case((overdue, 0), else_=1), Finding.due_date, Finding.id)
        .limit(limit)
    )
    if group_id is not None:
        stmt = stmt.where(Finding.group_id == group_id)
    if street_id is not None:
        stmt = stmt.where(Site.street_id == street_id)
    if severities:
        stmt = stmt.where(Finding.severity.in_(list(severities)))
    if overdue_only:
        stmt = stmt.where(overdue)
    rows = []
    for r in session.execute(stmt).all():
        due = _as_date(r[13])
        is_overdue = bool(r[14])
        rows.append((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], category_label(r[7]), r[8], r[9], r[10],
                     r[11], _as_dt(r[12]), due, is_overdue, (as_of - due).days if is_overdue else 0,
                     int(r[15]), bool(r[16]), bool(r[17])))
    return pd.DataFrame(rows, columns=OPEN_COLUMNS)


def is_overdue(session: Session, finding_id: int, as_of: date) -> bool:
    """The same derived definition for one problem."""
    stmt = select(Finding.id).where(Finding.id == finding_id, overdue_condition(as_of))
    return session.execute(stmt).scalar_one_or_none() is not None


@dataclass
class FindingDetail:
    finding_id: int
    version: int
    site_id: int
    site: str
    group_id: int
    category: str
    label: str
    severity: str
    description: str
    responsible_unit: str
    status: str
    found_at: datetime
    due_date: date
    first_due_date: date
    reply_text: str
    recheck_failures: int
    verified_on_site: bool
    photo_flagged: bool
    events: list[dict] = field(default_factory=list)
    photos: list[dict] = field(default_factory=list)


def finding_detail(session: Session, finding_id: int) -> FindingDetail | None:
    f = session.get(Finding, finding_id)
    if f is None:
        return None
    site = session.get(Site, f.site_id)
    events = session.execute(
        select(FindingEvent.action, FindingEvent.at, FindingEvent.note, FindingEvent.responsible_unit,
               FindingEvent.due_date, User.display_name, User.username)
        .outerjoin(User, User.id == FindingEvent.user_id)
        .where(FindingEvent.finding_id == finding_id).order_by(FindingEvent.at, FindingEvent.id)
    ).all()
    photo_rows = session.execute(
        select(Photo.id, Photo.kind, Photo.path, Photo.thumb_path, Photo.check_result, Photo.exif_time,
               Photo.created_at).where(Photo.finding_id == finding_id).order_by(Photo.id)
    ).all()
    return FindingDetail(
        finding_id=f.id, version=f.version, site_id=f.site_id, site=site.name, group_id=f.group_id,
        category=f.category, label=category_label(f.category), severity=f.severity, description=f.description,
        responsible_unit=f.responsible_unit, status=f.status, found_at=f.found_at, due_date=f.due_date,
        first_due_date=f.first_due_date, reply_text=f.reply_text, recheck_failures=f.recheck_failures,
        verified_on_site=f.verified_on_site, photo_flagged=f.photo_flagged,
        events=[{"action": a, "at": at, "note": note, "responsible_unit": unit, "due_date": due,
                 "by": display or username or ""} for a, at, note, unit, due, display, username in events],
        photos=[{"photo_id": i, "kind": k, "path": p, "thumb_path": t, "check_result": c, "exif_time": e,
                 "created_at": ca} for i, k, p, t, c, e, ca in photo_rows],
    )


def site_photos(session: Session, site_id: int) -> pd.DataFrame:
    """Every photo of a site's problems (整改前 and 整改后), for the timeline's before/after pairs."""
    rows = session.execute(
        select(Photo.id, Photo.finding_id, Photo.kind, Photo.path, Photo.thumb_path, Photo.check_result,
               Photo.exif_time, Photo.created_at)
        .join(Finding, Finding.id == Photo.finding_id)
        .where(Finding.site_id == site_id)
        .order_by(Photo.finding_id, Photo.id)
    ).all()
    return pd.DataFrame(rows, columns=PHOTO_COLUMNS)
