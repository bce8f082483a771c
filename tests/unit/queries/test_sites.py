"""Site cards (红/黄/绿牌) as of a day, latest inspection, rooms/projects and heat points (both engines)."""

from datetime import date, datetime

import pytest

from gangwen_dash import domain
from gangwen_dash.config import DISTRICT_BBOX
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import ConsultationRoom, LivelihoodProject
from gangwen_dash.queries.sites import (
    GREEN,
    RED,
    YELLOW,
    card_for,
    finding_heat,
    rooms_with_projects,
    site_cards,
)
from tests.support.factory import Factory


@pytest.mark.parametrize(("open_", "overdue", "severe", "card"), [
    (0, 0, 0, GREEN),
    (2, 0, 0, YELLOW),
    (1, 1, 0, RED),
    (1, 0, 1, RED),
    (3, 2, 1, RED),
])
def test_card_colour_rule(open_, overdue, severe, card):
    assert card_for(open_, overdue, severe) == card


@pytest.fixture
def world(engine):
    """Sites A (one 较重 problem due 11-08, closed 11-12), B (严重, due 11-30, open), C (never inspected)."""
    with write_session(engine) as s:
        f = Factory(s)
        east, west = f.street("东街道"), f.street("西街道")
        g1, g2 = f.group("一组"), f.group("二组")
        a, b, c = f.site(east, "甲工地"), f.site(east, "乙工地"), f.site(west, "丙工地")
        ia = f.inspection(a, g1, datetime(2019, 11, 1, 9, 0))
        f.finding(ia, due=date(2019, 11, 8), severity=domain.SEV_MAJOR, replied=datetime(2019, 11, 11, 9, 0),
                  closed=datetime(2019, 11, 12, 9, 0))
        f.inspection(a, g2, datetime(2019, 11, 20, 9, 0), kind=domain.KIND_SPOT)  # latest at A, by group 2
        ib = f.inspection(b, g2, datetime(2019, 11, 15, 9, 0))
        f.finding(ib, due=date(2019, 11, 30), severity=domain.SEV_SEVERE)
        return {"a": a.id, "b": b.id, "c": c.id, "g1": g1.id, "g2": g2.id, "east": east.id, "west": west.id}


def _cards(engine, as_of, **filters):
    with read_session(engine) as s:
        frame = site_cards(s, as_of, Filters(**filters))
    return {row.id: row for row in frame.itertuples()}


def test_cards_follow_the_problem_over_time(engine, world):
    a, b, c = world["a"], world["b"], world["c"]
    before = _cards(engine, date(2019, 10, 31))
    assert {k: v.card for k, v in before.items()} == {a: GREEN, b: GREEN, c: GREEN}
    # Open and within its deadline (due 11-08 is not overdue on 11-08 itself).
    on_due = _cards(engine, date(2019, 11, 8))
    assert on_due[a].card == YELLOW and (on_due[a].open_count, on_due[a].overdue_count) == (1, 0)
    # The day after the deadline, still open: red.
    late = _cards(engine, date(2019, 11, 9))
    assert late[a].card == RED and late[a].overdue_count == 1
    # Closed on 11-12: green again; B has an open 严重 problem: red although within its deadline.
    after = _cards(engine, date(2019, 11, 20))
    assert after[a].card == GREEN and after[a].open_count == 0
    assert after[b].card == RED and (after[b].overdue_count, after[b].severe_open_count) == (0, 1)
    assert after[c].card == GREEN


def test_latest_inspection_per_site_as_of_the_day(engine, world):
    a, c = world["a"], world["c"]
    mid = _cards(engine, date(2019, 11, 10))
    assert mid[a].last_inspected_at == datetime(2019, 11, 1, 9, 0) and mid[a].last_kind == domain.KIND_ROUTINE
    end = _cards(engine, date(2019, 11, 30))
    assert end[a].last_inspected_at == datetime(2019, 11, 20, 9, 0) and end[a].last_kind == domain.KIND_SPOT
    assert end[c].last_inspected_at is None or str(end[c].last_inspected_at) == "NaT"


def test_group_and_street_filters(engine, world):
    a, b = world["a"], world["b"]
    g1 = _cards(engine, date(2019, 11, 9), group_id=world["g1"])
    assert set(g1) == {a} and g1[a].card == RED
    assert _cards(engine, date(2019, 11, 9), group_id=world["g2"]) == {}  # group 2 started on 11-15
    g2 = _cards(engine, date(2019, 11, 16), group_id=world["g2"])
    assert set(g2) == {b}  # group 2 reached A only on 11-20
    g2_late = _cards(engine, date(2019, 11, 21), group_id=world["g2"])
    assert set(g2_late) == {a, b} and g2_late[a].card == GREEN  # group 1's problem does not count
    assert g2_late[a].last_kind == domain.KIND_SPOT
    west = _cards(engine, date(2019, 11, 30), street_id=world["west"])
    assert set(west) == {world["c"]} and west[world["c"]].street == "西街道"


def test_heat_weights_severity_of_the_periods_findings(engine, world):
    with read_session(engine) as s:
        nov = finding_heat(s, Period(date(2019, 11, 1), date(2019, 11, 30)))
        early = finding_heat(s, Period(date(2019, 11, 1), date(2019, 11, 10)))
        g2 = finding_heat(s, Period(date(2019, 11, 1), date(2019, 11, 30)), Filters(group_id=world["g2"]))
    assert sorted(nov["weight"].tolist()) == [2.0, 3.0]  # 较重 2, 严重 3
    assert early["weight"].tolist() == [2.0] and early["findings"].tolist() == [1]
    assert g2["weight"].tolist() == [3.0]


def test_rooms_count_projects_as_of_the_day(engine, world):
    with write_session(engine) as s:
        room = ConsultationRoom(name="东街道协商议事室", street_id=world["east"], kind="街道", lat=32.06, lon=120.82,
                                established_on=date(2019, 3, 1), is_pilot=True)
        s.add(room)
        s.add(ConsultationRoom(name="晚设议事室", street_id=world["east"], kind="企业", lat=32.07, lon=120.83,
                               established_on=date(2019, 12, 1)))
        s.flush()
        s.add_all([
            LivelihoodProject(room_id=room.id, title="加装电梯", status="已解决", raised_on=date(2019, 4, 1),
                              solved_on=date(2019, 9, 1)),
            LivelihoodProject(room_id=room.id, title="路灯维修", status="推进中", raised_on=date(2019, 5, 1)),
        ])
    with read_session(engine) as s:
        rooms, projects = rooms_with_projects(s, date(2019, 8, 1))
        later, _ = rooms_with_projects(s, date(2019, 12, 31))
    assert rooms["name"].tolist() == ["东街道协商议事室"]
    assert (rooms.loc[0, "projects_solved"], rooms.loc[0, "projects_in_progress"]) == (0, 2)
    assert set(projects["title"]) == {"加装电梯", "路灯维修"} and not projects["solved"].any()
    assert len(later) == 2
    first = later[later["name"] == "东街道协商议事室"].iloc[0]
    assert (first["projects_solved"], first["projects_in_progress"]) == (1, 1)


def test_demo_sites_lie_in_the_district_and_carry_a_street(demo_engine):
    with read_session(demo_engine) as s:
        frame = site_cards(s, date(2019, 12, 31))
        rooms, projects = rooms_with_projects(s, date(2019, 12, 31))
    b = DISTRICT_BBOX
    assert len(frame) > 0
    assert frame["lat"].between(b["lat_min"], b["lat_max"]).all()
    assert frame["lon"].between(b["lon_min"], b["lon_max"]).all()
    assert frame["street"].notna().all() and (frame["street"].str.len() > 0).all()
    assert rooms["lat"].between(b["lat_min"], b["lat_max"]).all()
    assert rooms["lon"].between(b["lon_min"], b["lon_max"]).all()
    # The demo's 2019 figures: 75 rooms, 78 projects of which 46 solved by the year's end.
    assert len(rooms) == 75
    assert (int(rooms["projects_solved"].sum()), int(rooms["projects_in_progress"].sum())) == (46, 32)
    assert len(projects) == 78
    # Some sites carry open problems at the year's end: the map is not uniformly green.
    assert set(frame["card"]) >= {RED, GREEN}


def _cards_by_hand(findings, day: date, group_id=None) -> dict:
    """Per site (open, overdue, severe) as of the end of ``day``, counted in Python from the rows."""
    end = datetime.combine(day, datetime.max.time())
    out: dict[int, list[int]] = {}
    for f in findings:
        if f.found_at > end or (f.closed_at is not None and f.closed_at <= end):
            continue
        if group_id is not None and f.group_id != group_id:
            continue
        counts = out.setdefault(f.site_id, [0, 0, 0])
        counts[0] += 1
        counts[1] += f.due_date < day
        counts[2] += f.severity == domain.SEV_SEVERE
    return {site: tuple(c) for site, c in out.items()}


def test_demo_site_counts_equal_a_count_by_hand_for_many_days_and_groups(demo_engine):
    from sqlalchemy import select

    from gangwen_dash.models import Finding, InspectionGroup

    with read_session(demo_engine) as s:
        findings = s.execute(select(Finding.site_id, Finding.group_id, Finding.found_at, Finding.closed_at,
                                    Finding.due_date, Finding.severity)).all()
        groups = [None, *s.execute(select(InspectionGroup.id).order_by(InspectionGroup.id)).scalars()]
        checked = 0
        for day in (date(2019, 3, 31), date(2019, 6, 15), date(2019, 9, 30), date(2019, 11, 20), date(2019, 12, 31)):
            for group_id in groups[:3]:
                frame = site_cards(s, day, Filters(group_id=group_id))
                got = {int(r.id): (r.open_count, r.overdue_count, r.severe_open_count)
                       for r in frame.itertuples() if r.open_count}
                assert got == _cards_by_hand(findings, day, group_id), (day, group_id)
                checked += len(got)
    assert checked > 0  # the demo has open problems on those days
