"""Who is using this browser session: the signed-in ``Actor`` in ``st.session_state["auth.actor"]``."""

from __future__ import annotations

import streamlit as st

from gangwen_dash.services.base import Actor

ACTOR_KEY = "auth.actor"


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def require_actor(page_file: str | None = None) -> Actor:
    """Every page starts with this: stop unless someone is signed in and their role may see the page.

    app.py's navigation already hides pages by role, but Streamlit can serve a deep link straight
    from ``pages/`` before app.py has run in a new session, so each page checks for itself.
    ``page_file`` (the page's ``__file__``) selects the roles from ``navigation.PAGES``.
    """
    actor = current_actor()
    if actor is None:
        st.warning("请先登录。")
        st.stop()
    if page_file is not None:
        from gangwen_dash.ui.navigation import roles_for_file

        roles = roles_for_file(page_file)
        if roles is not None and actor.role not in roles:
            st.error("您的角色无权访问此页面。")
            st.stop()
    return actor
