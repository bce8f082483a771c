"""Cached loaders for the 看板 pages (驾驶舱, 督查整改, 项目进展, 履职活动).

Every loader is a cached read (``ui.reads``) and returns aggregated rows only — plus the Vega-Lite specs of
the page's Altair charts (``gangwen_dash.charts``), built once per cache entry: building and validating an
Altair spec costs tens of milliseconds, far more than a warm rerun should.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gangwen_dash import charts
from gangwen_dash.domain import ACTIVITY_KINDS
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.ui.reads import cached
from gangwen_dash.ui.tables import fill_empty


def _spec(chart) -> dict:
    """The chart's Vega-Lite spec with its (small, aggregated) datasets already as Arrow IPC bytes,
    which ``st.vega_lite_chart`` passes through as they are."""
    from streamlit import dataframe_util

    spec = chart.to_dict()
    # SVG: crisp text at any zoom, and the browser tests can read every axis label back.
    spec["usermeta"] = {**spec.get("usermeta", {}), "embedOptions": {"renderer": "svg"}}
    # The width fits the page; the height is the plot's own (axes, legend and title come on top of it),
    # so a legend or rotated labels never squash the plot on a narrow screen.
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec["padding"] = {"left": 5, "top": 5, "bottom": 5, "right": 16}  # room for the last slanted week label
    spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(values))
                        for name, values in spec.get("datasets", {}).items()}
    return spec


@cached(max_entries=32)
def load_cockpit(session, period: Period, filters: Filters):
    """(``queries.cockpit.CockpitData``, {chart name: Vega-Lite spec or None when there is nothing to draw})."""
    from gangwen_dash.queries.cockpit import cockpit

    data = cockpit(session, period, filters)
    specs = {
        "trend": _spec(charts.weekly_trend(data.trend)),
        "category": None if data.by_category.empty else _spec(charts.findings_by_category(data.by_category)),
        "street": None if data.by_street.empty else _spec(charts.findings_by_street(data.by_street)),
        "groups": _spec(charts.group_comparison(data.groups)),
    }
    return data, specs


@cached(max_entries=32)
def load_rectification(session, period: Period, filters: Filters) -> dict:
    from gangwen_dash.queries import rectification as r

    out = r.page_data(session, period, filters)
    has_days = not out["units"]["avg_days_to_close"].isna().all()
    out["charts"] = {
        "funnel": _spec(charts.funnel(out["funnel"])),
        "outcomes": _spec(charts.outcomes(out["outcomes"])),
        "units": _spec(charts.unit_days(out["units"])) if has_days else None,
    }
    return out


@cached(max_entries=32)
def load_projects(session, period: Period, street_id: int | None) -> dict:
    from gangwen_dash.queries import projects as p

    satisfaction, rate = p.proposals_satisfaction(session, period)
    out = {
        "status": p.project_status(session, period, street_id),
        "by_street": p.projects_by_street(session, period, street_id),
        "by_room": p.projects_by_room(session, period, street_id),
        "stages": p.proposals_by_stage(session, period),
        "results": p.proposals_by_result(session, period),
        "satisfaction": satisfaction,
        "satisfaction_rate": rate,
        "key": p.key_proposals(session, period),
        "excellent": p.excellent_proposals(session, period),
        "overdue_replies": p.overdue_replies(session, period),
        "late_replies": p.late_replies(session, period),
    }
    out["charts"] = {
        "by_street": _spec(charts.projects_by(out["by_street"], "street", "街道", "各街道民生项目")),
        "status": _spec(charts.counts_bar(out["status"], "status", "projects", "状态", "项目数", "项目状态",
                                          color=charts.GOOD)),
        "stages": _spec(charts.counts_bar(out["stages"], "stage", "proposals", "办理阶段", "提案数", "办理阶段")),
        "results": _spec(charts.counts_bar(out["results"], "label", "proposals", "办理结果", "提案数",
                                           "办理结果（A/B/C 类）", horizontal=True)),
        "satisfaction": _spec(charts.satisfaction(out["satisfaction"])),
    }
    return out


@cached(max_entries=32)
def load_activities(session, period: Period, group_id: int | None) -> dict:
    from gangwen_dash.queries import activities as a

    members = a.member_participation(session, period, group_id)
    out = {
        "by_kind": a.by_kind(session, period),
        "by_month": a.by_month(session, period),
        "members": members,
        "summary": a.participation_summary(members),
    }
    by_kind = out["by_kind"]
    out["charts"] = {
        "kinds": _spec(charts.counts_bar(by_kind, "kind", "activities", "活动类型", "活动次数", "按类型",
                                         horizontal=True)),
        "participations": _spec(charts.counts_bar(by_kind, "kind", "participations", "活动类型", "参与委员人次",
                                                  "参与人次（按类型）", horizontal=True, color=charts.GOOD)),
        "months": _spec(charts.activities_by_month(out["by_month"], list(ACTIVITY_KINDS))),
    }
    return out


# Chinese column headings for the tables the pages show.
COLUMN_LABELS = {
    "site": "工地", "street": "街道", "group": "督查组", "category": "类别", "label": "问题类别",
    "severity": "严重程度", "description": "问题描述", "responsible_unit": "责任单位", "due_date": "整改期限",
    "days_overdue": "逾期天数", "findings": "发现问题", "closed": "已销号", "overdue": "逾期未整改",
    "inspections": "督查次数", "member_participations": "参与委员人次", "closure_rate": "整改完成率",
    "repeats": "重复发现次数", "last_found": "最近发现", "avg_days_to_close": "平均销号天数",
    "room": "协商议事室", "room_kind": "类型", "projects": "项目数", "solved": "已解决", "in_progress": "推进中",
    "number": "编号", "title": "标题", "lead_chair": "领衔主席", "stage": "办理阶段", "handling_unit": "承办单位",
    "progress": "进展", "proposer": "提案人", "result_code": "办理结果", "assigned_on": "交办日期",
    "reply_due": "答复期限", "member": "委员", "sector": "界别", "activities": "参加活动", "total": "合计",
    "kind": "类型", "month": "月份", "week": "周次", "finding_id": "问题编号",
}


def show_table(df, columns: list[str], *, key: str, height: int | str = "auto", empty: str = "暂无数据") -> None:
    """A read-only table of ``columns`` with Chinese headings (rates as percentages)."""
    if df.empty:
        st.caption(empty)
        return
    config = {c: st.column_config.Column(COLUMN_LABELS.get(c, c)) for c in columns}
    shown = df[columns]
    if "closure_rate" in columns:
        if shown["closure_rate"].isna().any():  # no problems yet: a text column ("—"), not an empty bar
            shown = shown.assign(closure_rate=shown["closure_rate"].map(lambda v: f"{v:.0%}" if pd.notna(v) else ""))
        else:
            config["closure_rate"] = st.column_config.ProgressColumn("整改完成率", min_value=0.0, max_value=1.0,
                                                                     format="percent")
    st.dataframe(fill_empty(shown), column_config=config, hide_index=True, width="stretch", height=height, key=key)


def show_chart(spec: dict | None, empty: str | None = None) -> None:
    """Draw a cached Vega-Lite spec built with Altair (``gangwen_dash.charts``)."""
    if spec is None:
        if empty:
            st.caption(empty)
        return
    st.vega_lite_chart(spec=spec, width="stretch")
