"""Altair chart builders (pure: no Streamlit) on aggregated rows, with Chinese titles and tooltips.

Each builder takes a query-layer DataFrame (a few dozen rows at most) and returns an ``alt.Chart``.
Long ("melted") frames carry Chinese measure names so legends and tooltips read naturally.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

MEASURE = "指标"
VALUE = "数量"

# Meaningful, colour-blind-safe colours reused across charts.
GOOD, BAD, WARN, NEUTRAL, ACCENT = "#2e7d32", "#c62828", "#f9a825", "#90a4ae", "#1565c0"
# Bar charts with one row per category / street get this many pixels per row, whatever the screen,
# so a chart is as tall as its rows need (and never squashed into a fixed height).
ROW_STEP = 46
BAR_SIZE = 18
# The plot height of the trend and group charts (title, legend and axes come on top: ``autosize`` fit-x).
TALL = 240
# Legends above the plot, in full (no truncated entries), wrapping on narrow screens.
TOP_LEGEND = {"orient": "top", "title": None, "labelLimit": 0, "columns": 3, "symbolType": "square"}


def _melt(df: pd.DataFrame, id_vars: list[str], measures: dict[str, str]) -> pd.DataFrame:
    long = df[[*id_vars, *measures]].rename(columns=measures).melt(
        id_vars=id_vars, value_vars=list(measures.values()), var_name=MEASURE, value_name=VALUE)
    long[VALUE] = long[VALUE].astype(float)
    return long


def _colors(domain: list[str], colors: list[str]) -> alt.Scale:
    return alt.Scale(domain=domain, range=colors)


def weekly_trend(df: pd.DataFrame) -> alt.Chart:
    """Lines with points: 督查次数 and 发现问题 per ISO week."""
    long = _melt(df, ["week"], {"inspections": "督查次数", "findings": "发现问题"})
    order = list(df["week"])
    base = alt.Chart(long).encode(
        x=alt.X("week:O", title="周次", sort=order, axis=alt.Axis(labelAngle=-45, labelLimit=0, labelOverlap="greedy")),
        y=alt.Y(f"{VALUE}:Q", title="次数 / 个数"),
        color=alt.Color(f"{MEASURE}:N", title=None, scale=_colors(["督查次数", "发现问题"], [ACCENT, BAD]),
                        legend=alt.Legend(**TOP_LEGEND)),
        tooltip=[alt.Tooltip("week:O", title="周次"), alt.Tooltip(f"{MEASURE}:N", title="指标"),
                 alt.Tooltip(f"{VALUE}:Q", title="数量", format="d")],
    )
    return (base.mark_line() + base.mark_point(filled=True)).properties(title="每周督查与发现问题趋势", height=TALL)


def _status_parts(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["open_ok"] = out["findings"] - out["closed"] - out["overdue"]
    return out


FINDING_PARTS = {"closed": "已销号", "overdue": "逾期未整改", "open_ok": "整改中"}  # 整改中: not yet overdue
FINDING_COLORS = _colors(list(FINDING_PARTS.values()), [GOOD, BAD, WARN])


def _finding_bars(df: pd.DataFrame, name_col: str, name_title: str, title: str | alt.Title) -> alt.LayerChart:
    """One row per category / street: its name in full above a stacked bar that spans the whole width
    (no y-axis labels to squeeze the bars or to cut, as on a 390 px phone), ``ROW_STEP`` px per row."""
    long = _melt(_status_parts(df), [name_col, "findings"], FINDING_PARTS)
    order = list(df.sort_values("findings", ascending=False)[name_col])
    y = alt.Y(f"{name_col}:N", title=None, sort=order, axis=None)
    bars = alt.Chart(long).mark_bar(size=BAR_SIZE, yOffset=BAR_SIZE / 2).encode(
        y=y,
        x=alt.X(f"{VALUE}:Q", title="问题数", stack="zero", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color(f"{MEASURE}:N", title="状态", scale=FINDING_COLORS, legend=alt.Legend(**TOP_LEGEND)),
        order=alt.Order(f"{MEASURE}:N"),
        tooltip=[alt.Tooltip(f"{name_col}:N", title=name_title), alt.Tooltip("findings:Q", title="发现问题"),
                 alt.Tooltip(f"{MEASURE}:N", title="状态"), alt.Tooltip(f"{VALUE}:Q", title="数量", format="d")],
    )
    labels = alt.Chart(df).mark_text(align="left", baseline="bottom", dy=-3, fontSize=13, color="#31333f").encode(
        y=y, x=alt.value(0), text=alt.Text("row_label:N"),
    ).transform_calculate(row_label=f"datum['{name_col}'] + '　' + datum.findings + ' 个'")
    return alt.layer(bars, labels).properties(title=title, height=alt.Step(ROW_STEP))


def findings_by_category(df: pd.DataFrame) -> alt.Chart:
    """Stacked bars per category: closed / overdue / open within deadline."""
    return _finding_bars(df, "label", "问题类别", alt.Title("问题类别分布", subtitle="六个百分之百及其他"))


def findings_by_street(df: pd.DataFrame) -> alt.Chart:
    return _finding_bars(df, "street", "街道", "各街道发现问题")


def group_comparison(df: pd.DataFrame) -> alt.Chart:
    """Grouped bars per inspection group, closure rate in the tooltip."""
    measures = {"inspections": "督查次数", "member_participations": "参与委员人次", "findings": "发现问题",
                "closed": "已销号"}
    data = df.copy()
    data["closure_pct"] = data["closure_rate"].astype(float) * 100
    long = _melt(data, ["group", "closure_pct"], measures)
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("group:N", title="督查组", axis=alt.Axis(labelAngle=0 if len(df) <= 4 else -45, labelLimit=0)),
        xOffset=alt.XOffset(f"{MEASURE}:N", sort=list(measures.values())),
        y=alt.Y(f"{VALUE}:Q", title="数量"),
        color=alt.Color(f"{MEASURE}:N", title=None, sort=list(measures.values()),
                        scale=_colors(list(measures.values()), [ACCENT, NEUTRAL, BAD, GOOD]),
                        legend=alt.Legend(**{**TOP_LEGEND, "columns": 2})),
        tooltip=[alt.Tooltip("group:N", title="督查组"), alt.Tooltip(f"{MEASURE}:N", title="指标"),
                 alt.Tooltip(f"{VALUE}:Q", title="数量", format="d"),
                 alt.Tooltip("closure_pct:Q", title="整改完成率（%）", format=".1f")],
    ).properties(title="督查组对比", height=TALL)


def funnel(df: pd.DataFrame) -> alt.Chart:
    """Horizontal bars for 发现 → 交办 → 回复 → 销号, with the share of found in the tooltip."""
    data = df.assign(share_pct=df["share"].astype(float) * 100)
    order = list(df["stage"])
    bars = alt.Chart(data).mark_bar(color=ACCENT).encode(
        y=alt.Y("stage:N", title="环节", sort=order),
        x=alt.X("findings:Q", title="问题数"),
        tooltip=[alt.Tooltip("stage:N", title="环节"), alt.Tooltip("findings:Q", title="问题数"),
                 alt.Tooltip("share_pct:Q", title="占发现问题（%）", format=".1f")],
    )
    labels = bars.mark_text(align="left", dx=4).encode(text=alt.Text("findings:Q"))
    return (bars + labels).properties(title="整改漏斗（发现 → 交办 → 回复 → 销号）", height=180)


OUTCOME_COLORS = _colors(["按期整改", "超期整改", "逾期未整改", "整改期内"], [GOOD, WARN, BAD, NEUTRAL])


def outcomes(df: pd.DataFrame) -> alt.Chart:
    data = df.assign(share_pct=df["share"].astype(float) * 100)
    return alt.Chart(data).mark_arc(innerRadius=50).encode(
        theta=alt.Theta("findings:Q", stack=True),
        color=alt.Color("outcome:N", title="整改情况", scale=OUTCOME_COLORS, sort=list(df["outcome"])),
        tooltip=[alt.Tooltip("outcome:N", title="整改情况"), alt.Tooltip("findings:Q", title="问题数"),
                 alt.Tooltip("share_pct:Q", title="占比（%）", format=".1f")],
    ).properties(title="按期 / 超期 / 逾期", height=220)


def unit_days(df: pd.DataFrame) -> alt.Chart:
    data = df.dropna(subset=["avg_days_to_close"])
    return alt.Chart(data).mark_bar(color=ACCENT).encode(
        y=alt.Y("responsible_unit:N", title="责任单位", sort="-x"),
        x=alt.X("avg_days_to_close:Q", title="平均销号天数"),
        tooltip=[alt.Tooltip("responsible_unit:N", title="责任单位"),
                 alt.Tooltip("avg_days_to_close:Q", title="平均销号天数", format=".1f"),
                 alt.Tooltip("closed:Q", title="已销号"), alt.Tooltip("findings:Q", title="发现问题"),
                 alt.Tooltip("overdue:Q", title="逾期未整改")],
    ).properties(title="各责任单位平均销号天数", height=max(120, 30 * len(data)))


PROJECT_PARTS = {"solved": "已解决", "in_progress": "推进中"}
PROJECT_COLORS = _colors(list(PROJECT_PARTS.values()), [GOOD, WARN])


def projects_by(df: pd.DataFrame, name_col: str, name_title: str, title: str) -> alt.Chart:
    long = _melt(df, [name_col, "projects"], PROJECT_PARTS)
    order = list(df.sort_values("projects", ascending=False)[name_col])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y(f"{name_col}:N", title=name_title, sort=order),
        x=alt.X(f"{VALUE}:Q", title="项目数", stack="zero"),
        color=alt.Color(f"{MEASURE}:N", title="状态", scale=PROJECT_COLORS, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip(f"{name_col}:N", title=name_title), alt.Tooltip("projects:Q", title="项目数"),
                 alt.Tooltip(f"{MEASURE}:N", title="状态"), alt.Tooltip(f"{VALUE}:Q", title="数量", format="d")],
    ).properties(title=title, height=max(120, 24 * len(df)))


def counts_bar(df: pd.DataFrame, name_col: str, value_col: str, name_title: str, value_title: str, title: str,
               color: str = ACCENT, horizontal: bool = False) -> alt.Chart:
    """One bar per row, in the frame's order (stages, codes, kinds …)."""
    order = list(df[name_col])
    name = alt.Y if horizontal else alt.X
    value = alt.X if horizontal else alt.Y
    name_kw = {} if horizontal else {"axis": alt.Axis(labelAngle=0)}
    return alt.Chart(df).mark_bar(color=color).encode(
        name(f"{name_col}:N", title=name_title, sort=order, **name_kw),
        value(f"{value_col}:Q", title=value_title),
        tooltip=[alt.Tooltip(f"{name_col}:N", title=name_title), alt.Tooltip(f"{value_col}:Q", title=value_title)],
    ).properties(title=title, height=220)


SATISFACTION_COLORS = _colors(["满意", "基本满意", "不满意"], [GOOD, WARN, BAD])


def satisfaction(df: pd.DataFrame) -> alt.Chart:
    return alt.Chart(df).mark_arc(innerRadius=50).encode(
        theta=alt.Theta("proposals:Q", stack=True),
        color=alt.Color("satisfaction:N", title="满意度", scale=SATISFACTION_COLORS),
        tooltip=[alt.Tooltip("satisfaction:N", title="满意度"), alt.Tooltip("proposals:Q", title="提案数")],
    ).properties(title="办理满意度", height=220)


def activities_by_month(df: pd.DataFrame, kinds: list[str]) -> alt.Chart:
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("month:O", title="月份", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("activities:Q", title="活动次数", stack="zero"),
        color=alt.Color("kind:N", title="活动类型", sort=kinds, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("month:O", title="月份"), alt.Tooltip("kind:N", title="活动类型"),
                 alt.Tooltip("activities:Q", title="活动次数")],
    ).properties(title="各月履职活动", height=260)
