"""Sign-in and sign-out in the browser: open a server-side session and hand its cookie over.

After the form succeeds, ``sign_in`` opens the session and sends the browser to ``/session/start`` (the
route in ``gangwen_dash.web`` sets the HttpOnly cookie and comes back to the wanted page), the same way
``st.login`` sends a browser to its provider. AppTest cannot follow a redirect, so the token is also
claimed in-process there (``TEST_CLAIM``).
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gangwen_dash.services import sessions
from gangwen_dash.services.auth import SignIn
from gangwen_dash.ui.session import MUST_CHANGE, NOTICE, TOKEN_KEY, token
from gangwen_dash.web import END, START

__all__ = ["MUST_CHANGE", "NOTICE", "landing", "sign_in", "sign_out", "sign_out_everywhere", "go"]


def go(url: str) -> None:
    """Send the browser to ``url`` (a full page load, as ``st.login`` does)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        msg = ForwardMsg()
        msg.auth_redirect.url = url
        ctx.enqueue(msg)


def _user_agent() -> str:
    try:
        return st.context.headers.get("User-Agent", "") or ""
    except Exception:
        return ""


def landing(next_url: str, role: str) -> str:
    """Where the browser goes after signing in: ``/`` (with its query) is the role's first page, asked
    for at once (not a run of the home page that switches to it: one script run less per sign-in)."""
    from gangwen_dash.ui.navigation import pages_for

    path, _, query = next_url.partition("?")
    first = pages_for(role)
    if path != "/" or not first:
        return next_url
    return f"/{first[0].url_path}" + (f"?{query}" if query else "")


def sign_in(result: SignIn, *, next_url: str = "/", method: str = "password") -> None:
    code = sessions.begin(result.actor.user_id, user_agent=_user_agent(), method=method)
    next_url = landing(next_url, result.actor.role)
    if st.session_state.get("auth.test_claim"):  # AppTest: no browser to carry the cookie
        claimed = sessions.claim(code)
        st.session_state[TOKEN_KEY] = claimed[0]
        return
    go(f"{START}?{urlencode({'code': code, 'next': next_url})}")


def sign_out(reason: str = "signed_out") -> None:
    sessions.end(token(), reason)
    for key in list(st.session_state.keys()):
        if (str(key).startswith("auth.") and key != "auth.test_claim") or str(key).startswith("login."):
            del st.session_state[key]
    st.session_state[NOTICE] = sessions.ENDED.get(reason)
    go(f"{END}?{urlencode({'reason': reason})}")


def sign_out_everywhere(actor) -> None:
    sessions.end_everywhere(actor)
    sign_out("signed_out_all")

