"""项目进展: livelihood projects by status, street and room; proposals by stage, result and satisfaction;
key and excellent proposals; replies overdue (> 3 months). Period and street from the sidebar (and URL)."""

import streamlit as st

from gangwen_dash.ui.analytics import load_projects, show_chart, show_table
from gangwen_dash.ui.filters import filter_bar
from gangwen_dash.ui.session import require_actor

# Signed-in users only, also when Streamlit runs this file directly (a deep link as the first
# request after a restart is served from pages/ before app.py's gate has ever run).
require_actor(__file__)

st.title("项目进展")
fs = filter_bar()
scope = fs.named.year_so_far()
data = load_projects(scope, fs.street_id)
st.caption(f"{fs.caption()} · 民生项目按提出日期、提案按提交日期计入{fs.named.year_so_far_label()}；"
           "督查组筛选不适用于本页")

status = dict(zip(data["status"]["status"], data["status"]["projects"], strict=True))
total = sum(status.values())
stages = data["stages"]
proposals = int(stages["proposals"].sum())
cols = st.columns(5)
cols[0].metric("民生项目", f"{total} 个", border=True)
cols[1].metric("已解决", f"{status['已解决']} 个", border=True)
cols[2].metric("推进中", f"{status['推进中']} 个", border=True)
cols[3].metric("提案", f"{proposals} 件", border=True)
rate = data["satisfaction_rate"]
cols[4].metric("满意率", "—" if rate is None else f"{rate:.1%}", border=True, help="（满意 + 基本满意）÷ 反馈数")

st.header("有事好商量 · 民生项目")
if total == 0:
    st.info("统计范围内没有新提出的民生项目。")
else:
    left, right = st.columns(2)
    with left:
        show_chart(data["charts"]["by_street"])
    with right:
        show_chart(data["charts"]["status"])
    show_table(data["by_room"], ["room", "street", "room_kind", "projects", "solved", "in_progress"],
               key="projects.rooms", height=300)

st.header("提案办理")
if proposals == 0:
    st.info("统计范围内没有提交的提案。")
else:
    left, mid, right = st.columns(3)
    with left:
        show_chart(data["charts"]["stages"])
    with mid:
        show_chart(data["charts"]["results"])
    with right:
        show_chart(data["charts"]["satisfaction"])

st.subheader(f"重点提案（{len(data['key'])} 件）")
show_table(data["key"], ["number", "title", "lead_chair", "stage", "handling_unit", "progress"],
           key="projects.key", empty="统计范围内没有重点提案")
st.subheader(f"优秀提案（{len(data['excellent'])} 件）")
show_table(data["excellent"], ["number", "title", "proposer", "handling_unit", "stage", "result_code"],
           key="projects.excellent", empty="统计范围内没有优秀提案")
overdue = data["overdue_replies"]
st.subheader(f"答复超期提案（交办满 3 个月未答复，截至 {scope.end:%Y-%m-%d}：{len(overdue)} 件）")
st.caption(f"另有 {data['late_replies']} 件已答复但超过 3 个月")
show_table(overdue, ["number", "title", "handling_unit", "stage", "assigned_on", "reply_due", "days_overdue"],
           key="projects.overdue", empty="没有答复超期的提案")
