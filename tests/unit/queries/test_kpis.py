"""KPI definitions on hand-built fixtures with known answers (both engines)."""

from datetime import date, datetime

import pytest

from gangwen_dash import domain
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries.kpis import kpis
from tests.support.factory import Factory

NOV = Period(date(2019, 11, 1), date(2019, 11, 30))


def _kpis(engine, period=NOV, **filters):
    with read_session(engine) as s:
        return kpis(s, period, Filters(**filters))


@pytest.fixture
def world(engine):
    with write_session(engine) as s:
        f = Factory(s)
        a, b = f.street("甲街道"), f.street("乙街道")
        g1, g2 = f.group("一组"), f.group("二组")
        m = [f.member(g1), f.member(g1), f.member(g2)]
        f.member(None)  # a member outside the inspection groups does not count
        site_a, site_b = f.site(a), f.site(b)
        ids = {"g1": g1.id, "g2": g2.id, "a": a.id, "b": b.id, "site_a": site_a.id, "site_b": site_b.id,
               "members": [x.id for x in m]}
    return ids


def test_empty_period_has_zero_counts_and_no_rates(engine, world):
    k = _kpis(engine)
    assert (k.inspections, k.findings, k.findings_overdue, k.member_participations) == (0, 0, 0, 0)
    assert k.rectification_rate is None and k.on_time_rate is None
    assert k.members == 3 and k.groups == 2


def test_inspection_counts_kinds_participations_and_filters(engine, world):
    with write_session(engine) as s:
        f = Factory(s)
        from gangwen_dash.models import InspectionGroup, Member, Site

        g1, g2 = s.get(InspectionGroup, world["g1"]), s.get(InspectionGroup, world["g2"])
        site_a, site_b = s.get(Site, world["site_a"]), s.get(Site, world["site_b"])
        m = [s.get(Member, i) for i in world["members"]]
        f.inspection(site_a, g1, datetime(2019, 11, 1, 0, 0), members=m[:2])
        f.inspection(site_a, g1, datetime(2019, 11, 30, 23, 59), kind=domain.KIND_SPOT, members=m[:1])
        f.inspection(site_b, g2, datetime(2019, 11, 15, 10, 0), members=m[2:])
        f.inspection(site_b, g2, datetime(2019, 12, 1, 0, 0))  # first instant after November: excluded
        f.inspection(site_b, g2, datetime(2019, 10, 31, 23, 59))  # before: excluded
    k = _kpis(engine)
    assert (k.inspections, k.spot_checks, k.routine_inspections) == (3, 1, 2)
    assert k.member_participations == 4
    assert k.sites_inspected == 2
    g1 = _kpis(engine, group_id=world["g1"])
    assert (g1.inspections, g1.member_participations, g1.sites_inspected) == (2, 3, 1)
    b = _kpis(engine, street_id=world["b"])
    assert (b.inspections, b.spot_checks) == (1, 0)


def _one_finding(engine, world, **kw):
    with write_session(engine) as s:
        from gangwen_dash.models import InspectionGroup, Site

        f = Factory(s)
        insp = f.inspection(s.get(Site, world["site_a"]), s.get(InspectionGroup, world["g1"]),
                            kw.pop("at", datetime(2019, 11, 10, 9, 0)))
        f.finding(insp, **kw)


def test_finding_due_on_last_day_is_not_overdue_until_the_next_day(engine, world):
    _one_finding(engine, world, due=date(2019, 11, 30))
    k = _kpis(engine)
    assert (k.findings, k.findings_closed, k.findings_overdue) == (1, 0, 0)
    assert k.on_time_rate == 0.0  # due within the period and not rectified
    dec1 = _kpis(engine, Period(date(2019, 12, 1), date(2019, 12, 1)))
    assert dec1.findings == 0 and dec1.findings_overdue == 1  # the backlog counts whenever found


def test_rectified_late_counts_closed_but_not_on_time(engine, world):
    _one_finding(engine, world, due=date(2019, 11, 17), replied=datetime(2019, 11, 20, 10),
                 closed=datetime(2019, 11, 21, 10))
    k = _kpis(engine)
    assert (k.findings, k.findings_closed, k.findings_overdue) == (1, 1, 0)
    assert k.rectification_rate == 1.0 and k.on_time_rate == 0.0
    # As of 11-18 it was open and past its deadline: overdue then (history is reproducible).
    mid = _kpis(engine, Period(date(2019, 11, 1), date(2019, 11, 18)))
    assert (mid.findings_closed, mid.findings_overdue) == (0, 1)


def test_failed_recheck_then_closed_judged_against_original_deadline(engine, world):
    # Original deadline 11-17; the first reply failed re-check, a new deadline 11-25 was set,
    # the second reply came 11-24 and passed on 11-26.
    _one_finding(engine, world, first_due=date(2019, 11, 17), due=date(2019, 11, 25),
                 replied=datetime(2019, 11, 24, 9), closed=datetime(2019, 11, 26, 9), recheck_failures=1)
    k = _kpis(engine)
    assert (k.findings_closed, k.findings_overdue, k.rectification_rate, k.on_time_rate) == (1, 0, 1.0, 0.0)


def test_on_time_and_not_yet_due(engine, world):
    _one_finding(engine, world, due=date(2019, 11, 12), replied=datetime(2019, 11, 12, 16),
                 closed=datetime(2019, 11, 14, 9))
    _one_finding(engine, world, at=datetime(2019, 11, 29, 9), due=date(2019, 12, 6))  # not yet due
    k = _kpis(engine)
    assert (k.findings, k.findings_closed, k.findings_overdue) == (2, 1, 0)
    assert k.rectification_rate == 0.5
    assert k.on_time_rate == 1.0  # only the first was due by 11-30, and it was on time


def test_period_with_only_overdue_findings(engine, world):
    _one_finding(engine, world, at=datetime(2019, 9, 2, 9), due=date(2019, 9, 9))
    _one_finding(engine, world, at=datetime(2019, 9, 3, 9), due=date(2019, 9, 4))
    k = _kpis(engine)
    assert (k.inspections, k.findings, k.findings_overdue) == (0, 0, 2)
    assert k.rectification_rate is None and k.on_time_rate is None


def test_period_rejects_inverted_range():
    with pytest.raises(ValueError, match="开始日期不能晚于结束日期"):
        Period(date(2019, 12, 1), date(2019, 11, 1))


def test_previous_and_year_to_date():
    p = Period(date(2019, 11, 11), date(2019, 11, 17))
    assert p.previous() == Period(date(2019, 11, 4), date(2019, 11, 10))
    assert p.year_to_date() == Period(date(2019, 1, 1), date(2019, 11, 17))
