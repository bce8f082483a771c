"""Sign-in state in the Streamlit session: who, since when, expiry, sign-out."""

from __future__ import annotations

import time

import streamlit as st

from gangwen_dash.config import get_settings
from gangwen_dash.services.auth import SignIn
from gangwen_dash.ui.session import ACTOR_KEY

LAST_SEEN = "auth.last_seen"
MUST_CHANGE = "auth.must_change"
NOTICE = "auth.notice"
JUST_SIGNED_IN = "auth.just_signed_in"


def sign_in(result: SignIn) -> None:
    st.session_state[ACTOR_KEY] = result.actor
    st.session_state[MUST_CHANGE] = result.must_change_password
    st.session_state[LAST_SEEN] = time.time()
    st.session_state[JUST_SIGNED_IN] = True


def sign_out(notice: str | None = None) -> None:
    for key in list(st.session_state.keys()):
        if str(key).startswith("auth.") or str(key).startswith("login."):
            del st.session_state[key]
    if notice:
        st.session_state[NOTICE] = notice


def touch_or_expire() -> None:
    """Sign the user out after ``session_minutes`` of inactivity; otherwise refresh the clock."""
    if ACTOR_KEY not in st.session_state:
        return
    limit = get_settings().session_minutes * 60
    last = st.session_state.setdefault(LAST_SEEN, time.time())
    if time.time() - last > limit:
        sign_out("登录已超时，请重新登录")
    else:
        st.session_state[LAST_SEEN] = time.time()
