"""Actors and a typical 督查录入 command on the demo database, shared by the service, page and concurrency tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from gangwen_dash.db import read_session
from gangwen_dash.models import Member, Site, User
from gangwen_dash.services.auth import actor_for
from tests.support import images

AT = datetime(2019, 11, 12, 10, 0)
NOW = datetime(2019, 11, 12, 15, 0)


def actor(engine, username="inspector1"):
    """The demo account ``username`` as an Actor (role and group from its row)."""
    with read_session(engine) as s:
        return actor_for(s.execute(select(User).where(User.username == username)).scalar_one())


def command(engine, group_id, **over):
    """A routine inspection of the first site: S2 fails with one photographed problem; ``over`` replaces keys."""
    with read_session(engine) as s:
        site = s.execute(select(Site).order_by(Site.id)).scalars().first()
        members = s.execute(select(Member.id).where(Member.group_id == group_id).limit(4)).scalars().all()
    cmd = {
        "idempotency_key": uuid.uuid4().hex,
        "site_id": site.id, "kind": "日常督查", "inspected_at": AT, "group_id": group_id,
        "member_ids": list(members),
        "checklist": {"S1": "符合", "S2": "不符合", "S3": "符合", "S4": "符合", "S5": "不适用", "S6": "符合"},
        "findings": [{
            "category": "S2", "severity": "较重", "responsible_unit": "住建局",
            "description": "砂石料堆放未覆盖防尘网",
            "photos": [{"name": "s2.jpg", "data": images.jpeg(site.lat + 0.0005, site.lon, AT - timedelta(minutes=5))}],
        }],
        "notes": "测试",
    }
    cmd.update(over)
    return cmd, site
