"""Problems in a given state on the demo data, and an after-photo taken on site (for 整改回复 and 复查)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import Finding, Inspection, InspectionGroup
from tests.support import images
from tests.support.inspections import NOW


def group_a(engine) -> int:
    with read_session(engine) as s:
        return s.execute(select(InspectionGroup.id).where(InspectionGroup.name == "第一督查组")).scalar_one()


def finding_in(engine, status: str) -> int:
    """A fresh problem of group A in ``status`` (待交办 / 整改中 / 待复查)."""
    gid = group_a(engine)
    with write_session(engine) as s:
        insp = s.execute(select(Inspection).where(Inspection.group_id == gid, Inspection.inspected_at < NOW)
                         .order_by(Inspection.id)).scalars().first()
        f = Finding(inspection_id=insp.id, site_id=insp.site_id, group_id=gid, found_at=insp.inspected_at,
                    category="其他", severity="一般", description=f"权限测试{uuid.uuid4().hex[:8]}", responsible_unit="住建局",
                    due_date=NOW.date() + timedelta(days=3), first_due_date=NOW.date() + timedelta(days=3),
                    status=status, handed_over_at=None if status == "待交办" else insp.inspected_at,
                    replied_at=insp.inspected_at + timedelta(hours=1) if status == "待复查" else None, version=1)
        s.add(f)
        s.flush()
        return f.id


def after_photo(engine, fid, when):
    with read_session(engine) as s:
        f = s.get(Finding, fid)
        lat, lon = f.site.lat, f.site.lon
    return [{"name": "after.jpg", "data": images.jpeg(lat + 0.0003, lon, when - timedelta(hours=1), color=(90, 160, 90))}]
