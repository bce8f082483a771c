"""Optional single sign-on through ``st.login`` (OIDC), when ``[auth]`` is configured in secrets.

The password gate stays the default. With ``[auth]`` present, the login page also offers
"统一身份认证登录"; after the provider sends the browser back, the identity claim (``email`` by default;
``[gangwen] oidc_username_claim`` to change) must equal the user name of an active local account,
whose role then applies. Sign-out also ends the provider's cookie session (``st.logout``).
"""

from __future__ import annotations

import streamlit as st

from gangwen_dash.services.auth import SignInFailed
from gangwen_dash.services.users import external_sign_in
from gangwen_dash.ui.auth import sign_in
from gangwen_dash.ui.session import token

ERROR = "auth.oidc_error"


def configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _setting(name: str, default: str | None) -> str | None:
    try:
        return st.secrets.get("gangwen", {}).get(name, default)
    except Exception:
        return default


def provider() -> str | None:
    """A named provider (``[auth.NAME]``) from ``[gangwen] oidc_provider``; None for a single ``[auth]``."""
    return _setting("oidc_provider", None)


def try_sign_in() -> None:
    """When the provider has signed this browser in but the app session has no user yet: map it."""
    if not configured() or ERROR in st.session_state or not st.user.is_logged_in:
        return  # (after a refusal, do not retry and re-audit on every rerun)
    if token():
        return  # this browser's local session ended (expired, revoked): that wins over the provider's cookie

    claim = _setting("oidc_username_claim", "email")
    try:
        result = external_sign_in(str(st.user.get(claim) or ""), provider=provider() or "oidc")
    except SignInFailed as exc:
        st.session_state[ERROR] = str(exc)
        return
    sign_in(result, method="oidc")


def login_button() -> None:
    if not configured():
        return
    message = st.session_state.get(ERROR)
    if message:
        st.error(message)
        st.button("退出统一身份认证", key="login.oidc_logout", on_click=st.logout)
        return
    st.divider()
    name = provider()
    st.button("使用统一身份认证登录", key="login.oidc", width="stretch",
              on_click=st.login, args=(name,) if name else ())


def logout() -> None:
    if configured() and st.user.is_logged_in:
        st.logout()
