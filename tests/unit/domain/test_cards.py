"""KPI cards (环比 deltas, colours, 年累计, target status) and the chart builders (pure functions)."""

from datetime import date

import pandas as pd

from gangwen_dash import charts
from gangwen_dash.domain import cards
from gangwen_dash.domain.periods import Period
from gangwen_dash.queries.cockpit import trend_window

WEEK = Period(date(2019, 11, 11), date(2019, 11, 17))
TARGETS = {"inspections_per_month": 3.0, "on_time_rate": 0.9, "rectification_rate": 0.8, "max_overdue": 0}


def _k(**kw) -> dict:
    base = {"inspections": 0, "member_participations": 0, "findings": 0, "findings_closed": 0,
            "findings_overdue": 0, "rectification_rate": None, "on_time_rate": None}
    return {**base, **kw}


def _cards(current, previous, ytd=None, period=WEEK, targets=TARGETS):
    return {c.key: c for c in cards.cards(current, previous, ytd or current, period, targets)}


def test_deltas_and_their_colours():
    c = _cards(_k(inspections=3, findings_overdue=4, findings=5, rectification_rate=0.6),
               _k(inspections=1, findings_overdue=1, findings=7, rectification_rate=0.75))
    assert (c["inspections"].delta, c["inspections"].delta_color) == ("+2", "normal")
    # More overdue problems: positive delta shown in the inverse colour (red).
    assert (c["findings_overdue"].delta, c["findings_overdue"].delta_color) == ("+3", "inverse")
    assert (c["findings"].delta, c["findings"].delta_color) == ("-2", "off")
    assert c["rectification_rate"].delta == "-15.0 个百分点"
    assert c["on_time_rate"].delta is None and c["on_time_rate"].value == "—"
    same = _cards(_k(inspections=2), _k(inspections=2))
    assert (same["inspections"].delta, same["inspections"].delta_color) == ("+0", "off")


def test_target_status_red_yellow_green():
    # A week needs 3 × 7 / 30.44 ≈ 0.69 inspections: one is enough.
    assert cards.status("inspections", 1, WEEK, TARGETS)[0] == cards.GREEN
    assert cards.status("inspections", 0, WEEK, TARGETS)[0] == cards.RED
    month = Period(date(2019, 11, 1), date(2019, 11, 30))
    assert cards.status("inspections", 2, month, TARGETS)[0] == cards.RED      # 2 < 0.8 × 2.96
    assert cards.status("inspections", 2.4, month, TARGETS)[0] == cards.YELLOW
    assert cards.status("on_time_rate", 0.9, WEEK, TARGETS)[0] == cards.GREEN
    assert cards.status("on_time_rate", 0.85, WEEK, TARGETS)[0] == cards.YELLOW
    assert cards.status("on_time_rate", 0.7, WEEK, TARGETS)[0] == cards.RED
    assert cards.status("on_time_rate", None, WEEK, TARGETS)[0] is None
    assert cards.status("findings_overdue", 0, WEEK, TARGETS)[0] == cards.GREEN
    assert cards.status("findings_overdue", 5, WEEK, TARGETS)[0] == cards.YELLOW
    assert cards.status("findings_overdue", 6, WEEK, TARGETS)[0] == cards.RED
    # Targets are configurable.
    assert cards.status("findings_overdue", 6, WEEK, {**TARGETS, "max_overdue": 10})[0] == cards.GREEN
    assert cards.status("findings", 99, WEEK, TARGETS)[0] is None


def test_cards_show_year_to_date_and_status_text():
    c = _cards(_k(inspections=1, rectification_rate=0.5), _k(), ytd=_k(inspections=32, rectification_rate=0.7))
    assert c["inspections"].ytd_text == "年累计：32 次"
    assert c["rectification_rate"].ytd_text == "年累计：70.0%"
    assert c["rectification_rate"].status_text == "未达标" and "80%" in c["rectification_rate"].target_text
    assert cards.STATUS_COLORS[c["rectification_rate"].status] == "red"
    assert c["findings_overdue"].ytd_text.startswith("截至 2019-11-17")
    assert [x.label for x in c.values()] == ["督查次数", "参与委员人次", "发现问题", "已销号", "逾期未整改",
                                             "整改完成率", "按期整改率"]


def test_trend_window_covers_at_least_twelve_weeks():
    w = trend_window(WEEK)
    assert (w.start, w.end) == (date(2019, 8, 26), date(2019, 11, 17))
    year = Period(date(2019, 1, 1), date(2019, 12, 31))
    assert trend_window(year) == year


def _spec(chart) -> dict:
    return chart.to_dict()


def test_charts_have_chinese_titles_tooltips_and_aggregated_data():
    trend = pd.DataFrame({"week": ["2019-W45", "2019-W46"], "week_start": [date(2019, 11, 4), date(2019, 11, 11)],
                          "inspections": [1, 2], "findings": [3, 0]})
    spec = _spec(charts.weekly_trend(trend))
    assert spec["title"] == "每周督查与发现问题趋势"
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 4 and {r["指标"] for r in data} == {"督查次数", "发现问题"}
    layer = spec["layer"][0]["encoding"]
    assert layer["x"]["title"] == "周次" and [t["title"] for t in layer["tooltip"]] == ["周次", "指标", "数量"]

    cat = pd.DataFrame({"category": ["S2"], "label": ["S2 物料堆放100%覆盖"], "findings": [5], "closed": [2],
                        "overdue": [1]})
    spec = _spec(charts.findings_by_category(cat))
    rows = {r["指标"]: r["数量"] for r in next(iter(spec["datasets"].values()))}
    assert rows == {"已销号": 2, "逾期未整改": 1, "整改中": 2}
    bars, labels = spec["layer"]
    assert bars["encoding"]["y"]["axis"] is None and labels["mark"]["type"] == "text"  # names above the bars
    assert spec["height"] == {"step": charts.ROW_STEP}  # one row height per category

    groups = pd.DataFrame({"group_id": [1], "group": ["第一督查组"], "inspections": [3], "member_participations": [9],
                           "findings": [4], "closed": [2], "closure_rate": [0.5]})
    spec = _spec(charts.group_comparison(groups))
    assert {t["title"] for t in spec["encoding"]["tooltip"]} >= {"督查组", "整改完成率（%）"}

