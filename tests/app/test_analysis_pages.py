"""督查整改 / 项目进展 / 履职活动 under AppTest with the 2019 demo (both engines)."""

from datetime import date

from gangwen_dash.db import read_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries import activities, projects, rectification
from gangwen_dash.queries.kpis import kpis
from gangwen_dash.queries.reference import groups, streets
from gangwen_dash.services.base import Actor
from tests.support.apptest import app_test

YEAR = Period(date(2019, 1, 1), date(2019, 12, 31))


def _open(script: str, query: dict | None = None, actor: Actor | None = Actor(None, "chair", "chair")):
    at = app_test(script)
    if actor is not None:
        at.session_state["auth.actor"] = actor
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_rectification_page_2019(demo_url):
    at = _open("pages/rectification.py", {"period": "2019"})
    assert not at.exception
    with read_session() as s:
        k = kpis(s, YEAR)
        recheck = rectification.recheck_failures(s, YEAR)
        repeats = rectification.repeat_sites(s, YEAR)
    m = _metrics(at)
    assert m["发现问题"] == f"{k.findings} 个"
    assert m["整改完成率"] == f"{k.rectification_rate:.1%}"
    assert recheck["rechecks"] > 0 and m["复查未通过率"] == f"{recheck['rate']:.1%}"
    assert len(at.get("vega_lite_chart")) == 3
    units = at.dataframe[0].value
    assert units["findings"].sum() == k.findings and units["closed"].sum() == k.findings_closed
    assert not repeats.empty  # the demo has repeat problems: the table lists them
    assert list(at.dataframe[1].value["repeats"]) == list(repeats["repeats"])


def test_rectification_page_with_group_in_url(demo_url):
    with read_session() as s:
        gid = int(groups(s).iloc[0]["id"])
        k = kpis(s, YEAR, Filters(group_id=gid))
    at = _open("pages/rectification.py", {"period": "2019", "group": str(gid)})
    assert not at.exception
    assert _metrics(at)["发现问题"] == f"{k.findings} 个"
    assert at.selectbox(key="filters.group").value == gid


def test_projects_page_2019_figures(demo_url):
    at = _open("pages/projects.py", {"period": "2019"})
    assert not at.exception
    m = _metrics(at)
    assert (m["民生项目"], m["已解决"], m["推进中"], m["提案"]) == ("78 个", "46 个", "32 个", "136 件")
    with read_session() as s:
        _, rate = projects.proposals_satisfaction(s, YEAR)
        overdue = projects.overdue_replies(s, YEAR)
    assert m["满意率"] == f"{rate:.1%}"
    headers = [h.value for h in at.subheader]
    assert "重点提案（11 件）" in headers and "优秀提案（14 件）" in headers
    assert any(h.startswith("答复超期提案") and f"{len(overdue)} 件" in h for h in headers)
    assert len(at.get("vega_lite_chart")) == 5


def test_projects_page_in_a_week_counts_the_year_so_far(demo_url):
    """A chair on 本周 sees where the year's projects stand at the week's end, not a row of zeros."""
    week_end = date(2019, 12, 29)
    so_far = Period(date(2019, 1, 1), week_end)
    with read_session() as s:
        status = projects.project_status(s, so_far)
        week = projects.project_status(s, Period(date(2019, 12, 23), week_end))
    at = _open("pages/projects.py", {"period": "2019-W52"})
    assert not at.exception
    expected = dict(zip(status["status"], status["projects"], strict=True))
    assert int(week["projects"].sum()) < int(status["projects"].sum())  # the week alone would show (almost) none
    m = _metrics(at)
    assert (m["民生项目"], m["已解决"]) == (f"{sum(expected.values())} 个", f"{expected['已解决']} 个")
    assert "2019年01月01日至12月29日（本期所在年份累计）" in at.caption[0].value


def test_projects_page_street_from_url(demo_url):
    with read_session() as s:
        sid = int(streets(s).iloc[0]["id"])
        status = projects.project_status(s, YEAR, sid)
    at = _open("pages/projects.py", {"period": "2019", "street": str(sid)})
    assert not at.exception
    total = int(status["projects"].sum())
    assert 0 < total < 78
    assert _metrics(at)["民生项目"] == f"{total} 个"


def test_activities_page_2019(demo_url):
    at = _open("pages/activities.py", {"period": "2019"})
    assert not at.exception
    m = _metrics(at)
    assert m["履职活动"] == "82 次"
    assert (m["常委会集体学习"], m["机关学习"], m["界别学习研讨"], m["协商"], m["界别活动"]) == \
        ("4 次", "12 次", "35 次", "12 次", "19 次")
    assert len(at.get("vega_lite_chart")) == 3
    members = at.dataframe[0].value
    with read_session() as s:
        expected = activities.member_participation(s, YEAR)
    assert len(members) == len(expected) >= 68
    assert members["activities"].sum() == expected["activities"].sum() > 0


def test_activities_page_in_a_month_counts_the_year_so_far(demo_url):
    so_far = Period(date(2019, 1, 1), date(2019, 6, 30))
    with read_session() as s:
        expected = int(activities.by_kind(s, so_far)["activities"].sum())
        june = int(activities.by_kind(s, Period(date(2019, 6, 1), date(2019, 6, 30)))["activities"].sum())
    at = _open("pages/activities.py", {"period": "2019-06"})
    assert not at.exception
    assert 0 < june < expected and _metrics(at)["履职活动"] == f"{expected} 次"
    assert "2019年01月01日至06月30日（本期所在年份累计）" in at.caption[0].value


def test_activities_page_group_narrows_members(demo_url):
    with read_session() as s:
        gid = int(groups(s).iloc[1]["id"])
        expected = activities.member_participation(s, YEAR, gid)
    at = _open("pages/activities.py", {"period": "2019", "group": str(gid)})
    assert not at.exception
    assert len(at.dataframe[0].value) == len(expected) > 0
    assert _metrics(at)["履职活动"] == "82 次"  # activities belong to no group


def test_pages_on_an_empty_week(demo_url):
    for script in ("pages/rectification.py", "pages/projects.py", "pages/activities.py",
                   "pages/dashboard.py"):
        at = _open(script, {"period": "2019-W02"} if "dashboard" not in script else {"period": "2019-W10"})
        assert not at.exception, script


def test_pages_refuse_visitors_who_are_not_signed_in(demo_url):
    for script in ("pages/rectification.py", "pages/projects.py", "pages/activities.py"):
        at = _open(script, {"period": "2019"}, actor=None)
        assert not at.exception, script
        assert not at.metric and not at.dataframe, script
        assert any("请先登录" in w.value for w in at.warning), script
