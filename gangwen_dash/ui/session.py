"""Who is using this browser session: the signed-in ``Actor`` in ``st.session_state["auth.actor"]``."""

from __future__ import annotations

import streamlit as st

from gangwen_dash.services.base import Actor

ACTOR_KEY = "auth.actor"


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def require_actor() -> Actor:
    """For pages that write: stop with a message when nobody is signed in."""
    actor = current_actor()
    if actor is None:
        st.warning("请先登录。")
        st.stop()
    return actor
