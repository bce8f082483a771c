"""履职活动: duty activities by type and month, and member participation (activities and inspections).

Activities held in the period (``held_on`` between start and end, inclusive). ``group_id`` narrows the
participation table to the members of one inspection group; activities themselves belong to no group.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.domain.periods import Period
from gangwen_dash.models import (
    DutyActivity,
    Inspection,
    InspectionGroup,
    Member,
    activity_members,
    inspection_members,
)

KIND_COLUMNS = ["kind", "activities", "participations"]
MONTH_COLUMNS = ["month", "kind", "activities"]
MEMBER_COLUMNS = ["member_id", "member", "sector", "group", "activities", "inspections", "total"]


def _held_in(period: Period):
    return (DutyActivity.held_on >= period.start) & (DutyActivity.held_on <= period.end)


def by_kind(session: Session, period: Period) -> pd.DataFrame:
    """Every activity kind in ``domain.ACTIVITY_KINDS`` order: activities held and member participations."""
    counts = dict(session.execute(
        select(DutyActivity.kind, func.count()).where(_held_in(period)).group_by(DutyActivity.kind)).all())
    parts = dict(session.execute(
        select(DutyActivity.kind, func.count())
        .select_from(activity_members)
        .join(DutyActivity, DutyActivity.id == activity_members.c.activity_id)
        .where(_held_in(period)).group_by(DutyActivity.kind)).all())
    return pd.DataFrame([(k, int(counts.get(k, 0)), int(parts.get(k, 0))) for k in domain.ACTIVITY_KINDS],
                        columns=KIND_COLUMNS)


def by_month(session: Session, period: Period) -> pd.DataFrame:
    """Activities per month (``2019-03``) and kind, in month then kind order; zero rows omitted."""
    rows = session.execute(
        select(DutyActivity.held_on, DutyActivity.kind, func.count())
        .where(_held_in(period)).group_by(DutyActivity.held_on, DutyActivity.kind)
    ).all()
    counts: dict[tuple[str, str], int] = {}
    for held_on, kind, n in rows:
        day = date.fromisoformat(held_on) if isinstance(held_on, str) else held_on
        key = (f"{day.year}-{day.month:02d}", kind)
        counts[key] = counts.get(key, 0) + int(n)
    order = {k: i for i, k in enumerate(domain.ACTIVITY_KINDS)}
    data = sorted(((m, k, n) for (m, k), n in counts.items()), key=lambda r: (r[0], order.get(r[1], 99)))
    return pd.DataFrame(data, columns=MONTH_COLUMNS)


def member_participation(session: Session, period: Period, group_id: int | None = None,
                         limit: int | None = None) -> pd.DataFrame:
    """Per active member: activities attended and inspections joined in the period; most active first.

    Members with no participation are included (they matter to the secretariat), after the others.
    """
    acts = (
        select(activity_members.c.member_id, func.count().label("n"))
        .join(DutyActivity, DutyActivity.id == activity_members.c.activity_id)
        .where(_held_in(period)).group_by(activity_members.c.member_id).subquery()
    )
    insps = (
        select(inspection_members.c.member_id, func.count().label("n"))
        .join(Inspection, Inspection.id == inspection_members.c.inspection_id)
        .where(Inspection.inspected_at >= period.start_dt, Inspection.inspected_at < period.end_dt)
        .group_by(inspection_members.c.member_id).subquery()
    )
    a_n, i_n = func.coalesce(acts.c.n, 0), func.coalesce(insps.c.n, 0)
    stmt = (
        select(Member.id, Member.name, Member.sector, InspectionGroup.name, a_n, i_n)
        .outerjoin(InspectionGroup, InspectionGroup.id == Member.group_id)
        .outerjoin(acts, acts.c.member_id == Member.id)
        .outerjoin(insps, insps.c.member_id == Member.id)
        .where(Member.is_active.is_(True))
        .order_by((a_n + i_n).desc(), Member.id)
    )
    if group_id is not None:
        stmt = stmt.where(Member.group_id == group_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    data = [(int(i), name, sector, group or "", int(a), int(n), int(a) + int(n))
            for i, name, sector, group, a, n in session.execute(stmt)]
    return pd.DataFrame(data, columns=MEMBER_COLUMNS)


def participation_summary(members: pd.DataFrame) -> dict:
    """From ``member_participation``'s frame: members, how many took part at all, participations."""
    return {
        "members": len(members),
        "members_active": int((members["total"] > 0).sum()),
        "activity_participations": int(members["activities"].sum()),
        "inspection_participations": int(members["inspections"].sum()),
    }
