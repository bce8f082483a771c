"""The demo reproduces the 2019 figures exactly and is plausible (both engines)."""

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from gangwen_dash import demo
from gangwen_dash.config import DISTRICT_BBOX
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.periods import Period
from gangwen_dash.models import ConsultationRoom, DutyActivity, Finding, Site
from gangwen_dash.queries.kpis import kpis

YEAR = Period(date(2019, 1, 1), date(2019, 12, 31))


def test_demo_reproduces_2019_figures(demo_engine):
    with read_session(demo_engine) as s:
        k = kpis(s, YEAR)
        activities = dict(s.execute(select(DutyActivity.kind, func.count()).group_by(DutyActivity.kind)).all())
        pilots = s.execute(select(func.count()).where(ConsultationRoom.is_pilot.is_(True))).scalar_one()
    assert (k.inspections, k.members, k.groups, k.rooms) == (32, 68, 2, 75)
    assert (k.projects, k.projects_solved, k.projects_in_progress) == (78, 46, 32)
    assert (k.proposals, k.proposals_key, k.proposals_excellent) == (136, 11, 14)
    assert (k.opinions, k.opinions_instructed) == (46, 23)
    assert k.spot_checks + k.routine_inspections == k.inspections and k.spot_checks > 0
    assert activities == {"常委会集体学习": 4, "机关学习": 12, "界别学习研讨": 35, "协商": 12, "界别活动": 19}
    assert pilots == 16


def test_demo_sites_inside_district_with_street(demo_engine):
    b = DISTRICT_BBOX
    with read_session(demo_engine) as s:
        sites = s.execute(select(Site)).scalars().all()
        assert len(sites) >= 40
        for site in sites:
            assert b["lat_min"] <= site.lat <= b["lat_max"] and b["lon_min"] <= site.lon <= b["lon_max"]
            assert site.street.name
        assert len({site.street_id for site in sites}) >= 6


def test_demo_findings_have_every_outcome(demo_engine):
    with read_session(demo_engine) as s:
        rows = s.execute(select(Finding)).scalars().all()
    closed = [f for f in rows if f.closed_at]
    on_time = [f for f in closed if f.replied_at.date() <= f.first_due_date]
    late = [f for f in closed if f.replied_at.date() > f.first_due_date]
    failed = [f for f in rows if f.recheck_failures]
    overdue = [f for f in rows if not f.closed_at and f.due_date < date(2019, 12, 31)]
    assert on_time and late and failed and overdue
    assert {f.severity for f in rows} == {"一般", "较重", "严重"}
    assert len({f.category for f in rows}) >= 8
    assert all(f.found_at.year == 2019 for f in rows)


def _digest(engine) -> str:
    with read_session(engine) as s:
        rows = s.execute(select(Site.name, Site.lat, Site.lon).order_by(Site.name)).all()
        rows += s.execute(select(Finding.description, Finding.due_date, Finding.closed_at).order_by(Finding.id)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=False)
def test_demo_is_deterministic_and_refuses_non_empty(db_url, engine):
    with write_session(engine) as s:
        demo.load(s, password_hasher=str.upper)
    first = _digest(engine)
    with pytest.raises(demo.DatabaseNotEmpty, match="--reset"), write_session(engine) as s:
        demo.load(s, password_hasher=str.upper)
    with write_session(engine) as s:
        demo.load(s, reset=True, password_hasher=str.upper)
    assert _digest(engine) == first
