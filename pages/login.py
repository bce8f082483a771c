"""登录: username + password; first sign-in of a new account must change its password."""

import streamlit as st

from gangwen_dash.services import auth
from gangwen_dash.services.base import ValidationFailed
from gangwen_dash.ui import text
from gangwen_dash.ui.auth import sign_in
from gangwen_dash.ui.oidc import login_button as oidc_login_button
from gangwen_dash.ui.session import MUST_CHANGE, NEXT, NOTICE, SESSION_ID, current_actor

st.title(text.APP_TITLE)

actor = current_actor()
if actor is not None and st.session_state.get(MUST_CHANGE):
    st.subheader("首次登录，请修改密码")
    errors = st.session_state.get("login.pw_errors", {})
    with st.form("login.change_password"):
        old = st.text_input("原密码", type="password", key="login.old")
        if "old_password" in errors:
            st.error(errors["old_password"])
        new = st.text_input("新密码（至少 8 位）", type="password", key="login.new")
        if "new_password" in errors:
            st.error(errors["new_password"])
        repeat = st.text_input("再次输入新密码", type="password", key="login.repeat")
        if "repeat" in errors:
            st.error(errors["repeat"])
        submitted = st.form_submit_button("修改密码", type="primary")
    if submitted:
        try:
            auth.change_password(actor, old, new, repeat, session_id=st.session_state.get(SESSION_ID))
        except ValidationFailed as exc:
            st.session_state["login.pw_errors"] = exc.errors
            st.rerun()
        st.session_state.pop("login.pw_errors", None)
        st.session_state[MUST_CHANGE] = False
        st.rerun()
    st.stop()

notice = st.session_state.pop(NOTICE, None)
if notice:
    st.info(notice)
next_url = st.session_state.get(NEXT) or "/"
if next_url.startswith("/entry"):
    st.caption("督查录入的草稿保存在服务器上，重新登录后会自动恢复，不会丢失。")

with st.form("login.form"):
    username = st.text_input("用户名", key="login.username")
    password = st.text_input("密码", type="password", key="login.password")
    submitted = st.form_submit_button("登录", type="primary", use_container_width=True)
if submitted:
    try:
        result = auth.authenticate(username, password)
    except auth.SignInFailed as exc:
        st.error(str(exc))
    else:
        sign_in(result, next_url=next_url)
        st.success("登录成功，正在进入……")
        if st.session_state.get("auth.test_claim"):
            st.rerun()

oidc_login_button()  # offered only when [auth] is configured in secrets (README: 统一身份认证)
