"""The cockpit rollups: triggers keep them equal to a rebuild from the base tables through inserts,
updates and deletes, and the rollup-based figures equal the live ``kpis`` (both engines)."""

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import delete, select, text, update

from gangwen_dash import domain, models
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import Finding, Inspection, InspectionGroup, Member, Site, Street, inspection_members
from gangwen_dash.queries import findings as fq
from gangwen_dash.queries import inspections as iq
from gangwen_dash.queries import rollup
from gangwen_dash.queries.cockpit import cockpit
from gangwen_dash.queries.kpis import kpis
from migrations import rollup_triggers
from tests.support.factory import Factory

TABLES = tuple(rollup_triggers.KEYS)


def _snapshot(conn) -> dict:
    """{table: sorted rows as dicts}; rows whose counts are all zero carry nothing and are left out."""
    out = {}
    for table in TABLES:
        keys, counts = rollup_triggers.KEYS[table], rollup_triggers.COUNTS[table]
        rows = conn.execute(text(f"SELECT {', '.join(keys + counts)} FROM {table}")).mappings().all()
        out[table] = sorted(({**r, "day": str(r["day"])} for r in rows if any(r[c] for c in counts)),
                            key=lambda r: tuple(str(r[k]) for k in keys))
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
    Period(date(2019, 12, 1), date(2020, 1, 10)),  # across the new year: 年累计 is shorter than the period
]


@pytest.fixture(params=[31, 3, 0])
def mode(request, monkeypatch):
    """How long findings take to settle: the default (mostly the live pass over the last days), a few
    days (mostly rollups, many unsettled findings corrected live), none (rollups and corrections only)."""
    monkeypatch.setattr(models, "SETTLE_DAYS", request.param)
    return request.param


def _live_daily_findings(s, period, flt) -> dict:
    """{day: findings found that day} straight from the findings table (group / street filters)."""
    stmt = select(Finding.found_at).join(Site, Site.id == Finding.site_id).where(
        Finding.found_at >= period.start_dt, Finding.found_at < period.end_dt)
    if flt.group_id is not None:
        stmt = stmt.where(Finding.group_id == flt.group_id)
    if flt.street_id is not None:
        stmt = stmt.where(Site.street_id == flt.street_id)
    out: dict = {}
    for (found_at,) in s.execute(stmt):
        out[found_at.date()] = out.get(found_at.date(), 0) + 1
    return out


def _assert_views_equal_live(s, period, flt):
    """Every cockpit figure from the rollups equals the live queries (kpis.py, findings.py, inspections.py)."""
    expected = kpis(s, period, flt).as_dict()
    assert rollup.card_figures(s, period, flt) == {k: expected[k] for k in rollup.CARD_KEYS}, (period, flt)
    assert fq.overdue_count(s, period.end, flt) == len(fq.overdue_list(s, period.end, flt))
    parts = rollup.breakdowns(s, period, flt)
    pd.testing.assert_frame_equal(parts.by_category, fq.by_category(s, period, flt), check_dtype=False)
    pd.testing.assert_frame_equal(parts.by_street, fq.by_street(s, period, flt), check_dtype=False)
    pd.testing.assert_frame_equal(parts.groups, iq.group_comparison(s, period, flt.street_id), check_dtype=False)
    data = cockpit(s, period, flt)
    assert {k: data.kpis[k] for k in rollup.CARD_KEYS} == {k: expected[k] for k in rollup.CARD_KEYS}
    pd.testing.assert_frame_equal(data.by_category, parts.by_category)
    pd.testing.assert_frame_equal(data.groups, parts.groups)
    assert int(data.trend.findings.sum()) >= expected["findings"]  # the trend window contains the period
    # The trend's findings per day (finding_day_totals) equal the findings table's.
    daily = {d: n for d, (_, n) in rollup.daily_counts(s, data.trend_period, flt).items() if n}
    assert daily == _live_daily_findings(s, data.trend_period, flt), (period, flt)
    previous = kpis(s, period.previous(), flt).as_dict()
    assert data.kpis_previous == {k: previous[k] for k in rollup.CARD_KEYS}
    ytd = kpis(s, period.year_to_date(), flt).as_dict()
    assert {k: data.kpis_ytd[k] for k in rollup.CARD_KEYS} == {k: ytd[k] for k in rollup.CARD_KEYS}, (period, flt)


def _assert_figures_equal_kpis(engine, world):
    filters = [Filters(), Filters(group_id=world["g1"]), Filters(group_id=world["g2"]), Filters(street_id=world["a"]),
               Filters(street_id=world["b"]), Filters(group_id=world["g1"], street_id=world["a"]),
               Filters(group_id=world["g2"], street_id=world["a"])]
    with read_session(engine) as s:
        for period in PERIODS:
            for flt in filters:
                _assert_views_equal_live(s, period, flt)


def test_rollup_figures_equal_live_kpis(engine, world, mode):
    kept = _assert_consistent(engine)
    assert sum(r["inspections"] for r in kept["inspection_days"]) == 4
    assert sum(r["participations"] for r in kept["inspection_days"]) == 4
    assert sum(r["findings"] for r in kept["finding_months"]) == 7
    assert {r["street_id"] for r in kept["finding_days"]} == {world["a"], world["b"]}
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
    assert sum(r["inspections"] for r in kept["inspection_days"]) == 3
    _assert_figures_equal_kpis(engine, world)


def test_rollups_follow_sites_moving_between_streets(engine, world, mode):
    """A site moved to another street takes its inspections and findings along; so does a finding or
    an inspection moved to another site, or a finding re-categorised."""
    with write_session(engine) as s:
        s.get(Site, s.get(Inspection, world["i1"]).site_id).street_id = world["b"]
    kept = _assert_consistent(engine)
    assert {r["street_id"] for r in kept["finding_days"]} == {world["b"]}
    _assert_figures_equal_kpis(engine, world)
    with write_session(engine) as s:
        f = Factory(s)
        other = f.site(s.get(Street, world["a"]))
        s.get(Inspection, world["i2"]).site_id = other.id
        s.execute(update(Finding).where(Finding.inspection_id == world["i2"]).values(site_id=other.id))
        s.execute(update(Finding).where(Finding.category == "S1").values(category="S6"))
    kept = _assert_consistent(engine)
    assert {r["street_id"] for r in kept["finding_days"]} == {world["a"], world["b"]}
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
                for flt in (Filters(), Filters(group_id=groups[0]), Filters(street_id=street),
                            Filters(group_id=groups[1], street_id=street)):
                    _assert_views_equal_live(s, period, flt)


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
        for r in rows:
            counts = [v for k, v in r.items() if k not in ("day", "group_id", "street_id", "category")]
            out[r["day"]] = [a + b for a, b in zip(out.get(r["day"], [0] * len(counts)), counts, strict=True)]
        return out
    assert {t: per_day(before[t]) for t in TABLES} == {t: per_day(after[t]) for t in TABLES}
