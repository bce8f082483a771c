"""驾驶舱: headline figures of the latest year with data."""

from datetime import date

import streamlit as st

from gangwen_dash.labels import KPI_LABELS, KPI_UNITS
from gangwen_dash.ui import text
from gangwen_dash.ui.loaders import load_kpis, load_latest_data_date

st.title(text.APP_TITLE)

latest = load_latest_data_date()
if latest is None:
    st.info("数据库中还没有督查记录。机关可在“数据交换”导入台账，或运行 `python -m gangwen_dash seed-demo` 载入演示数据。")
    st.stop()

year = latest.year
figures = load_kpis(date(year, 1, 1), date(year, 12, 31))
st.caption(f"{year} 年度（截至 {year}-12-31）")

ROWS = (
    ("inspections", "spot_checks", "routine_inspections", "member_participations"),
    ("findings", "findings_closed", "findings_overdue", "rectification_rate", "on_time_rate"),
    ("members", "groups", "sites_inspected", "rooms"),
    ("projects", "projects_solved", "projects_in_progress", "proposals", "proposals_key"),
    ("proposals_excellent", "opinions", "opinions_instructed"),
)


def _shown(key: str) -> str:
    value = figures[key]
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}"
    return f"{value} {KPI_UNITS.get(key, '')}".strip()


for row in ROWS:
    for col, key in zip(st.columns(len(row)), row, strict=True):
        col.metric(KPI_LABELS[key], _shown(key), border=True)
