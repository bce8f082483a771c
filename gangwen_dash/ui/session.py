"""Who is using this browser: re-checked against the database on every rerun.

The browser holds an HttpOnly cookie naming a server-side session (``services.sessions``); each rerun
resolves it again, so a revoked, expired or password-reset session, a deactivated account or a changed
role ends at the next click. ``st.session_state["auth.actor"]`` only caches the result of this run.
(AppTest cannot send cookies: tests put a real session token in ``st.session_state["auth.token"]``.)
"""

from __future__ import annotations

import streamlit as st

from gangwen_dash.db import read_session
from gangwen_dash.models import User
from gangwen_dash.services import sessions
from gangwen_dash.services.base import Actor, actor_for

ACTOR_KEY = "auth.actor"
TOKEN_KEY = "auth.token"
SESSION_ID = "auth.session_id"
MUST_CHANGE = "auth.must_change"
NOTICE = "auth.notice"
NEXT = "auth.next"  # where the sign-in form sends the browser back to (page and filters)


def token() -> str | None:
    cookie = None
    try:
        cookie = st.context.cookies.get(sessions.COOKIE_NAME)
    except Exception:  # no browser context (bare runs)
        cookie = None
    if not isinstance(cookie, str):  # AppTest's stand-in client has no real cookies
        cookie = None
    return cookie or st.session_state.get(TOKEN_KEY)


def _forget(notice: str | None) -> None:
    for key in (ACTOR_KEY, SESSION_ID, MUST_CHANGE):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE] = notice


def refresh() -> Actor | None:
    """Resolve this browser's session now; sets or clears the cached actor (with a notice why)."""
    tok = token()
    if tok:
        current = sessions.resolve(tok)
        if current.actor is None:
            had = ACTOR_KEY in st.session_state
            st.session_state.pop(TOKEN_KEY, None)
            _forget(current.notice if (had or current.ended) else None)
            return None
        st.session_state[ACTOR_KEY] = current.actor
        st.session_state[SESSION_ID] = current.session_id
        st.session_state[MUST_CHANGE] = current.must_change_password
        return current.actor
    actor = st.session_state.get(ACTOR_KEY)
    if actor is not None and actor.user_id is not None:
        # An actor put in place by server code (tests): still follow the account's row.
        with read_session() as session:
            user = session.get(User, actor.user_id)
        if user is not None:
            if not user.is_active:
                _forget(sessions.ENDED["deactivated"])
                return None
            if (user.role, user.group_id, user.unit_id) != (actor.role, actor.group_id, actor.unit_id):
                _forget(sessions.ENDED["role_changed"])
                return None
            st.session_state[ACTOR_KEY] = actor_for(user)
    return st.session_state.get(ACTOR_KEY)


def current_actor() -> Actor | None:
    """The actor resolved in this run (``refresh`` runs first in app.py and in every page)."""
    return st.session_state.get(ACTOR_KEY)


def require_actor(page_file: str | None = None) -> Actor:
    """Every page starts with this: stop unless someone is signed in and their role may see the page.

    app.py's navigation already hides pages by role, but Streamlit can serve a deep link straight
    from ``pages/`` before app.py has run in a new session, so each page checks for itself.
    ``page_file`` (the page's ``__file__``) selects the roles from ``navigation.PAGES``.
    """
    actor = refresh()
    if actor is None:
        notice = st.session_state.pop(NOTICE, None)
        st.warning(notice or "请先登录。")
        st.stop()
    if page_file is not None:
        from gangwen_dash.ui.navigation import roles_for_file

        roles = roles_for_file(page_file)
        if roles is not None and actor.role not in roles:
            st.error("您的角色无权访问此页面。")
            st.stop()
    return actor
