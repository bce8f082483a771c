"""督查整改, 项目进展 and 履职活动 datasets on hand-built fixtures with known answers (both engines)."""

from datetime import date, datetime

import pandas as pd
import pytest

from gangwen_dash import domain
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import (
    ConsultationRoom,
    DutyActivity,
    FindingEvent,
    LivelihoodProject,
    Proposal,
)
from gangwen_dash.queries import activities as aq
from gangwen_dash.queries import projects as pq
from gangwen_dash.queries import rectification as rq
from gangwen_dash.queries.kpis import kpis
from tests.support.factory import Factory

NOV = Period(date(2019, 11, 1), date(2019, 11, 30))
OCT = Period(date(2019, 10, 1), date(2019, 10, 31))
JUNE = Period(date(2019, 6, 1), date(2019, 6, 30))
Y2019 = Period(date(2019, 1, 1), date(2019, 12, 31))


def _run(engine, fn, *args, **kw):
    with read_session(engine) as s:
        return fn(s, *args, **kw)


def _rows(df: pd.DataFrame, columns) -> list[tuple]:
    return [tuple(r) for r in df[columns].itertuples(index=False)]


# --------------------------------------------------------------------------- rectification


@pytest.fixture
def rect(engine):
    with write_session(engine) as s:
        f = Factory(s)
        a, b = f.street("甲街道"), f.street("乙街道")
        g1, g2 = f.group("一组"), f.group("二组")
        sa, sb = f.site(a, "甲工地"), f.site(b, "乙工地")
        july = f.inspection(sb, g2, datetime(2019, 7, 1, 9))
        f.finding(july, category="S2", due=date(2019, 7, 3), replied=datetime(2019, 7, 2, 9),
                  closed=datetime(2019, 7, 5, 9))  # > 90 days before the November S2 at 乙工地
        octo = f.inspection(sa, g1, datetime(2019, 10, 20, 9))
        f.finding(octo, category="S3", due=date(2019, 10, 25))  # open, overdue from 10-26
        i1 = f.inspection(sa, g1, datetime(2019, 11, 4, 9))
        f1 = f.finding(i1, category="S2", due=date(2019, 11, 10), replied=datetime(2019, 11, 7, 9),
                       closed=datetime(2019, 11, 8, 10))
        f.finding(i1, category="S3", due=date(2019, 11, 20))  # repeat of October's S3; overdue at 11-30
        i2 = f.inspection(sb, g2, datetime(2019, 11, 12, 10))
        f.finding(i2, category="S2", due=date(2019, 11, 30))  # open, due on the last day
        f4 = f.finding(i2, category="监测监控", first_due=date(2019, 11, 15), due=date(2019, 11, 25),
                       replied=datetime(2019, 11, 24, 9), closed=datetime(2019, 11, 26, 10), recheck_failures=1)
        f4.responsible_unit = "生态环境局"
        i3 = f.inspection(sa, g2, datetime(2019, 11, 25, 9))
        f.finding(i3, category="S2", due=date(2019, 12, 2))  # repeat of f1 at 甲工地 (21 days later)
        f6 = f.finding(i3, category="其他", due=date(2019, 12, 5))
        f6.handed_over_at, f6.status = None, domain.ST_NEW
        s.add_all([
            FindingEvent(finding_id=f1.id, action="复查通过", at=datetime(2019, 11, 8, 10)),
            FindingEvent(finding_id=f4.id, action="复查未通过", at=datetime(2019, 11, 19, 9)),
            FindingEvent(finding_id=f4.id, action="复查通过", at=datetime(2019, 11, 26, 10)),
        ])
        return {"g1": g1.id, "g2": g2.id, "a": a.id, "b": b.id}


def test_funnel_each_stage_as_of_period_end(engine, rect):
    df = _run(engine, rq.funnel, NOV)
    assert _rows(df, ["stage", "findings"]) == [("发现问题", 6), ("已交办", 5), ("已回复", 2), ("已销号", 2)]
    assert df["share"].tolist() == [1.0, round(5 / 6, 4), round(2 / 6, 4), round(2 / 6, 4)]
    # As of 11-10 only f1 (closed 11-08) had gone through; f4 was not yet found... (found 11-12)
    early = _run(engine, rq.funnel, Period(date(2019, 11, 1), date(2019, 11, 10)))
    assert early["findings"].tolist() == [2, 2, 1, 1]
    assert _run(engine, rq.funnel, NOV, Filters(group_id=rect["g1"]))["findings"].tolist() == [2, 2, 1, 1]


def test_outcomes_add_up_to_findings(engine, rect):
    df = _run(engine, rq.outcomes, NOV)
    assert _rows(df, ["outcome", "findings"]) == [("按期整改", 1), ("超期整改", 1), ("逾期未整改", 1), ("整改期内", 3)]
    k = _run(engine, kpis, NOV)
    assert df["findings"].sum() == k.findings
    assert df.loc[2, "findings"] == _run(engine, rq.by_unit, NOV)["overdue"].sum()


def test_recheck_failures_from_events(engine, rect):
    assert _run(engine, rq.recheck_failures, NOV) == {"rechecks": 3, "failed": 1, "findings_failed": 1,
                                                      "rate": round(1 / 3, 4)}
    # As of 11-20 only f1's pass and f4's failure had happened.
    assert _run(engine, rq.recheck_failures, Period(date(2019, 11, 1), date(2019, 11, 20)))["rate"] == 0.5
    assert _run(engine, rq.recheck_failures, JUNE)["rate"] is None


def test_repeat_sites_within_90_days(engine, rect):
    df = _run(engine, rq.repeat_sites, NOV)
    assert _rows(df, ["site", "street", "category", "label", "repeats"]) == [
        ("甲工地", "甲街道", "S2", "S2 物料堆放100%覆盖", 1),
        ("甲工地", "甲街道", "S3", "S3 出入车辆100%冲洗", 1),
    ]
    assert df.loc[0, "last_found"] == datetime(2019, 11, 25, 9)
    assert _run(engine, rq.repeat_sites, NOV, window_days=10)["category"].tolist() == []  # 15 and 21 days apart
    assert _run(engine, rq.repeat_sites, NOV, window_days=20)["category"].tolist() == ["S3"]
    assert _run(engine, rq.repeat_sites, NOV, Filters(street_id=rect["b"])).empty


def test_average_days_to_close_by_unit(engine, rect):
    df = _run(engine, rq.by_unit, NOV)
    assert _rows(df, ["responsible_unit", "findings", "closed", "avg_days_to_close", "overdue"]) == [
        ("生态环境局", 1, 1, 14.0, 0),
        ("住建局", 5, 1, 4.0, 1),
    ]


def test_rectification_empty_and_only_overdue_periods(engine, rect):
    assert _run(engine, rq.funnel, JUNE)["findings"].tolist() == [0, 0, 0, 0]
    assert _run(engine, rq.outcomes, JUNE)["findings"].tolist() == [0, 0, 0, 0]
    assert _run(engine, rq.repeat_sites, JUNE).empty and _run(engine, rq.by_unit, JUNE).empty
    assert _run(engine, rq.funnel, OCT)["findings"].tolist() == [1, 1, 0, 0]
    assert _run(engine, rq.outcomes, OCT)["findings"].tolist() == [0, 0, 1, 0]
    unit = _run(engine, rq.by_unit, OCT)
    assert _rows(unit, ["responsible_unit", "findings", "closed", "overdue"]) == [("住建局", 1, 0, 1)]
    assert pd.isna(unit.loc[0, "avg_days_to_close"])


# --------------------------------------------------------------------------- projects and proposals


@pytest.fixture
def proj(engine):
    with write_session(engine) as s:
        f = Factory(s)
        a, b = f.street("甲街道"), f.street("乙街道")
        ra = ConsultationRoom(name="甲议事室", street_id=a.id, kind="街道", lat=32.06, lon=120.82,
                              established_on=date(2019, 2, 1))
        rb = ConsultationRoom(name="乙议事室", street_id=b.id, kind="村社区", lat=32.06, lon=120.82,
                              established_on=date(2019, 2, 1))
        s.add_all([ra, rb])
        s.flush()
        s.add_all([
            LivelihoodProject(room_id=ra.id, title="加装电梯", status="已解决", raised_on=date(2019, 3, 1),
                              solved_on=date(2019, 5, 1)),
            LivelihoodProject(room_id=ra.id, title="路灯", status="推进中", raised_on=date(2019, 4, 1)),
            LivelihoodProject(room_id=rb.id, title="停车位", status="已解决", raised_on=date(2019, 6, 1),
                              solved_on=date(2020, 1, 10)),  # solved after 2019: in progress at 2019's end
            LivelihoodProject(room_id=rb.id, title="菜场", status="推进中", raised_on=date(2020, 2, 1)),
        ])

        def p(n, submitted, stage, assigned=None, replied=None, result=None, sat=None, **kw):
            s.add(Proposal(number=f"2019-{n:03d}", title=f"提案{n}", proposer="张三", submitted_on=submitted,
                           stage=stage, handling_unit="区住建局" if assigned else "", assigned_on=assigned,
                           replied_on=replied, result_code=result, satisfaction=sat, **kw))

        p(1, date(2019, 1, 10), "办结", date(2019, 1, 20), date(2019, 3, 1), "A", "满意", is_key=True,
          lead_chair="区政协主席", progress="按计划推进")
        p(2, date(2019, 1, 12), "办结", date(2019, 1, 25), date(2019, 6, 1), "B", "基本满意", is_excellent=True)
        p(3, date(2019, 2, 1), "办理中", date(2019, 2, 10))
        p(4, date(2019, 3, 1), "已答复", date(2019, 3, 10), date(2019, 4, 1), "C", "不满意")
        p(5, date(2019, 11, 20), "交办", date(2019, 11, 25))
        p(6, date(2018, 12, 30), "办理中", date(2019, 1, 5))  # submitted in 2018: outside
        return {"a": a.id, "b": b.id}


def test_projects_by_status_street_and_room(engine, proj):
    assert _rows(_run(engine, pq.project_status, Y2019), ["status", "projects"]) == [("已解决", 1), ("推进中", 2)]
    assert _rows(_run(engine, pq.projects_by_street, Y2019), ["street", "projects", "solved", "in_progress"]) == [
        ("甲街道", 2, 1, 1), ("乙街道", 1, 0, 1)]
    rooms = _run(engine, pq.projects_by_room, Y2019, proj["b"])
    assert _rows(rooms, ["room", "street", "room_kind", "projects", "solved"]) == [("乙议事室", "乙街道", "村社区", 1, 0)]
    k = _run(engine, kpis, Y2019)
    assert (k.projects, k.projects_solved) == (3, 1)
    assert _run(engine, pq.project_status, JUNE.__class__(date(2020, 1, 1), date(2020, 12, 31)))[
        "projects"].tolist() == [0, 1]
    assert _run(engine, pq.project_status, JUNE)["projects"].tolist() == [0, 1]  # raised 06-01, open at 06-30


def test_proposals_stage_result_satisfaction(engine, proj):
    stages = _run(engine, pq.proposals_by_stage, Y2019)
    assert dict(_rows(stages, ["stage", "proposals"])) == {"提交": 0, "立案": 0, "不立案": 0, "交办": 1, "办理中": 1,
                                                             "已答复": 1, "办结": 2}
    assert _rows(_run(engine, pq.proposals_by_result, Y2019), ["result_code", "proposals"]) == [
        ("A", 1), ("B", 1), ("C", 1)]
    sat, rate = _run(engine, pq.proposals_satisfaction, Y2019)
    assert _rows(sat, ["satisfaction", "proposals"]) == [("满意", 1), ("基本满意", 1), ("不满意", 1)]
    assert rate == round(2 / 3, 4)
    assert _run(engine, pq.proposals_satisfaction, JUNE)[1] is None
    assert _run(engine, kpis, Y2019).proposals == stages["proposals"].sum() == 5


def test_key_excellent_and_overdue_replies(engine, proj):
    key = _run(engine, pq.key_proposals, Y2019)
    assert _rows(key, ["number", "lead_chair", "progress"]) == [("2019-001", "区政协主席", "按计划推进")]
    assert _run(engine, pq.excellent_proposals, Y2019)["number"].tolist() == ["2019-002"]
    over = _run(engine, pq.overdue_replies, Y2019)
    assert _rows(over, ["number", "assigned_on", "reply_due", "days_overdue"]) == [
        ("2019-003", date(2019, 2, 10), date(2019, 5, 10), 235)]
    assert _run(engine, pq.late_replies, Y2019) == 1  # 2019-002: due 04-25, answered 06-01
    q1 = Period(date(2019, 1, 1), date(2019, 3, 31))
    assert _run(engine, pq.overdue_replies, q1).empty and _run(engine, pq.late_replies, q1) == 0


def test_add_months_clamps_to_month_end():
    assert pq.add_months(date(2019, 11, 30), 3) == date(2020, 2, 29)
    assert pq.add_months(date(2019, 1, 31), 1) == date(2019, 2, 28)
    assert pq.add_months(date(2019, 3, 31), -3) == date(2018, 12, 31)


# --------------------------------------------------------------------------- activities


@pytest.fixture
def acts(engine):
    with write_session(engine) as s:
        f = Factory(s)
        g1, g2 = f.group("一组"), f.group("二组")
        m1, m2, m3, m4 = f.member(g1, "甲"), f.member(g1, "乙"), f.member(g2, "丙"), f.member(None, "丁")
        site = f.site(f.street())
        f.inspection(site, g1, datetime(2019, 4, 1, 9), members=[m1, m3])
        s.add_all([
            DutyActivity(title="学习1", kind="常委会集体学习", held_on=date(2019, 3, 5), members=[m1, m2, m4]),
            DutyActivity(title="协商1", kind="协商", held_on=date(2019, 3, 20), members=[m1]),
            DutyActivity(title="协商2", kind="协商", held_on=date(2019, 5, 10), members=[m3]),
            DutyActivity(title="学习2", kind="机关学习", held_on=date(2020, 1, 5), members=[m2]),
        ])
        return {"g1": g1.id}


def test_activities_by_kind_and_month(engine, acts):
    kinds = _run(engine, aq.by_kind, Y2019)
    assert _rows(kinds, ["kind", "activities", "participations"]) == [
        ("常委会集体学习", 1, 3), ("机关学习", 0, 0), ("界别学习研讨", 0, 0), ("协商", 2, 2), ("界别活动", 0, 0)]
    assert _rows(_run(engine, aq.by_month, Y2019), ["month", "kind", "activities"]) == [
        ("2019-03", "常委会集体学习", 1), ("2019-03", "协商", 1), ("2019-05", "协商", 1)]
    assert _run(engine, aq.by_month, JUNE).empty
    assert _run(engine, aq.by_kind, JUNE)["activities"].sum() == 0


def test_member_participation(engine, acts):
    df = _run(engine, aq.member_participation, Y2019)
    assert _rows(df, ["member", "group", "activities", "inspections", "total"]) == [
        ("甲", "一组", 2, 1, 3), ("丙", "二组", 1, 1, 2), ("乙", "一组", 1, 0, 1), ("丁", "", 1, 0, 1)]
    assert aq.participation_summary(df) == {"members": 4, "members_active": 4, "activity_participations": 5,
                                            "inspection_participations": 2}
    g1 = _run(engine, aq.member_participation, Y2019, acts["g1"])
    assert g1["member"].tolist() == ["甲", "乙"]
    june = _run(engine, aq.member_participation, JUNE)
    assert june["total"].tolist() == [0, 0, 0, 0]
    assert aq.participation_summary(june)["members_active"] == 0
