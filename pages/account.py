"""我的账号: who is signed in, on how many devices, and 退出所有设备."""

import streamlit as st

from gangwen_dash.domain import ROLE_LABELS
from gangwen_dash.services import sessions
from gangwen_dash.ui.auth import sign_out_everywhere
from gangwen_dash.ui.session import require_actor

actor = require_actor()
st.title("我的账号")
st.text(f"用户名：{actor.username}")
st.text(f"姓名：{actor.label}")
st.text(f"角色：{ROLE_LABELS.get(actor.role, actor.role)}")
count = sessions.open_sessions(actor.user_id)
st.text(f"当前登录的设备（浏览器）：{count} 个")
st.caption("手机、平板丢失或在公用电脑上忘记退出时，可在此退出所有设备上的登录。")
if st.button("退出所有设备", key="account.sign_out_all", type="primary"):
    sign_out_everywhere(actor)
    st.stop()
