"""驾驶舱: KPI cards (环比, 年累计, target status), weekly trend, findings by category and street,
group comparison and the overdue list for the period and filters in the sidebar (and the URL)."""

import streamlit as st

from gangwen_dash.config import get_settings
from gangwen_dash.domain import cards
from gangwen_dash.domain.labels import KPI_LABELS
from gangwen_dash.ui import chrome
from gangwen_dash.ui.analytics import load_cockpit, show_chart, show_table
from gangwen_dash.ui.filters import filter_bar
from gangwen_dash.ui.loaders import load_latest_data_date
from gangwen_dash.ui.session import require_actor

# Signed-in users only, also when Streamlit runs this file directly (a deep link as the first
# request after a restart is served from pages/ before app.py's gate has ever run).
require_actor(__file__)

st.title("驾驶舱")

if load_latest_data_date() is None:
    st.info("数据库中还没有督查记录。机关可在“机关 → Excel导入导出”导入台账，或请管理员载入演示数据。")
    st.stop()

fs = filter_bar()
data, specs = load_cockpit(fs.period, fs.filters)
st.caption(f"{fs.caption()} · 环比：{data.previous.start:%Y-%m-%d} 至 {data.previous.end:%Y-%m-%d}"
           f" · 年累计：{data.ytd.start:%Y-%m-%d} 起")

kpi_cards = cards.cards(data.kpis, data.kpis_previous, data.kpis_ytd, fs.period, get_settings().targets)
with chrome.two_up("kpi-cards"):
    for row in (kpi_cards[:4], kpi_cards[4:]):
        for col, card in zip(st.columns(4), row, strict=False):
            with col.container(border=True):
                st.metric(card.label, card.value, delta=card.delta, delta_color=card.delta_color,
                          delta_description="环比", help=f"环比：与上一同长时期相比。{card.target_text}"
                          if card.target_text else "环比：与上一同长时期相比。")
                st.caption(card.ytd_text)
                if card.status:
                    colour = cards.STATUS_COLORS[card.status]
                    st.caption(f":{colour}[● **{card.status_text}**]（{card.target_text}）")

with st.expander("其他履职工作（本时期）", expanded=False):
    other = ("rooms", "projects", "projects_solved", "proposals", "proposals_key", "opinions")
    with chrome.two_up("other-work"):
        for col, key in zip(st.columns(len(other)), other, strict=True):
            col.metric(KPI_LABELS[key], cards.fmt(key, data.kpis[key]))

show_chart(specs["trend"])

left, right = st.columns(2)
with left:
    show_chart(specs["category"], empty="本时期未发现问题")
with right:
    show_chart(specs["street"], empty="本时期各街道均未发现问题")

show_chart(specs["groups"])
show_table(data.groups, ["group", "inspections", "member_participations", "findings", "closed", "closure_rate"],
           key="dashboard.groups")

st.subheader(f"逾期问题清单（截至 {fs.period.end:%Y-%m-%d}，共 {data.overdue_total} 个）")
if data.overdue_total > len(data.overdue):
    st.caption(f"按逾期天数排序，显示前 {len(data.overdue)} 个")
# 逾期天数 and the problem first: on a phone they are what shows without scrolling sideways.
show_table(data.overdue, ["days_overdue", "description", "site", "street", "group", "category", "responsible_unit",
                          "due_date"], key="dashboard.overdue", empty="没有逾期问题")
