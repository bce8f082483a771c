"""The cockpit rollups: triggers keep them equal to a rebuild from the base tables through inserts,
updates and deletes, and the rollup-based figures equal the live ``kpis`` (both engines)."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update

from gangwen_dash import domain
from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import Finding, Inspection, InspectionGroup, Member, Site, inspection_members
from gangwen_dash.queries import findings as fq
from gangwen_dash.queries import rollup
from gangwen_dash.queries.kpis import Filters, Period, kpis
from migrations import rollup_triggers
from tests.support.factory import Factory

TABLES = ("inspection_days", "finding_days", "open_due_days")


def _snapshot(conn) -> dict:
    out = {}
    for table in TABLES:
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()
        out[table] = sorted((str(r[0]), *r[1:]) for r in rows if any(r[2:]))  # zero rows carry nothing
    return out


def _assert_consistent(engine) -> dict:
    """Rollups as kept by the triggers == rollups rebuilt from scratch (rebuild rolled back)."""
    with engine.connect() as conn:
        kept = _snapshot(conn)
        rollup_triggers.rebuild(conn)
        rebuilt = _snapshot(conn)
        conn.rollback()
    assert kept == rebuilt
    return kept


@pytest.fixture
def world(engine):
    with write_session(engine) as s:
        f = Factory(s)
        a, b = f.street("甲街道"), f.street("乙街道")
        g1, g2 = f.group("一组"), f.group("二组")
        m = [f.member(g1), f.member(g1), f.member(g2)]
        sa, sb = f.site(a), f.site(b)
        i1 = f.inspection(sa, g1, datetime(2019, 11, 4, 9), members=m[:2])
        f.finding(i1, category="S2", due=date(2019, 11, 10), replied=datetime(2019, 11, 7, 9),
                  closed=datetime(2019, 11, 8, 10))
        f.finding(i1, category="S3", due=date(2019, 11, 20))
        i2 = f.inspection(sb, g2, datetime(2019, 11, 12, 10), kind=domain.KIND_SPOT, members=m[2:])
        f.finding(i2, due=date(2019, 11, 30))
        f.finding(i2, category="监测监控", first_due=date(2019, 11, 15), due=date(2019, 11, 25),
                  replied=datetime(2019, 12, 1, 9), closed=datetime(2019, 12, 3, 9))
        i3 = f.inspection(sa, g1, datetime(2019, 10, 20, 9))
        f.finding(i3, category="S1", due=date(2019, 10, 25))
        i4 = f.inspection(sb, g2, datetime(2019, 12, 2, 9), members=m[:1])
        f.finding(i4, due=date(2019, 12, 5), replied=datetime(2019, 12, 4, 9), closed=datetime(2019, 12, 9, 9))
        f.finding(i4, due=date(2019, 12, 20), first_due=date(2020, 1, 10))  # original deadline next year
        return {"g1": g1.id, "g2": g2.id, "a": a.id, "b": b.id, "i1": i1.id, "i2": i2.id, "i4": i4.id,
                "m": [x.id for x in m]}


PERIODS = [
    Period(date(2019, 11, 1), date(2019, 11, 30)),
    Period(date(2019, 11, 1), date(2019, 11, 10)),
    Period(date(2019, 11, 11), date(2019, 11, 17)),
    Period(date(2019, 12, 1), date(2019, 12, 5)),
    Period(date(2019, 1, 1), date(2019, 12, 31)),
    Period(date(2019, 10, 1), date(2019, 10, 31)),
    Period(date(2019, 6, 1), date(2019, 6, 30)),
    Period(date(2020, 1, 1), date(2020, 1, 31)),
]


@pytest.fixture(params=["one_pass", "rollup_with_tails"])
def mode(request, monkeypatch):
    """Both ways of computing a period's as-of figures: one pass over its rows, or rollup + corrections."""
    if request.param == "rollup_with_tails":
        monkeypatch.setattr(rollup, "TAIL_SCAN_LIMIT", -1)
    return request.param


def _assert_figures_equal_kpis(engine, world):
    filters = [Filters(), Filters(group_id=world["g1"]), Filters(group_id=world["g2"]), Filters(street_id=world["a"])]
    with read_session(engine) as s:
        for period in PERIODS:
            for flt in filters:
                expected = kpis(s, period, flt).as_dict()
                got = rollup.card_figures(s, period, flt)
                assert got == {k: expected[k] for k in rollup.CARD_KEYS}, (period, flt)
                assert fq.overdue_count(s, period.end, flt) == len(fq.overdue_list(s, period.end, flt))


def test_rollup_figures_equal_live_kpis(engine, world, mode):
    kept = _assert_consistent(engine)
    assert sum(r[2] for r in kept["inspection_days"]) == 4
    assert sum(r[4] for r in kept["inspection_days"]) == 4  # participations
    _assert_figures_equal_kpis(engine, world)


def test_triggers_follow_updates_and_deletes(engine, world, mode):
    with write_session(engine) as s:
        # Lifecycle: a reply, a close, a failed re-check (reopen), a new deadline, a moved inspection.
        f = s.execute(select(Finding).where(Finding.category == "S3")).scalar_one()
        f.replied_at, f.status = datetime(2019, 11, 18, 9), domain.ST_AWAITING_RECHECK
        s.flush()
        f.closed_at, f.status = datetime(2019, 11, 19, 9), domain.ST_CLOSED
        s.flush()
        f.closed_at, f.status, f.due_date = None, domain.ST_RECTIFYING, date(2019, 11, 28)
        s.flush()
        insp = s.get(Inspection, world["i2"])
        insp.inspected_at, insp.group_id, insp.kind = datetime(2019, 11, 13, 8), world["g1"], domain.KIND_ROUTINE
        s.execute(update(Finding).where(Finding.inspection_id == world["i2"]).values(
            found_at=datetime(2019, 11, 13, 8), group_id=world["g1"]))
        i1 = s.get(Inspection, world["i1"])
        i1.members.append(s.get(Member, world["m"][2]))
        s.flush()
    _assert_consistent(engine)
    _assert_figures_equal_kpis(engine, world)
    with write_session(engine) as s:
        s.execute(delete(inspection_members).where(inspection_members.c.member_id == world["m"][0],
                                                    inspection_members.c.inspection_id == world["i1"]))
        s.execute(delete(Finding).where(Finding.inspection_id == world["i4"]))
        s.execute(delete(Inspection).where(Inspection.id == world["i4"]))  # its member row goes too
    kept = _assert_consistent(engine)
    assert sum(r[2] for r in kept["inspection_days"]) == 3
    _assert_figures_equal_kpis(engine, world)


def test_rollups_follow_the_demo_data(demo_engine, mode):
    _assert_consistent(demo_engine)
    with read_session(demo_engine) as s:
        groups = [g for (g,) in s.execute(select(InspectionGroup.id))]
        street = s.execute(select(Site.street_id)).scalars().first()
        start = date(2019, 1, 1)
        for days in (6, 30, 90, 364):
            for offset in range(0, 365, 45):
                period = Period(start + timedelta(days=offset), min(start + timedelta(days=offset + days),
                                                                    date(2019, 12, 31)))
                for flt in (Filters(), Filters(group_id=groups[0]), Filters(street_id=street)):
                    expected = kpis(s, period, flt).as_dict()
                    assert rollup.card_figures(s, period, flt) == {k: expected[k] for k in rollup.CARD_KEYS}


def test_demo_reset_leaves_exact_rollups(demo_engine):
    """seed-demo --reset deletes every row (rollups included) and loads again: no stale counts remain."""
    from gangwen_dash import demo

    before = _assert_consistent(demo_engine)
    with write_session(demo_engine) as s:
        demo.load(s, reset=True, password_hasher=lambda p: "x")
    after = _assert_consistent(demo_engine)
    # Same demo, same days; group ids are new, so compare the totals per day.
    def per_day(rows):
        out = {}
        for day, _group, *counts in rows:
            out[day] = [a + b for a, b in zip(out.get(day, [0] * len(counts)), counts, strict=True)]
        return out
    assert {t: per_day(before[t]) for t in TABLES} == {t: per_day(after[t]) for t in TABLES}
