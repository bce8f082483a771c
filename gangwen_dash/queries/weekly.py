"""Reads only the weekly meeting pack needs (issue 6), aggregated or limited in SQL.

Shared figures (KPIs, problems by category/street, the overdue list) come from ``kpis.py`` and
``findings.py`` so the pack and the cockpit agree; this module holds the rest:

- ``week_inspections`` / ``week_findings``: the week's rows for the Excel attachment. "In the week"
  has the ``Period`` meaning (``start 00:00 <= t < end+1 00:00``), the same bounds ``kpis`` counts,
  so the sheets have exactly ``kpis().inspections`` / ``kpis().findings`` rows.
- ``typical_pairs``: up to N problems with both a 整改前 and a 整改后 photo, relevant to the week.
- ``honour_lists``: 红黑榜, by the rule stated in ``HONOUR_RULE``.
- ``latest_week_with_data``: the default week of the meeting page.
- ``weekly_note``: the secretariat's 下周安排 text for a week (and its version, for edits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.domain.periods import Period
from gangwen_dash.models import (
    Finding,
    Inspection,
    InspectionGroup,
    Photo,
    Site,
    Street,
    WeeklyNote,
    inspection_members,
)
from gangwen_dash.queries.kpis import overdue_condition

SEVERITY_RANK = {domain.SEV_SEVERE: 3, domain.SEV_MAJOR: 2, domain.SEV_MINOR: 1}

HONOUR_RULE = (
    "黑榜：截至本周末逾期未整改问题最多的工地（同数按最长逾期天数），取前 3；"
    "红榜：本年度截至本周末被督查过、且截至本周末没有逾期问题的工地，按已销号问题数从多到少（同数按督查次数、工地名），取前 3。"
)


# --------------------------------------------------------------------------- rows for the xlsx


INSPECTION_COLUMNS = ("id", "inspected_at", "site", "street", "group", "kind", "members", "findings")


def week_inspections(session: Session, period: Period) -> list[dict]:
    """The period's inspections, oldest first, with participant and finding counts (subqueries, no N+1)."""
    members = (
        select(func.count()).select_from(inspection_members)
        .where(inspection_members.c.inspection_id == Inspection.id).scalar_subquery()
    )
    findings = select(func.count()).where(Finding.inspection_id == Inspection.id).scalar_subquery()
    rows = session.execute(
        select(Inspection.id, Inspection.inspected_at, Site.name, Street.name, InspectionGroup.name,
               Inspection.kind, members, findings)
        .join(Site, Site.id == Inspection.site_id)
        .join(Street, Street.id == Site.street_id)
        .join(InspectionGroup, InspectionGroup.id == Inspection.group_id)
        .where(Inspection.inspected_at >= period.start_dt, Inspection.inspected_at < period.end_dt)
        .order_by(Inspection.inspected_at, Inspection.id)
    ).all()
    return [dict(zip(INSPECTION_COLUMNS, r, strict=True)) for r in rows]


FINDING_COLUMNS = ("id", "found_at", "site", "street", "group", "category", "severity", "description",
                   "responsible_unit", "due_date", "status", "closed_at")


def week_findings(session: Session, period: Period) -> list[dict]:
    """Problems found in the period, oldest first; ``status`` is the stored one (逾期 is derived elsewhere)."""
    rows = session.execute(
        select(Finding.id, Finding.found_at, Site.name, Street.name, InspectionGroup.name, Finding.category,
               Finding.severity, Finding.description, Finding.responsible_unit, Finding.due_date,
               Finding.status, Finding.closed_at)
        .join(Site, Site.id == Finding.site_id)
        .join(Street, Street.id == Site.street_id)
        .join(InspectionGroup, InspectionGroup.id == Finding.group_id)
        .where(Finding.found_at >= period.start_dt, Finding.found_at < period.end_dt)
        .order_by(Finding.found_at, Finding.id)
    ).all()
    return [dict(zip(FINDING_COLUMNS, r, strict=True)) for r in rows]


# --------------------------------------------------------------------------- typical problems


@dataclass(frozen=True)
class PhotoPair:
    finding_id: int
    site: str
    street: str
    category: str
    severity: str
    description: str
    status: str
    before_path: str
    after_path: str


def typical_pairs(session: Session, period: Period, limit: int = 3) -> list[PhotoPair]:
    """Problems with both a 整改前 and a 整改后 photo, found or closed in the period.

    Chosen by severity (严重 first), then most recent; the first photo of each kind is used
    (thumbnail path when present). Deterministic: ties broken by finding id.
    """
    first_before = (
        select(Photo.finding_id, func.min(Photo.id).label("pid")).where(Photo.kind == domain.PHOTO_KINDS[0])
        .group_by(Photo.finding_id).subquery()
    )
    first_after = (
        select(Photo.finding_id, func.min(Photo.id).label("pid")).where(Photo.kind == domain.PHOTO_KINDS[1])
        .group_by(Photo.finding_id).subquery()
    )
    sev = case(*((Finding.severity == s, r) for s, r in SEVERITY_RANK.items()), else_=0)
    in_week = or_(
        and_(Finding.found_at >= period.start_dt, Finding.found_at < period.end_dt),
        and_(Finding.closed_at >= period.start_dt, Finding.closed_at < period.end_dt),
    )
    ids = session.execute(
        select(Finding.id, first_before.c.pid, first_after.c.pid)
        .join(first_before, first_before.c.finding_id == Finding.id)
        .join(first_after, first_after.c.finding_id == Finding.id)
        .where(in_week)
        .order_by(sev.desc(), Finding.found_at.desc(), Finding.id)
        .limit(limit)
    ).all()
    out: list[PhotoPair] = []
    for fid, before_id, after_id in ids:
        f = session.execute(
            select(Finding.id, Site.name, Street.name, Finding.category, Finding.severity, Finding.description,
                   Finding.status)
            .join(Site, Site.id == Finding.site_id).join(Street, Street.id == Site.street_id)
            .where(Finding.id == fid)
        ).one()
        paths = dict(session.execute(
            select(Photo.id, func.coalesce(func.nullif(Photo.thumb_path, ""), Photo.path))
            .where(Photo.id.in_((before_id, after_id)))
        ).all())
        out.append(PhotoPair(*f, before_path=paths[before_id], after_path=paths[after_id]))
    return out


# --------------------------------------------------------------------------- red and black lists


@dataclass(frozen=True)
class HonourEntry:
    site: str
    street: str
    figure: int  # 黑榜: overdue count; 红榜: closed count
    detail: str


def honour_lists(session: Session, period: Period, size: int = 3) -> tuple[list[HonourEntry], list[HonourEntry]]:
    """(红榜, 黑榜) by ``HONOUR_RULE``; both judged at the period's end."""
    as_of = period.end
    end = period.end_dt
    # 黑榜: most overdue problems per site, then longest overdue.
    days_over = func.min(Finding.due_date)
    black_rows = session.execute(
        select(Site.name, Street.name, func.count().label("n"), days_over.label("oldest"))
        .select_from(Finding)
        .join(Site, Site.id == Finding.site_id).join(Street, Street.id == Site.street_id)
        .where(overdue_condition(as_of))
        .group_by(Site.id, Site.name, Street.name)
        .order_by(func.count().desc(), days_over, Site.name)
        .limit(size)
    ).all()
    black = []
    for name, street, n, oldest in black_rows:
        oldest = oldest if isinstance(oldest, date) else date.fromisoformat(str(oldest))
        black.append(HonourEntry(name, street, int(n), f"逾期 {n} 个，最长 {(as_of - oldest).days} 天"))

    # 红榜: inspected this year by the period's end, no overdue problem at the end, most closed problems.
    year_start = datetime.combine(date(as_of.year, 1, 1), time.min)
    inspected = (
        select(Inspection.site_id, func.count().label("visits"))
        .where(Inspection.inspected_at >= year_start, Inspection.inspected_at < end)
        .group_by(Inspection.site_id).subquery()
    )
    overdue_sites = select(Finding.site_id).where(overdue_condition(as_of))
    closed = (
        select(Finding.site_id, func.count().label("closed"))
        .where(Finding.closed_at.is_not(None), Finding.closed_at >= year_start, Finding.closed_at < end)
        .group_by(Finding.site_id).subquery()
    )
    closed_n = func.coalesce(closed.c.closed, 0)
    red_rows = session.execute(
        select(Site.name, Street.name, closed_n, inspected.c.visits)
        .select_from(inspected)
        .join(Site, Site.id == inspected.c.site_id).join(Street, Street.id == Site.street_id)
        .outerjoin(closed, closed.c.site_id == Site.id)
        .where(Site.id.not_in(overdue_sites))
        .order_by(closed_n.desc(), inspected.c.visits.desc(), Site.name)
        .limit(size)
    ).all()
    red = [HonourEntry(name, street, int(n), f"已销号 {n} 个，督查 {v} 次，无逾期")
           for name, street, n, v in red_rows]
    return red, black


# --------------------------------------------------------------------------- weeks and notes


def latest_week_with_data(session: Session) -> date | None:
    """Monday of the ISO week of the most recent inspection or finding (None on an empty database)."""
    latest = session.execute(
        select(func.max(Inspection.inspected_at))
    ).scalar_one()
    latest_f = session.execute(select(func.max(Finding.found_at))).scalar_one()
    candidates = [d for d in (latest, latest_f) if d is not None]
    if not candidates:
        return None
    day = max(candidates).date()
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class NoteRow:
    iso_week: str
    text: str
    version: int  # 0 when no note exists yet
    updated_at: datetime | None


def weekly_note(session: Session, iso_week: str) -> NoteRow:
    row = session.execute(
        select(WeeklyNote.next_week_plan, WeeklyNote.version, WeeklyNote.updated_at)
        .where(WeeklyNote.iso_week == iso_week)
    ).first()
    if row is None:
        return NoteRow(iso_week, "", 0, None)
    return NoteRow(iso_week, row[0] or "", row[1], row[2])
