"""Inline site registration, server-side drafts and the entry page's pickers."""

from datetime import date

import pytest
from sqlalchemy import func, select

from gangwen_dash.db import read_session
from gangwen_dash.models import AuditLog, Draft, Site, Street
from gangwen_dash.queries import entry
from gangwen_dash.queries.open_findings import open_findings
from gangwen_dash.services.base import PermissionDenied, ValidationFailed
from gangwen_dash.services.drafts import clear_draft, load_draft, save_draft
from gangwen_dash.services.sites import register_site
from tests.support.inspections import actor


def test_register_site_inline_and_find_it(demo_engine):
    a = actor(demo_engine)
    with read_session(demo_engine) as s:
        street = s.execute(select(Street).where(Street.name == "秦灶街道")).scalar_one()
        n_sites = s.execute(select(func.count()).select_from(Site)).scalar_one()
    cmd = {"name": "秦灶新苑三期安置房", "street_id": street.id, "lat": 32.066, "lon": 120.888, "address": "秦灶路1号"}
    site_id = register_site(a, cmd, engine=demo_engine)
    with pytest.raises(ValidationFailed) as exc:
        register_site(a, cmd, engine=demo_engine)
    assert "已有名为" in exc.value.errors["name"]
    with pytest.raises(ValidationFailed) as exc:
        register_site(a, {**cmd, "name": "上海某工地", "lat": 31.23, "lon": 121.47}, engine=demo_engine)
    assert "不在港闻区范围内" in exc.value.errors["location"]
    with pytest.raises(ValidationFailed) as exc:
        register_site(a, {**cmd, "name": "x"}, engine=demo_engine)
    assert "工地名称" in exc.value.errors["name"]
    with pytest.raises(PermissionDenied):
        register_site(actor(demo_engine, "chair"), {**cmd, "name": "主席登记"}, engine=demo_engine)
    with read_session(demo_engine) as s:
        assert s.execute(select(func.count()).select_from(Site)).scalar_one() == n_sites + 1
        assert s.execute(select(AuditLog.action).where(AuditLog.entity == "site", AuditLog.entity_id == site_id)
                         ).scalars().all() == ["site.register"]
        found = entry.search_sites(s, "新苑 三期")
        assert list(found.site_id) == [site_id]
        assert site_id in set(entry.search_sites(s, "", street_id=street.id).site_id)
        near = entry.nearest_sites(s, 32.0661, 120.8881, limit=3)
        assert near.site_id.iloc[0] == site_id and near.distance_m.iloc[0] < 30
        assert list(near.distance_m) == sorted(near.distance_m)


def test_drafts_saved_per_user_and_form(demo_engine):
    a, b = actor(demo_engine, "inspector1"), actor(demo_engine, "inspector2")
    assert load_draft(a, "entry", engine=demo_engine) is None
    save_draft(a, "entry", {"entry.notes": "第一稿", "entry.check.S2": "不符合"}, engine=demo_engine)
    save_draft(a, "entry", {"entry.notes": "第二稿"}, engine=demo_engine)
    save_draft(b, "entry", {"entry.notes": "别人的"}, engine=demo_engine)
    assert load_draft(a, "entry", engine=demo_engine) == {"entry.notes": "第二稿"}
    clear_draft(a, "entry", engine=demo_engine)
    assert load_draft(a, "entry", engine=demo_engine) is None
    assert load_draft(b, "entry", engine=demo_engine) == {"entry.notes": "别人的"}
    with read_session(demo_engine) as s:
        assert s.execute(select(func.count()).select_from(Draft)).scalar_one() == 1
    with pytest.raises(PermissionDenied):
        save_draft(actor(demo_engine, "chair"), "entry", {}, engine=demo_engine)


def test_open_findings_filters_and_overdue_first(demo_engine):
    a = actor(demo_engine)
    as_of = date(2019, 12, 31)
    with read_session(demo_engine) as s:
        rows = open_findings(s, as_of, group_id=a.group_id)
        assert len(rows) and set(rows.group_id) == {a.group_id}
        assert "已销号" not in set(rows.status)
        flags = list(rows.overdue)
        assert flags == sorted(flags, reverse=True)  # overdue first
        overdue = rows[rows.overdue]
        assert all(overdue.due_date < as_of) and all(rows[~rows.overdue].due_date >= as_of)
        assert list(overdue.days_overdue) == [(as_of - d).days for d in overdue.due_date]
        street_id = int(entry.search_sites(s, rows.street.iloc[0]).street_id.iloc[0])
        by_street = open_findings(s, as_of, group_id=a.group_id, street_id=street_id)
        assert set(by_street.street) == {rows.street.iloc[0]}
        severe = open_findings(s, as_of, severities=["严重"])
        assert set(severe.severity) <= {"严重"}
        awaiting = open_findings(s, as_of, statuses=["待复查"])
        assert set(awaiting.status) <= {"待复查"}
        assert entry.last_used_members(s, a.group_id)
        assert set(entry.last_used_members(s, a.group_id)) <= set(entry.roster(s, a.group_id).member_id)
