"""Entry point: page config, sign-in gate, and navigation built from the signed-in user's role."""

import streamlit as st

from gangwen_dash.domain import ROLE_LABELS
from gangwen_dash.ui import text
from gangwen_dash.ui.auth import JUST_SIGNED_IN, MUST_CHANGE, sign_out, touch_or_expire
from gangwen_dash.ui.filters import adopt_link
from gangwen_dash.ui.navigation import PAGES, pages_for
from gangwen_dash.ui.oidc import logout as oidc_logout
from gangwen_dash.ui.oidc import try_sign_in as oidc_sign_in
from gangwen_dash.ui.session import current_actor

st.set_page_config(page_title=text.APP_TITLE, page_icon="🏗️", layout="wide")

touch_or_expire()
actor = current_actor()
if actor is None:
    oidc_sign_in()  # only when [auth] is configured and the OIDC provider signed this browser in
    actor = current_actor()

# A signed-out visitor who opened a link (e.g. /dashboard?period=2019-W46&group=1): remember the page and
# its filters, show the sign-in form, and open that view after sign-in (instead of "Page not found").
NEXT = "auth.next"

if actor is None or st.session_state.get(MUST_CHANGE):
    login_page = st.Page("pages/login.py", title="登录", url_path="login", icon=":material/login:", default=True)
    # Every app page's address answers with the sign-in form too (same script, its own URL).
    linked = [st.Page("pages/login.py", title="登录", url_path=spec.url_path) for spec in PAGES]
    chosen = st.navigation([login_page, *linked], position="hidden")
    if chosen.url_path in {spec.url_path for spec in PAGES}:
        st.session_state[NEXT] = (chosen.url_path, st.query_params.to_dict())
    chosen.run()
    st.stop()


def _sign_out() -> None:
    sign_out("您已退出登录")
    oidc_logout()
    st.rerun()


sections: dict[str, list] = {}
by_url_path: dict[str, st.Page] = {}  # (the default page's own url_path reads "")
for i, spec in enumerate(pages_for(actor.role)):
    by_url_path[spec.url_path] = st.Page(spec.path, title=spec.title, url_path=spec.url_path, icon=spec.icon,
                                         default=i == 0)
    sections.setdefault(spec.section, []).append(by_url_path[spec.url_path])
sections.setdefault("账号", []).append(
    st.Page(_sign_out, title="退出登录", url_path="logout", icon=":material/logout:")
)
with st.sidebar:
    st.caption(f"{actor.label}（{ROLE_LABELS.get(actor.role, actor.role)}）")
current = st.navigation(sections)
if st.session_state.pop(JUST_SIGNED_IN, False):
    # The browser is still on the login page's URL: go to the linked view (when the role may see it)
    # or to this role's first page.
    wanted_path, wanted_query = st.session_state.pop(NEXT, None) or (None, None)
    if wanted_path in by_url_path:
        adopt_link(wanted_query or {})
        st.switch_page(by_url_path[wanted_path])
    st.switch_page(next(iter(sections.values()))[0])
current.run()
