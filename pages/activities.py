"""履职活动: duty activities by type and month, and member participation (activities and inspections).
Period and inspection group from the sidebar (and the URL); the group narrows the member table."""

import streamlit as st

from gangwen_dash.ui.analytics import load_activities, show_chart, show_table
from gangwen_dash.ui.filters import filter_bar
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.usertext import md

# Signed-in users only, also when Streamlit runs this file directly (a deep link as the first
# request after a restart is served from pages/ before app.py's gate has ever run).
require_actor(__file__)

st.title("履职活动")
fs = filter_bar(show_street=False)
data = load_activities(fs.named.year_so_far(), fs.group_id)
st.caption(f"{fs.caption()} · 计入{fs.named.year_so_far_label()}的活动与督查；督查组筛选只作用于委员参与表")

by_kind, summary = data["by_kind"], data["summary"]
cols = st.columns(len(by_kind) + 1)
cols[0].metric("履职活动", f"{int(by_kind['activities'].sum())} 次", border=True)
for col, row in zip(cols[1:], by_kind.itertuples(index=False), strict=True):
    col.metric(md(row.kind), f"{row.activities} 次", border=True)  # a label is Markdown

if by_kind["activities"].sum() == 0:
    st.info("统计范围内没有履职活动记录。")
else:
    left, right = st.columns(2)
    with left:
        show_chart(data["charts"]["kinds"])
    with right:
        show_chart(data["charts"]["participations"])
    show_chart(data["charts"]["months"])

st.subheader("委员参与")
st.caption(f"在册委员 {summary['members']} 人，其中参加活动或督查的 {summary['members_active']} 人；"
           f"活动 {summary['activity_participations']} 人次，督查 {summary['inspection_participations']} 人次")
show_table(data["members"], ["member", "sector", "group", "activities", "inspections", "total"],
           key="activities.members", height=400)
