"""Hostile user text stored through the services, for the page tests (AppTest and Chromium).

Four strings that Markdown or HTML would turn into an outside image request, colour, a link or an
element; every user field below holds one or all of them (within the field's length limit).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from gangwen_dash import domain
from gangwen_dash.db import get_engine, read_session, write_session
from gangwen_dash.domain.dates import iso_week_label
from gangwen_dash.models import Finding, InspectionGroup, Street, Unit, User
from gangwen_dash.services import findings, records
from gangwen_dash.services.base import actor_for
from gangwen_dash.services.inspections import record_inspection
from gangwen_dash.services.sites import register_site
from gangwen_dash.services.weekly_notes import save_weekly_note
from tests.support import images

IMAGE = "![x](http://attacker.example/b.png)"
COLOUR = ":red[x]"
LINK = "[a](javascript:x)"
HTML = "<img src=x onerror=alert(1)>"
HOSTILE = (IMAGE, COLOUR, LINK, HTML)
ALL = " ".join(HOSTILE)

UNIT = "单位" + ALL  # a responsible unit: the list is configuration, see secrets_file()
SITE_LAT, SITE_LON = 32.071, 120.851


@dataclass(frozen=True)
class Stored:
    site_id: int
    site: str
    address: str
    description: str
    notes: str
    hand_over_note: str
    reply: str
    plan: str
    group_id: int
    group: str
    member: str
    finding_id: int
    inspected_at: datetime
    week: str


def secrets_file(directory: Path) -> Path:
    """A secrets file whose responsible-unit list includes the hostile ``UNIT`` (GANGWEN_SECRETS_FILE)."""
    path = directory / "hostile-secrets.toml"
    units = [*domain.RESPONSIBLE_UNITS, UNIT]
    path.write_text(f"[gangwen]\nresponsible_units = {json.dumps(units)}\n", encoding="utf-8")
    return path


def store(url: str) -> Stored:
    """Write the hostile texts into the demo database at ``url`` through the services, as 机关 (admin).

    Needs ``UNIT`` among the configured responsible units (``secrets_file``) in this process.
    """
    engine = get_engine(url)
    with read_session(engine) as s:
        admin = actor_for(s.execute(select(User).where(User.username == "admin")).scalar_one())
        group = s.execute(select(InspectionGroup).order_by(InspectionGroup.id)).scalars().first()
        street_id = s.execute(select(Street.id).order_by(Street.id)).scalars().first()
        group_id, group_version, order = group.id, group.version, group.sort_order
    with write_session(engine) as s:  # the hostile unit in the 责任单位 list (longer than the form allows)
        if s.execute(select(Unit.id).where(Unit.name == UNIT)).first() is None:
            s.add(Unit(name=UNIT, kind="政府部门", version=1))
    group_name = "组" + IMAGE
    records.update(admin, "group", group_id, {"name": group_name, "sort_order": order}, group_version, engine=engine)
    member = "委员" + HTML
    member_id = records.create(admin, "member", {"name": member, "sector": "经济界", "group_id": group_id,
                                                 "is_active": True}, engine=engine)
    site, address = "工地" + ALL, "地址" + ALL
    site_id = register_site(admin, {"name": site, "street_id": street_id, "lat": SITE_LAT, "lon": SITE_LON,
                                    "address": address}, engine=engine)
    at = (datetime.now() - timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    description, notes = "问题" + ALL, "备注" + ALL
    result = record_inspection(admin, {
        "idempotency_key": uuid.uuid4().hex, "site_id": site_id, "kind": domain.KIND_ROUTINE,
        "inspected_at": at, "group_id": group_id, "member_ids": [member_id],
        "checklist": {"S1": "符合", "S2": "不符合", "S3": "符合", "S4": "符合", "S5": "不适用", "S6": "符合"},
        "findings": [{"category": "S2", "severity": domain.SEV_MAJOR, "responsible_unit": UNIT,
                      "description": description,
                      "photos": [{"name": "s2.jpg", "data": images.jpeg(SITE_LAT, SITE_LON, at)}]}],
        "notes": notes,
    }, engine=engine)
    fid = result.finding_ids[0]
    with read_session(engine) as s:
        version = s.get(Finding, fid).version
    hand_over_note = "交办" + ALL
    version = findings.hand_over(admin, {"finding_id": fid, "expected_version": version, "responsible_unit": UNIT,
                                         "due_date": date.today() + timedelta(days=10), "note": hand_over_note},
                                 engine=engine)
    reply = "回复" + ALL
    findings.reply(admin, {"finding_id": fid, "expected_version": version, "text": reply,
                           "photos": [{"name": "after.jpg",
                                       "data": images.jpeg(SITE_LAT, SITE_LON, datetime.now(), color=(60, 160, 60))}]},
                   engine=engine)
    week = iso_week_label(at.date())
    plan = "安排" + ALL
    save_weekly_note(admin, week, plan, 0, engine=engine)
    return Stored(site_id, site, address, description, notes, hand_over_note, reply, plan, group_id, group_name,
                  member, fid, at, week)
