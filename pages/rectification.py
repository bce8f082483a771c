"""督查整改: the rectification funnel, on-time / late / overdue, re-check failures, repeat-problem sites
and average days to close by responsible unit, for the period and filters in the sidebar (and the URL)."""

import streamlit as st

from gangwen_dash.queries.rectification import REPEAT_WINDOW_DAYS
from gangwen_dash.ui.analytics import load_rectification, show_chart, show_table
from gangwen_dash.ui.filters import filter_bar
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.units import unit_stats_section

# Signed-in users only, also when Streamlit runs this file directly (a deep link as the first
# request after a restart is served from pages/ before app.py's gate has ever run).
require_actor(__file__)

st.title("督查整改分析")
fs = filter_bar()
data = load_rectification(fs.period, fs.filters)
st.caption(f"{fs.caption()} · 对象：本时期发现的问题，状态截至 {fs.period.end:%Y-%m-%d}")

k, recheck = data["kpis"], data["recheck"]
cols = st.columns(4)
cols[0].metric("发现问题", f"{k['findings']} 个", border=True)
cols[1].metric("整改完成率", "—" if k["rectification_rate"] is None else f"{k['rectification_rate']:.1%}", border=True)
cols[2].metric("按期整改率", "—" if k["on_time_rate"] is None else f"{k['on_time_rate']:.1%}", border=True)
cols[3].metric("复查未通过率", "—" if recheck["rate"] is None else f"{recheck['rate']:.1%}", border=True,
               help="复查未通过次数 ÷ 复查次数（截至期末）")
st.caption(f"复查 {recheck['rechecks']} 次，其中未通过 {recheck['failed']} 次，涉及 {recheck['findings_failed']} 个问题")

if k["findings"] == 0:
    st.info("本时期未发现问题。")
else:
    left, right = st.columns(2)
    with left:
        show_chart(data["charts"]["funnel"])
    with right:
        show_chart(data["charts"]["outcomes"])
    show_chart(data["charts"]["units"])
    show_table(data["units"], ["responsible_unit", "findings", "closed", "avg_days_to_close", "overdue"],
               key="rectification.units")

st.subheader(f"重复发现问题的工地（{REPEAT_WINDOW_DAYS} 天内同类问题再次发现）")
show_table(data["repeats"], ["site", "street", "label", "repeats", "last_found"], key="rectification.repeats",
           empty="本时期没有重复发现的问题")

unit_stats_section(fs.period, fs.filters)  # handed over, replied, on time, overdue, extensions (issue 15)
