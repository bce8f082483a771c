"""Map data: site cards (红/黄/绿牌), consultation rooms with their projects, problem heat points.

Site card as of a day D (DESIGN.md §3), over the problems found by the end of D and still open then:
- 红 (red): at least one of them is overdue (deadline in force before D, as ``kpis.overdue_condition``)
  or is 严重;
- 黄 (yellow): some are open, all within their deadline and none 严重;
- 绿 (green): none open.

With a group filter a site is shown when that group inspected it by D, and only that group's problems
count; with a street filter only that street's sites are shown. Aggregation is in SQL: one GROUP BY over
the open problems and, per site, the latest inspection through the ``(site_id, inspected_at)`` index and
a correlated subquery (perf-baselines.md rule 3: 4 ms at 1M inspections, where GROUP BY takes 1.4 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import and_, case, exists, func, select, union_all
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import ConsultationRoom, Finding, Inspection, LivelihoodProject, Site, Street
from gangwen_dash.queries.reference import streets as street_frame
from gangwen_dash.queries.sqlfuncs import no_index

RED, YELLOW, GREEN = "red", "yellow", "green"
CARDS = (RED, YELLOW, GREEN)
CARD_LABELS = {RED: "红牌", YELLOW: "黄牌", GREEN: "绿牌"}
CARD_MEANINGS = {
    RED: "有逾期或严重问题未销号",
    YELLOW: "有问题整改中，均在期限内",
    GREEN: "无未销号问题",
}
SEVERITY_WEIGHT = {domain.SEV_MINOR: 1, domain.SEV_MAJOR: 2, domain.SEV_SEVERE: 3}

SITE_COLUMNS = ["id", "name", "street_id", "street", "lat", "lon", "status", "last_inspected_at", "last_kind",
                "open_count", "overdue_count", "severe_open_count", "card"]


def card_for(open_count: int, overdue_count: int, severe_open_count: int) -> str:
    """The card colour from a site's open-problem counts."""
    if overdue_count > 0 or severe_open_count > 0:
        return RED
    if open_count > 0:
        return YELLOW
    return GREEN


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min)


def site_cards(session: Session, as_of: date, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per site (columns ``SITE_COLUMNS``), ordered by street then name."""
    end = _end_of(as_of)
    # Open at the end of as_of = open now or closed after it (found by then): two disjoint parts, each
    # counted per site from its own partial index — the open ones from ix_findings_open_site (site order,
    # index only: no sort), those closed later from ix_findings_closed_at — then added up per site.
    parts = []
    for still_open, site_id in ((Finding.closed_at.is_(None), Finding.site_id),
                                (Finding.closed_at >= end, no_index(Finding.site_id))):
        part = select(
            site_id.label("site_id"),
            func.count().label("n"),
            func.sum(case((Finding.due_date < as_of, 1), else_=0)).label("overdue"),
            func.sum(case((Finding.severity == domain.SEV_SEVERE, 1), else_=0)).label("severe"),
        ).where(still_open, no_index(Finding.found_at) < end)
        if filters.group_id is not None:
            group_id = Finding.group_id if site_id is Finding.site_id else no_index(Finding.group_id)
            part = part.where(group_id == filters.group_id)
        parts.append(part.group_by(site_id))
    per_part = union_all(*parts).subquery()
    agg = select(
        per_part.c.site_id,
        func.sum(per_part.c.n).label("open_count"),
        func.sum(per_part.c.overdue).label("overdue_count"),
        func.sum(per_part.c.severe).label("severe_open_count"),
    ).group_by(per_part.c.site_id).subquery()

    # The latest inspection by the end of as_of (of the group, with a group filter): one index probe per
    # site for each column — correlated subqueries in the select list, not a join on a subquery (which
    # PostgreSQL answers by hashing the whole inspections table).
    def latest(column):
        q = select(column).where(Inspection.site_id == Site.id, Inspection.inspected_at < end)
        if filters.group_id is not None:
            q = q.where(Inspection.group_id == filters.group_id)
        return q.order_by(Inspection.inspected_at.desc(), Inspection.id.desc()).limit(1) \
            .correlate(Site).scalar_subquery()

    stmt = (
        select(Site.id, Site.name, Site.street_id, Street.name, Site.lat, Site.lon, Site.status,
               latest(Inspection.inspected_at), latest(Inspection.kind),
               func.coalesce(agg.c.open_count, 0), func.coalesce(agg.c.overdue_count, 0),
               func.coalesce(agg.c.severe_open_count, 0))
        .join(Street, Street.id == Site.street_id)
        .outerjoin(agg, agg.c.site_id == Site.id)
    )
    if filters.street_id is not None:
        stmt = stmt.where(Site.street_id == filters.street_id)
    if filters.group_id is not None:
        stmt = stmt.where(exists().where(Inspection.site_id == Site.id, Inspection.group_id == filters.group_id,
                                         Inspection.inspected_at < end))
    rows = session.execute(stmt.order_by(Site.street_id, Site.name, Site.id)).all()
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS[:-1])
    for col in ("open_count", "overdue_count", "severe_open_count"):
        frame[col] = frame[col].astype(int)
    frame["last_inspected_at"] = pd.to_datetime(frame["last_inspected_at"])
    frame["card"] = [card_for(o, d, s) for o, d, s in
                     zip(frame["open_count"], frame["overdue_count"], frame["severe_open_count"], strict=True)]
    return frame


ROOM_COLUMNS = ["id", "name", "street", "kind", "lat", "lon", "is_pilot", "projects_solved", "projects_in_progress"]


def rooms_with_projects(session: Session, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rooms established by ``as_of`` with their project counts as of then, and the projects themselves.

    A project counts when raised by ``as_of``; it is solved when solved on or before ``as_of``.
    Returns (rooms with ``ROOM_COLUMNS``, projects with ``room_id, title, solved``).
    """
    solved = and_(LivelihoodProject.solved_on.is_not(None), LivelihoodProject.solved_on <= as_of)
    counts = (
        select(LivelihoodProject.room_id.label("room_id"),
               func.sum(case((solved, 1), else_=0)).label("solved"),
               func.sum(case((solved, 0), else_=1)).label("in_progress"))
        .where(LivelihoodProject.raised_on <= as_of)
        .group_by(LivelihoodProject.room_id).subquery()
    )
    rows = session.execute(
        select(ConsultationRoom.id, ConsultationRoom.name, Street.name, ConsultationRoom.kind, ConsultationRoom.lat,
               ConsultationRoom.lon, ConsultationRoom.is_pilot, func.coalesce(counts.c.solved, 0),
               func.coalesce(counts.c.in_progress, 0))
        .join(Street, Street.id == ConsultationRoom.street_id)
        .outerjoin(counts, counts.c.room_id == ConsultationRoom.id)
        .where(ConsultationRoom.established_on <= as_of)
        .order_by(ConsultationRoom.id)
    ).all()
    rooms = pd.DataFrame(rows, columns=ROOM_COLUMNS)
    for col in ("projects_solved", "projects_in_progress"):
        rooms[col] = rooms[col].astype(int)
    projects = pd.DataFrame(
        session.execute(
            select(LivelihoodProject.room_id, LivelihoodProject.title, case((solved, True), else_=False))
            .where(LivelihoodProject.raised_on <= as_of)
            .order_by(LivelihoodProject.room_id, LivelihoodProject.raised_on, LivelihoodProject.id)
        ).all(),
        columns=["room_id", "title", "solved"],
    )
    return rooms, projects


def finding_heat(session: Session, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Heat points of the period's problems: one row per site (lat, lon, weight, findings).

    Weight is the sum of severities (一般 1, 较重 2, 严重 3) of the problems found there in the period.
    """
    weight = case(*((Finding.severity == sev, w) for sev, w in SEVERITY_WEIGHT.items()), else_=1)
    stmt = (
        select(Site.lat, Site.lon, func.sum(weight), func.count())
        .join(Site, Site.id == Finding.site_id)
        .where(Finding.found_at >= period.start_dt, Finding.found_at < period.end_dt)
    )
    if filters.group_id is not None:
        stmt = stmt.where(Finding.group_id == filters.group_id)
    if filters.street_id is not None:
        stmt = stmt.where(Site.street_id == filters.street_id)
    rows = session.execute(stmt.group_by(Site.id, Site.lat, Site.lon).order_by(Site.id)).all()
    frame = pd.DataFrame(rows, columns=["lat", "lon", "weight", "findings"])
    frame["weight"] = frame["weight"].astype(float)
    frame["findings"] = frame["findings"].astype(int)
    return frame


def unverified_sites(session: Session) -> pd.DataFrame:
    """Sites imported without coordinates (位置待核): standing at their street's centre until placed."""
    rows = session.execute(
        select(Site.id, Site.name, Street.name.label("street"), Site.lat, Site.lon, Site.created_at)
        .join(Street, Street.id == Site.street_id).where(Site.location_unverified).order_by(Site.id)
    ).all()
    return pd.DataFrame(rows, columns=["id", "name", "street", "lat", "lon", "created_at"])


@dataclass
class MapData:
    """What the district map shows (WGS-84 coordinates); built by ``map_data``, drawn by ``maps``."""

    sites: pd.DataFrame  # site_cards
    rooms: pd.DataFrame  # rooms_with_projects [0]
    projects: pd.DataFrame  # rooms_with_projects [1]
    heat: pd.DataFrame  # finding_heat
    streets: pd.DataFrame  # queries.reference.streets
    title: str = ""


def map_data(session: Session, period: Period, filters: Filters = Filters(), title: str = "") -> MapData:
    """Everything the map shows for a period and filters: cards as of the period's end, the rooms and
    projects as of then, the period's problem heat; with a street filter only that street's rooms."""
    sites = site_cards(session, period.end, filters)
    rooms, projects = rooms_with_projects(session, period.end)
    heat = finding_heat(session, period, filters)
    streets = street_frame(session)
    if filters.street_id is not None:
        streets = streets[streets["id"] == filters.street_id].reset_index(drop=True)
        rooms = rooms[rooms["street"].isin(streets["name"])].reset_index(drop=True)
        projects = projects[projects["room_id"].isin(rooms["id"])].reset_index(drop=True)
    return MapData(sites, rooms, projects, heat, streets, title)
