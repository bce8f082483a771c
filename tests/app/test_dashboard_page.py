"""驾驶舱 under AppTest with the 2019 demo (both engines): figures, filters from the URL, default period."""

from datetime import date

from streamlit.proto.Metric_pb2 import Metric as MetricProto

from gangwen_dash.db import read_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries.kpis import kpis
from gangwen_dash.queries.reference import groups, streets
from gangwen_dash.services.base import Actor
from tests.support.apptest import app_test

CHAIR = Actor(user_id=None, username="chair", role="chair")


def _open(query: dict | None = None):
    at = app_test("pages/dashboard.py")
    at.session_state["auth.actor"] = CHAIR
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _metrics(at) -> dict:
    return {m.label: m for m in at.metric}


def test_year_2019_shows_the_review_figures(demo_url):
    at = _open({"period": "2019"})
    assert not at.exception
    m = _metrics(at)
    assert m["督查次数"].value == "32 次"
    assert m["民生项目"].value == "78 个"
    assert m["已解决"].value == "46 个"
    assert m["提案"].value == "136 件"
    assert m["协商议事室"].value == "75 个"
    # 环比 against 2018 (no data): +32; overdue deltas use the inverse colour (more overdue = red).
    assert m["督查次数"].delta == "+32"
    assert m["逾期未整改"].delta.startswith("+") and m["逾期未整改"].delta != "+0"
    assert m["逾期未整改"].proto.color == MetricProto.MetricColor.RED
    assert m["督查次数"].proto.color == MetricProto.MetricColor.GREEN
    assert any("年累计：32 次" in c.value for c in at.caption)
    assert len(at.get("vega_lite_chart")) == 4


def test_default_period_is_latest_week_with_data(demo_url):
    at = _open()
    assert not at.exception
    assert at.query_params["period"] == ["2019-W52"] or at.query_params["period"] == "2019-W52"
    with read_session() as s:
        k = kpis(s, Period(date(2019, 12, 23), date(2019, 12, 29)))
    assert _metrics(at)["督查次数"].value == f"{k.inspections} 次"


def test_url_filters_are_applied(demo_url):
    with read_session() as s:
        g = groups(s).iloc[1]
        st_ = streets(s)
        k_group = kpis(s, Period(date(2019, 1, 1), date(2019, 12, 31)), Filters(group_id=int(g["id"])))
    at = _open({"period": "2019", "group": str(g["id"])})
    assert not at.exception
    assert _metrics(at)["督查次数"].value == f"{k_group.inspections} 次"
    assert 0 < k_group.inspections < 32
    assert at.selectbox(key="filters.group").value == int(g["id"])
    # A street and a month
    sid = int(st_.iloc[0]["id"])
    with read_session() as s:
        k_street = kpis(s, Period(date(2019, 11, 1), date(2019, 11, 30)), Filters(street_id=sid))
    at = _open({"period": "2019-11", "street": str(sid)})
    assert not at.exception
    assert _metrics(at)["督查次数"].value == f"{k_street.inspections} 次"
    assert at.selectbox(key="filters.street").value == sid
    assert at.segmented_control(key="filters.mode").value == "month"


def test_overdue_list_matches_the_overdue_card(demo_url):
    at = _open({"period": "2019"})
    with read_session() as s:
        k = kpis(s, Period(date(2019, 1, 1), date(2019, 12, 31)))
    assert _metrics(at)["逾期未整改"].value == f"{k.findings_overdue} 个"
    table = at.dataframe[-1].value
    assert len(table) == k.findings_overdue
    assert list(table["days_overdue"]) == sorted(table["days_overdue"], reverse=True)
    assert any(f"共 {k.findings_overdue} 个" in h.value for h in at.subheader)


def test_unset_group_and_street_read_all_not_a_placeholder(demo_url):
    """With no group/street chosen the filter shows 全部 (not Streamlit's empty placeholder)."""
    at = _open()
    group, street = at.selectbox(key="filters.group"), at.selectbox(key="filters.street")
    assert group.value == 0 and street.value == 0
    assert group.format_func(group.value) == "全部" and street.format_func(street.value) == "全部"
    assert "group" not in at.query_params and "street" not in at.query_params


def test_page_refuses_a_visitor_who_is_not_signed_in(demo_url):
    at = app_test("pages/dashboard.py")
    at.query_params["period"] = "2019"
    at.run()
    assert not at.exception
    assert not at.metric and any("请先登录" in w.value for w in at.warning)


def test_link_values_that_do_not_exist_get_a_chinese_notice(demo_url):
    for query, fragment in (({"period": "2019-W99"}, "时期无效"), ({"group": "abc"}, "督查组参数无效"),
                            ({"group": "99"}, "督查组（编号 99）不存在"), ({"street": "77"}, "街道（编号 77）不存在")):
        at = _open(query)
        assert not at.exception
        assert any(fragment in w.value for w in at.warning), (query, [w.value for w in at.warning])


def test_period_picker_offers_every_year_with_data_and_keeps_year_and_month(demo_url):
    """Data in 2019 (the demo) and one inspection in 2026: the week, month and year pickers offer both
    years; 本月 2019-11 → 本周 stays in November 2019 (not the latest week), and back."""
    from datetime import datetime

    from sqlalchemy import select

    from gangwen_dash.db import write_session
    from gangwen_dash.models import InspectionGroup, Site
    from tests.support.factory import Factory

    with write_session() as s:
        site = s.execute(select(Site)).scalars().first()
        group = s.execute(select(InspectionGroup)).scalars().first()
        Factory(s).inspection(site, group, datetime(2026, 11, 30, 9))
    at = _open()
    assert not at.exception
    assert at.selectbox(key="filters.week").value == "2026-W49"  # Monday 30 November 2026
    assert {"2019", "2026"} <= set(at.selectbox(key="filters.year").options)
    at.selectbox(key="filters.year").set_value(2019).run()
    assert at.selectbox(key="filters.week").value == "2019-W52"  # the year's newest week
    assert at.selectbox(key="filters.week").options[-1].startswith("2019年第1周")
    at.segmented_control(key="filters.mode").set_value("month").run()
    assert at.selectbox(key="filters.year").value == 2019
    assert at.selectbox(key="filters.month").value == "2019-12"
    at.selectbox(key="filters.month").set_value("2019-11").run()
    at.segmented_control(key="filters.mode").set_value("week").run()
    assert not at.exception
    assert at.selectbox(key="filters.week").value == "2019-W48"  # 25 Nov – 1 Dec 2019
    assert at.query_params["period"] in (["2019-W48"], "2019-W48")
    at.segmented_control(key="filters.mode").set_value("month").run()
    assert at.selectbox(key="filters.month").value == "2019-11"
    at.segmented_control(key="filters.mode").set_value("year").run()
    assert at.selectbox(key="filters.year").value == 2019
    assert {"2019", "2026"} <= set(at.selectbox(key="filters.year").options)
    with read_session() as s:
        k = kpis(s, Period(date(2019, 1, 1), date(2019, 12, 31)))
    assert _metrics(at)["督查次数"].value == f"{k.inspections} 次"
