"""SQLAlchemy 2 typed ORM: the whole mission's data model (DESIGN.md §3).

Constraints live in the database (CHECK on enums and ranges, FK, UNIQUE, NOT NULL) so that a
bad row is refused whatever writes it. Timestamps are naive Beijing time (China has no DST);
dates that are whole days (deadlines, meetings) are ``date``.

Findings carry ``site_id``, ``group_id`` and ``found_at`` copied from their inspection: the
cockpit aggregates millions of findings and must not join them to inspections for every figure.
The service layer sets them in the same transaction as the inspection, so they cannot drift.

Length: every table in one module on purpose — the schema is read (and compared by Alembic) as a whole,
and the CHECK constraints sit next to the vocabulary they enforce.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gangwen_dash import domain

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, values, name: str | None = None) -> CheckConstraint:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_enum")


def lat_lon_checks(prefix: str = "", nullable: bool = False) -> tuple[CheckConstraint, CheckConstraint]:
    lat, lon = f"{prefix}lat", f"{prefix}lon"
    null = " OR {c} IS NULL" if nullable else ""
    return (
        CheckConstraint(f"({lat} BETWEEN -90 AND 90){null.format(c=lat)}", name=f"{lat}_range"),
        CheckConstraint(f"({lon} BETWEEN -180 AND 180){null.format(c=lon)}", name=f"{lon}_range"),
    )


class Versioned:
    """Optimistic concurrency: every UPDATE checks and bumps ``version``."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")


# --------------------------------------------------------------------------- people and places


class Street(Base):
    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    __table_args__ = lat_lon_checks()


class InspectionGroup(Base, Versioned):
    __tablename__ = "inspection_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Where the group leader's daily reminder goes (issue 15): e-mail and/or a group-robot webhook.
    notify_email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="", server_default="")


class Member(Base, Versioned):
    """委员: a CPPCC member; ``group_id`` is the inspection group they serve in, if any."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    sector: Mapped[str] = mapped_column(String(40))  # 界别
    group_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_groups.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    group: Mapped[InspectionGroup | None] = relationship(foreign_keys=[group_id])


class Site(Base, Versioned):
    """A construction site under dust-control supervision; coordinates in WGS-84."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    builder: Mapped[str] = mapped_column(String(120), default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="在建", server_default="在建")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # 位置待核: imported without coordinates, placed at its street's centre until someone moves it (issue 16).
    location_unverified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    street: Mapped[Street] = relationship()
    __table_args__ = (*lat_lon_checks(), one_of("status", domain.SITE_STATUSES))


class Unit(Base, Versioned):
    """责任单位 (issue 15): a department, street office or developer that problems are handed over to.

    ``findings.responsible_unit`` (and the hand-over events) hold the unit's ``name``: the ledgers
    exchange it as text and the services resolve it to this row (only active units take new problems).
    """

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="政府部门", server_default="政府部门")
    contact: Mapped[str] = mapped_column(String(40), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    notify_email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    __table_args__ = (one_of("kind", domain.UNIT_KINDS),)


# --------------------------------------------------------------------------- inspections

inspection_members = Table(
    "inspection_members",
    Base.metadata,
    Column("inspection_id", ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id"), primary_key=True, index=True),
)


class Inspection(Base, Versioned):
    """日常督查 or 抽查暗访 of one site by one group."""

    __tablename__ = "inspections"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("inspection_groups.id"))
    kind: Mapped[str] = mapped_column(String(10))
    inspected_at: Mapped[datetime] = mapped_column(DateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(10), default="工地坐标", server_default="工地坐标")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A client-generated token: the same submission sent twice stores one inspection.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    site: Mapped[Site] = relationship()
    group: Mapped[InspectionGroup] = relationship()
    members: Mapped[list[Member]] = relationship(secondary=inspection_members)
    checklist: Mapped[list[ChecklistResult]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )
    findings: Mapped[list[Finding]] = relationship(back_populates="inspection")

    __table_args__ = (
        one_of("kind", domain.INSPECTION_KINDS),
        one_of("location_source", domain.LOCATION_SOURCES),
        *lat_lon_checks(nullable=True),
        Index("ix_inspections_inspected_at", "inspected_at"),
        Index("ix_inspections_site_time", "site_id", "inspected_at"),
        Index("ix_inspections_group_time", "group_id", "inspected_at"),
        # A group's latest inspection of each site (the map with a group filter; migration 0008_i14_maps).
        Index("ix_inspections_site_group_time", "site_id", "group_id", "inspected_at"),
    )


class ChecklistResult(Base):
    __tablename__ = "checklist_results"
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    item: Mapped[str] = mapped_column(String(4), primary_key=True)
    result: Mapped[str] = mapped_column(String(6))
    inspection: Mapped[Inspection] = relationship(back_populates="checklist")
    __table_args__ = (one_of("item", tuple(domain.CHECKLIST_ITEMS)), one_of("result", domain.CHECKLIST_RESULTS))


# A finding "settles" SETTLE_DAYS after it is found: from then on its closed / on-time / overdue state
# as of any later day equals its state now, unless it is "unsettled" (closed, or with a deadline in
# force or original, more than SETTLE_DAYS after the day found, or a deadline before it). The cockpit
# rollups answer "as of a period's end" from the rollups plus a live look at the last SETTLE_DAYS and
# at the unsettled findings (a partial index; one expression here, used by the index and the queries).
SETTLE_DAYS = 31
OPEN_DUE_ID_COLUMNS = ("due_date", "id", "group_id", "site_id", "found_at", "severity", "category", "closed_at")
OPEN_SITE_COLUMNS = ("site_id", "group_id", "found_at", "due_date", "severity", "closed_at")
UNSETTLED_COLUMNS = ("found_at", "group_id", "site_id", "category", "closed_at", "due_date", "first_due_date",
                     "replied_at")


def unsettled_sql(dialect: str) -> str:
    if dialect == "sqlite":
        later = f"date(found_at, '+{SETTLE_DAYS} days')"
        return (f"closed_at > datetime(found_at, '+{SETTLE_DAYS} days') OR due_date > {later} "
                f"OR first_due_date > {later} OR due_date < date(found_at)")
    later = f"CAST(found_at AS DATE) + {SETTLE_DAYS}"
    return (f"closed_at > found_at + interval '{SETTLE_DAYS} days' OR due_date > {later} "
            f"OR first_due_date > {later} OR due_date < CAST(found_at AS DATE)")


class Finding(Base, Versioned):
    """A problem found on an inspection, followed through 交办 → 整改 → 复查 → 销号.

    逾期 (overdue) is derived: ``status != '已销号' and due_date < as_of``; it is never stored.
    ``due_date`` is the deadline in force; ``first_due_date`` the one set when first handed over,
    so on-time rates can be judged against the original promise.
    """

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("inspection_groups.id"))
    found_at: Mapped[datetime] = mapped_column(DateTime)
    category: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(4))
    description: Mapped[str] = mapped_column(Text)
    responsible_unit: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date] = mapped_column(Date)
    first_due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(6), default=domain.ST_NEW, server_default=domain.ST_NEW)
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    rechecked_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    recheck_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reply_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # 现场核验: a photo's EXIF place and time match the site and the inspection.
    verified_on_site: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    photo_flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    inspection: Mapped[Inspection] = relationship(back_populates="findings")
    site: Mapped[Site] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="finding", order_by="Photo.id")
    events: Mapped[list[FindingEvent]] = relationship(back_populates="finding", order_by="FindingEvent.id")

    __table_args__ = (
        one_of("category", domain.FINDING_CATEGORIES),
        one_of("severity", domain.SEVERITIES),
        one_of("status", domain.FINDING_STATUSES),
        CheckConstraint("recheck_failures >= 0", name="recheck_failures_nonneg"),
        CheckConstraint("(status = '已销号') = (closed_at IS NOT NULL)", name="closed_consistent"),
        # Covering (migration 0002): period scans by found_at read the index only.
        Index("ix_findings_found_cover", "found_at", "group_id", "site_id", "category", "closed_at", "due_date",
              "first_due_date", "replied_at"),
        Index("ix_findings_site_found", "site_id", "found_at"),
        # 督查整改's repeat problems: one seek per finding for an earlier one of its site and category.
        Index("ix_findings_site_category_found", "site_id", "category", "found_at", "inspection_id"),
        # A unit's own problems (issue 15): its inbox, letters and reminders read by unit name.
        Index("ix_findings_unit_status", "responsible_unit", "status", "due_date"),
        Index("ix_findings_group_found", "group_id", "found_at"),
        # "As of the period's end" corrections to the cockpit rollups (migration 0002).
        Index("ix_findings_closed_at", "closed_at", "found_at", "due_date", "first_due_date", "replied_at",
              "group_id", postgresql_where=text("closed_at IS NOT NULL"), sqlite_where=text("closed_at IS NOT NULL")),
        Index("ix_findings_first_due", "first_due_date", "found_at", "closed_at", "replied_at", "group_id"),
        # Open findings by deadline (migration 0005, replacing 0002's ix_findings_open_due): the overdue
        # list in (deadline, id) order with group / site / found_at to filter on, the map's site cards
        # (site, deadline, severity) and the open counts, all from the index alone.
        Index("ix_findings_open_due_id", *OPEN_DUE_ID_COLUMNS, postgresql_where=text("closed_at IS NULL"),
              sqlite_where=text("closed_at IS NULL")),
        # Open findings by site (migration 0008_i14_maps): the map's site cards count each site's open,
        # overdue and 严重 problems from the index alone, in site order (no sort for the GROUP BY).
        Index("ix_findings_open_site", *OPEN_SITE_COLUMNS, postgresql_where=text("closed_at IS NULL"),
              sqlite_where=text("closed_at IS NULL")),
        # The few findings whose state "as of" a day may differ from their state now although they were
        # found more than SETTLE_DAYS before it (migration 0005; queries.rollup).
        Index("ix_findings_unsettled", *UNSETTLED_COLUMNS, sqlite_where=text(unsettled_sql("sqlite")),
              postgresql_where=text(unsettled_sql("postgresql"))),
    )


class FindingEvent(Base):
    """One step of a finding's lifecycle: the site timeline is built from these."""

    __tablename__ = "finding_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    action: Mapped[str] = mapped_column(String(6))
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    responsible_unit: Mapped[str | None] = mapped_column(String(40))
    due_date: Mapped[date | None] = mapped_column(Date)
    finding: Mapped[Finding] = relationship(back_populates="events")
    __table_args__ = (one_of("action", domain.FINDING_EVENTS),)


class Photo(Base):
    """Evidence photo, stored re-encoded under the photo directory; EXIF kept when present."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    path: Mapped[str] = mapped_column(String(300))
    thumb_path: Mapped[str] = mapped_column(String(300))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    exif_time: Mapped[datetime | None] = mapped_column(DateTime)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    check_result: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    finding: Mapped[Finding] = relationship(back_populates="photos")
    __table_args__ = (
        one_of("kind", domain.PHOTO_KINDS),
        one_of("check_result", domain.PHOTO_CHECKS),
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
        CheckConstraint("(exif_lat BETWEEN -90 AND 90) OR exif_lat IS NULL", name="exif_lat_range"),
        CheckConstraint("(exif_lon BETWEEN -180 AND 180) OR exif_lon IS NULL", name="exif_lon_range"),
    )


# --------------------------------------------------------------------------- other supervision lines


class ConsultationRoom(Base, Versioned):
    """有事好商量 协商议事室."""

    __tablename__ = "consultation_rooms"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    established_on: Mapped[date] = mapped_column(Date)
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    street: Mapped[Street] = relationship()
    __table_args__ = (one_of("kind", domain.ROOM_KINDS), *lat_lon_checks())


class LivelihoodProject(Base, Versioned):
    """民生项目 raised in a consultation room."""

    __tablename__ = "livelihood_projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("consultation_rooms.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(4))
    raised_on: Mapped[date] = mapped_column(Date)
    solved_on: Mapped[date | None] = mapped_column(Date)
    room: Mapped[ConsultationRoom] = relationship()
    __table_args__ = (
        one_of("status", domain.PROJECT_STATUSES),
        CheckConstraint("(status = '已解决') = (solved_on IS NOT NULL)", name="solved_consistent"),
        CheckConstraint("solved_on IS NULL OR solved_on >= raised_on", name="solved_after_raised"),
        UniqueConstraint("room_id", "title", name="uq_livelihood_projects_room_title"),
    )


class Proposal(Base, Versioned):
    """提案: lifecycle stage, result code, satisfaction, key/excellent flags."""

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. 2019-001
    title: Mapped[str] = mapped_column(String(200))
    proposer: Mapped[str] = mapped_column(String(120))
    submitted_on: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(4))
    handling_unit: Mapped[str] = mapped_column(String(60), default="", server_default="")
    assigned_on: Mapped[date | None] = mapped_column(Date)
    replied_on: Mapped[date | None] = mapped_column(Date)
    result_code: Mapped[str | None] = mapped_column(String(1))
    satisfaction: Mapped[str | None] = mapped_column(String(4))
    is_key: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    is_excellent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    lead_chair: Mapped[str | None] = mapped_column(String(40))
    progress: Mapped[str] = mapped_column(Text, default="", server_default="")
    __table_args__ = (
        one_of("stage", domain.PROPOSAL_STAGES),
        CheckConstraint("result_code IS NULL OR result_code IN ('A', 'B', 'C')", name="result_code_enum"),
        CheckConstraint(
            "satisfaction IS NULL OR satisfaction IN ('满意', '基本满意', '不满意')", name="satisfaction_enum"
        ),
        CheckConstraint("replied_on IS NULL OR replied_on >= submitted_on", name="replied_after_submitted"),
        CheckConstraint("NOT is_key OR lead_chair IS NOT NULL", name="key_has_chair"),
        Index("ix_proposals_submitted_on", "submitted_on"),
    )


class OpinionItem(Base, Versioned):
    """社情民意 item collected by 民意监督员."""

    __tablename__ = "opinion_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    collector: Mapped[str] = mapped_column(String(40))
    submitted_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(4))
    instructed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 领导批示
    __table_args__ = (
        one_of("status", domain.OPINION_STATUSES),
        UniqueConstraint("title", "submitted_on", name="uq_opinion_items_title_date"),
    )


activity_members = Table(
    "activity_members",
    Base.metadata,
    Column("activity_id", ForeignKey("duty_activities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id"), primary_key=True, index=True),
)


class DutyActivity(Base, Versioned):
    """履职活动: study sessions, consultations, sector activities."""

    __tablename__ = "duty_activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    members: Mapped[list[Member]] = relationship(secondary=activity_members)
    __table_args__ = (
        one_of("kind", domain.ACTIVITY_KINDS),
        UniqueConstraint("title", "held_on", name="uq_duty_activities_title_date"),
    )


# --------------------------------------------------------------------------- users, audit, drafts


class User(Base, Versioned):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_groups.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # A 责任单位 account belongs to exactly one unit and sees only the problems handed to it.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # Bumped by a password change or reset: sessions opened with an older value are over.
    credentials_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __table_args__ = (
        one_of("role", domain.ROLES),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_nonneg"),
        CheckConstraint("role NOT IN ('inspector', 'group_leader') OR group_id IS NOT NULL", name="group_required"),
        CheckConstraint("(role = 'unit') = (unit_id IS NOT NULL)", name="unit_required"),
    )


class UserSession(Base):
    """A signed-in browser (migration 0003). The cookie holds the token; only its sha256 is stored."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    idle_expires_at: Mapped[datetime] = mapped_column(DateTime)
    absolute_expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
    user_version: Mapped[int] = mapped_column(Integer)
    user_agent: Mapped[str] = mapped_column(String(200), default="", server_default="")
    method: Mapped[str] = mapped_column(String(10), default="password", server_default="password")


class AppState(Base):
    """One row (id 1). ``data_version`` moves with every business write (``services.base.audit``): every
    app process drops its cached reads when it changes. ``demo_loaded``: the 演示数据 badge."""

    __tablename__ = "app_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    demo_loaded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class AuditLog(Base):
    """Append-only: database triggers (migration 0001) refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    # No FK: the trail must outlive the accounts it names (a reset or a removed user).
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class Draft(Base):
    """Server-side form draft: a reload or dropped connection brings the entry back."""

    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("owner", "form", name="uq_drafts_owner_form"),)


class ImportMapping(Base):
    """How a ledger's columns map to ours, remembered for files with the same headers (migration 0006)."""

    __tablename__ = "import_mappings"
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(20))
    headers: Mapped[list] = mapped_column(JSON)
    mapping: Mapped[dict] = mapped_column(JSON)
    fixed: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(40))


class WeeklyNote(Base, Versioned):
    """下周安排: free text the secretariat writes for one ISO week's meeting pack."""

    __tablename__ = "weekly_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    iso_week: Mapped[str] = mapped_column(String(8), unique=True)  # 2019-W46
    next_week_plan: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)


# --------------------------------------------------------------------------- the loop with the units (issue 15)


class ExtensionRequest(Base, Versioned):
    """延期申请: a unit asks for a later deadline with a reason; the group leader grants or refuses.
    Granting moves ``findings.due_date`` only: ``first_due_date`` still judges 按期."""

    __tablename__ = "extension_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    current_due: Mapped[date] = mapped_column(Date)
    requested_due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(4), default=domain.EXT_PENDING, server_default=domain.EXT_PENDING)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    __table_args__ = (
        one_of("state", domain.EXTENSION_STATES),
        CheckConstraint("requested_due > current_due", name="later_due"),
        CheckConstraint("(state = '待审批') = (decided_at IS NULL)", name="decided_consistent"),
    )


class Letter(Base):
    """交办单: a numbered hand-over letter to one unit. The number (year, seq) is never reused: letters
    are never deleted and ``seq`` is the year's highest plus one, taken under a lock. ``content`` is the
    letter as issued (unit, problems, deadlines, photos), so a reprint is the same letter."""

    __tablename__ = "letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_groups.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict] = mapped_column(JSON)
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_letters_year_seq"),
        CheckConstraint("seq > 0", name="seq_positive"),
    )


letter_items = Table(
    "letter_items",
    Base.metadata,
    Column("letter_id", ForeignKey("letters.id"), primary_key=True),
    Column("finding_id", ForeignKey("findings.id"), primary_key=True, index=True),
)


class OutboxMessage(Base):
    """One reminder to deliver (issue 15). ``dedupe_key`` (date, audience, recipient, channel) makes
    ``notify`` idempotent; failed deliveries are retried from ``next_attempt_at`` with back-off."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    digest_date: Mapped[date] = mapped_column(Date, index=True)
    audience: Mapped[str] = mapped_column(String(8))
    audience_id: Mapped[int] = mapped_column(Integer)
    audience_name: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(4), default=domain.OUT_PENDING, server_default=domain.OUT_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        one_of("state", domain.OUTBOX_STATES),
        one_of("channel", domain.OUTBOX_CHANNELS),
        one_of("audience", domain.DIGEST_AUDIENCES),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )


# --------------------------------------------------------------------------- cockpit rollups
# Kept exact by database triggers (migrations/rollup_triggers.py, migrations 0002 and 0005): never written by
# application code. Read by gangwen_dash.queries.rollup.


class _DayGroupStreet:
    """The key every rollup shares: a day (or a month's first day), an inspection group and the site's street."""

    __table_args__ = {"sqlite_with_rowid": False}
    # sort_order: the key columns first and in this order, as the migrations create them (the primary key's order)
    day: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=-3)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-2)
    street_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)


class InspectionDay(_DayGroupStreet, Base):
    """Per inspection day, group and street of the site: inspections, 抽查暗访, member participations."""

    __tablename__ = "inspection_days"
    inspections: Mapped[int] = mapped_column(Integer, server_default="0")
    spot_checks: Mapped[int] = mapped_column(Integer, server_default="0")
    participations: Mapped[int] = mapped_column(Integer, server_default="0")


class _FindingCounts(_DayGroupStreet):
    """Findings per key and category, of which closed now, of which closed on time now."""

    category: Mapped[str] = mapped_column(String(10), primary_key=True)
    findings: Mapped[int] = mapped_column(Integer, server_default="0")
    closed: Mapped[int] = mapped_column(Integer, server_default="0")
    on_time: Mapped[int] = mapped_column(Integer, server_default="0")


class FindingDay(_FindingCounts, Base):
    """Per day found, group, street of the site and category: findings, of which closed now, of which
    closed on time now."""

    __tablename__ = "finding_days"


class FindingMonth(_FindingCounts, Base):
    """``FindingDay`` per month (``day``: the month's first day), for long periods."""

    __tablename__ = "finding_months"


class FindingDayTotal(_DayGroupStreet, Base):
    """``FindingDay`` without the category (the weekly trend sums a year of days from it)."""

    __tablename__ = "finding_day_totals"
    findings: Mapped[int] = mapped_column(Integer, server_default="0")


class OpenDueDay(_DayGroupStreet, Base):
    """Per deadline (due_date), group and street of the site: findings open now."""

    __tablename__ = "open_due_days"
    n_open: Mapped[int] = mapped_column(Integer, server_default="0")
