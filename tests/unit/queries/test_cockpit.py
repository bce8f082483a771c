"""Cockpit datasets (findings by category/street, overdue list, weekly trend, group comparison) on a
hand-built fixture with known answers, and their agreement with the KPI cards (both engines)."""

from datetime import date, datetime

import pandas as pd
import pytest

from gangwen_dash import domain
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries import findings as fq
from gangwen_dash.queries import inspections as iq
from gangwen_dash.queries.kpis import kpis
from tests.support.factory import Factory

NOV = Period(date(2019, 11, 1), date(2019, 11, 30))
OCT = Period(date(2019, 10, 1), date(2019, 10, 31))
JUNE = Period(date(2019, 6, 1), date(2019, 6, 30))


@pytest.fixture
def world(engine):
    """Streets A/B, groups g1/g2, one site per street; November holds 3 inspections and 4 findings."""
    with write_session(engine) as s:
        f = Factory(s)
        a, b = f.street("甲街道"), f.street("乙街道")
        g1, g2 = f.group("一组"), f.group("二组")
        m = [f.member(g1), f.member(g1), f.member(g2)]
        sa, sb = f.site(a, "甲工地"), f.site(b, "乙工地")
        i1 = f.inspection(sa, g1, datetime(2019, 11, 4, 9, 0), members=m[:2])
        f.finding(i1, category="S2", due=date(2019, 11, 10), replied=datetime(2019, 11, 7, 10, 0),
                  closed=datetime(2019, 11, 8, 10, 0))
        f.finding(i1, category="S3", due=date(2019, 11, 20))  # open: overdue as of 11-30
        i2 = f.inspection(sb, g2, datetime(2019, 11, 12, 10, 0), kind=domain.KIND_SPOT, members=m[2:])
        f.finding(i2, category="S2", due=date(2019, 11, 30))  # due on the last day: not yet overdue
        f.finding(i2, category="监测监控", due=date(2019, 11, 15), replied=datetime(2019, 12, 1, 9, 0),
                  closed=datetime(2019, 12, 3, 9, 0))  # closed after the period: open and overdue at its end
        i3 = f.inspection(sa, g1, datetime(2019, 10, 20, 9, 0))
        f.finding(i3, category="S1", due=date(2019, 10, 25))  # October backlog, still open
        i4 = f.inspection(sb, g2, datetime(2019, 12, 2, 9, 0))
        f.finding(i4, category="S2", due=date(2019, 12, 5))
        f.inspection(sa, g2, datetime(2019, 11, 25, 15, 0))
        return {"a": a.id, "b": b.id, "g1": g1.id, "g2": g2.id}


def _run(engine, fn, *args, **kw):
    with read_session(engine) as s:
        return fn(s, *args, **kw)


def _records(df: pd.DataFrame, columns) -> list[tuple]:
    return [tuple(r) for r in df[columns].itertuples(index=False)]


def test_by_category_counts_found_closed_and_overdue(engine, world):
    df = _run(engine, fq.by_category, NOV)
    assert list(df.columns) == ["category", "label", "findings", "closed", "overdue"]
    assert _records(df, list(df.columns)) == [
        ("S2", "S2 物料堆放100%覆盖", 2, 1, 0),
        ("S3", "S3 出入车辆100%冲洗", 1, 0, 1),
        ("监测监控", "监测监控", 1, 0, 1),
    ]
    g1 = _run(engine, fq.by_category, NOV, Filters(group_id=world["g1"]))
    assert _records(g1, ["category", "findings", "closed", "overdue"]) == [("S2", 1, 1, 0), ("S3", 1, 0, 1)]
    b = _run(engine, fq.by_category, NOV, Filters(street_id=world["b"]))
    assert _records(b, ["category", "findings", "closed", "overdue"]) == [("S2", 1, 0, 0), ("监测监控", 1, 0, 1)]


def test_by_street_counts(engine, world):
    df = _run(engine, fq.by_street, NOV)
    assert list(df.columns) == ["street_id", "street", "findings", "closed", "overdue"]
    assert _records(df, list(df.columns)) == [(world["a"], "甲街道", 2, 1, 1), (world["b"], "乙街道", 2, 0, 1)]
    only_b = _run(engine, fq.by_street, NOV, Filters(street_id=world["b"]))
    assert _records(only_b, ["street", "findings"]) == [("乙街道", 2)]
    # December: only the one finding of 12-02 (street B), open and not yet due at 12-31? due 12-05 → overdue
    dec = _run(engine, fq.by_street, Period(date(2019, 12, 1), date(2019, 12, 31)))
    assert _records(dec, ["street", "findings", "closed", "overdue"]) == [("乙街道", 1, 0, 1)]


def test_overdue_list_sorted_by_days_and_matches_kpi(engine, world):
    df = _run(engine, fq.overdue_list, date(2019, 11, 30))
    assert list(df.columns) == ["finding_id", "site", "street", "group", "category", "severity", "description",
                                "responsible_unit", "due_date", "days_overdue"]
    assert _records(df, ["category", "site", "street", "group", "due_date", "days_overdue"]) == [
        ("S1", "甲工地", "甲街道", "一组", date(2019, 10, 25), 36),
        ("监测监控", "乙工地", "乙街道", "二组", date(2019, 11, 15), 15),
        ("S3", "甲工地", "甲街道", "一组", date(2019, 11, 20), 10),
    ]
    assert len(df) == _run(engine, kpis, NOV).findings_overdue == _run(engine, fq.overdue_count, NOV.end)
    assert list(_run(engine, fq.overdue_list, NOV.end, limit=2)["days_overdue"]) == [36, 15]
    g1 = _run(engine, fq.overdue_list, NOV.end, Filters(group_id=world["g1"]))
    assert list(g1["category"]) == ["S1", "S3"]
    assert len(g1) == _run(engine, kpis, NOV, Filters(group_id=world["g1"])).findings_overdue
    # By 12-10 the 监测监控 problem is closed; the S2 due 11-30 and the 12-02 one (due 12-05) joined.
    dec = _run(engine, fq.overdue_list, date(2019, 12, 10))
    assert list(dec["category"]) == ["S1", "S3", "S2", "S2"]
    assert list(dec["days_overdue"]) == [46, 20, 10, 5]


def test_weekly_trend_has_every_week_and_sums_to_kpis(engine, world):
    df = _run(engine, iq.weekly_trend, NOV)
    assert list(df.columns) == ["week", "week_start", "inspections", "findings"]
    assert _records(df, list(df.columns)) == [
        ("2019-W44", date(2019, 10, 28), 0, 0),  # Friday 11-01 only: the October inspection is outside
        ("2019-W45", date(2019, 11, 4), 1, 2),
        ("2019-W46", date(2019, 11, 11), 1, 2),
        ("2019-W47", date(2019, 11, 18), 0, 0),
        ("2019-W48", date(2019, 11, 25), 1, 0),
    ]
    k = _run(engine, kpis, NOV)
    assert (df["inspections"].sum(), df["findings"].sum()) == (k.inspections, k.findings)
    a = _run(engine, iq.weekly_trend, NOV, Filters(street_id=world["a"]))
    assert list(a["inspections"]) == [0, 1, 0, 0, 1] and list(a["findings"]) == [0, 2, 0, 0, 0]


def test_group_comparison(engine, world):
    df = _run(engine, iq.group_comparison, NOV)
    assert list(df.columns) == ["group_id", "group", "inspections", "member_participations", "findings", "closed",
                                "closure_rate"]
    assert _records(df, ["group", "inspections", "member_participations", "findings", "closed", "closure_rate"]) == [
        ("一组", 1, 2, 2, 1, 0.5),
        ("二组", 2, 1, 2, 0, 0.0),
    ]
    k = _run(engine, kpis, NOV)
    assert df["inspections"].sum() == k.inspections
    assert df["member_participations"].sum() == k.member_participations
    assert (df["findings"].sum(), df["closed"].sum()) == (k.findings, k.findings_closed)
    a = _run(engine, iq.group_comparison, NOV, street_id=world["a"])
    assert _records(a, ["group", "inspections", "member_participations", "findings", "closed"]) == [
        ("一组", 1, 2, 2, 1), ("二组", 1, 0, 0, 0)]
    assert pd.isna(a.loc[1, "closure_rate"])


def test_empty_period_gives_empty_tables_and_zero_weeks(engine, world):
    assert _run(engine, fq.by_category, JUNE).empty
    assert _run(engine, fq.by_street, JUNE).empty
    assert _run(engine, fq.overdue_list, JUNE.end).empty
    trend = _run(engine, iq.weekly_trend, JUNE)
    assert len(trend) == 5 and trend["inspections"].sum() == 0 and trend["findings"].sum() == 0
    groups = _run(engine, iq.group_comparison, JUNE)
    assert list(groups["inspections"]) == [0, 0] and groups["closure_rate"].isna().all()


def test_period_with_only_overdue_findings(engine, world):
    cat = _run(engine, fq.by_category, OCT)
    assert _records(cat, ["category", "findings", "closed", "overdue"]) == [("S1", 1, 0, 1)]
    street = _run(engine, fq.by_street, OCT)
    assert _records(street, ["street", "findings", "closed", "overdue"]) == [("甲街道", 1, 0, 1)]
    over = _run(engine, fq.overdue_list, OCT.end)
    assert _records(over, ["category", "days_overdue"]) == [("S1", 6)]
    k = _run(engine, kpis, OCT)
    assert (k.findings, k.findings_closed, k.findings_overdue) == (1, 0, 1)
    groups = _run(engine, iq.group_comparison, OCT)
    assert _records(groups, ["group", "findings", "closed"]) == [("一组", 1, 0), ("二组", 0, 0)]
    assert groups.loc[0, "closure_rate"] == 0.0 and pd.isna(groups.loc[1, "closure_rate"])


def test_datasets_agree_with_kpis_on_demo_data(demo_engine):
    year = Period(date(2019, 1, 1), date(2019, 12, 31))
    k = _run(demo_engine, kpis, year)
    assert k.inspections == 32
    cat = _run(demo_engine, fq.by_category, year)
    street = _run(demo_engine, fq.by_street, year)
    trend = _run(demo_engine, iq.weekly_trend, year)
    groups = _run(demo_engine, iq.group_comparison, year)
    assert cat["findings"].sum() == street["findings"].sum() == trend["findings"].sum() == groups["findings"].sum() \
        == k.findings > 0
    assert cat["closed"].sum() == street["closed"].sum() == groups["closed"].sum() == k.findings_closed
    assert trend["inspections"].sum() == groups["inspections"].sum() == k.inspections
    assert groups["member_participations"].sum() == k.member_participations
    over = _run(demo_engine, fq.overdue_list, year.end)
    assert len(over) == k.findings_overdue
    assert list(over["days_overdue"]) == sorted(over["days_overdue"], reverse=True)
