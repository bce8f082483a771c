"""Entry point: page config, sign-in gate (a server-side session named by a cookie), navigation by role.

Served by ``serve.py`` (``streamlit run serve.py``), which adds the cookie routes.
"""

from urllib.parse import urlencode

import streamlit as st

from gangwen_dash.domain import ROLE_LABELS
from gangwen_dash.ui import chrome, text
from gangwen_dash.ui.auth import sign_out
from gangwen_dash.ui.freshness import demo_badge, follow_database
from gangwen_dash.ui.navigation import PAGES, pages_for
from gangwen_dash.ui.oidc import logout as oidc_logout
from gangwen_dash.ui.oidc import try_sign_in as oidc_sign_in
from gangwen_dash.ui.session import MUST_CHANGE, NEXT, NOTICE, refresh
from gangwen_dash.ui.usertext import md

st.set_page_config(page_title=text.APP_TITLE, page_icon="🏗️", layout="wide")
chrome.localize()  # Chinese for Streamlit's own strings; the sidebar folds after a page choice on narrow screens

follow_database()
actor = refresh()
if actor is None:
    oidc_sign_in()  # only when [auth] is configured and the OIDC provider signed this browser in
    actor = refresh()

# Notices handed over in the address by the cookie routes (/login?notice=expired …).
LINK_NOTICES = {"unknown_page": "您打开的地址不存在，已转到首页。"}
link_notice = st.query_params.get("notice")
if link_notice:
    from gangwen_dash.services.sessions import ENDED

    message = ENDED.get(link_notice) or LINK_NOTICES.get(link_notice)
    if message:
        st.session_state[NOTICE] = message
    del st.query_params["notice"]

demo_badge()

if actor is None or st.session_state.get(MUST_CHANGE):
    # The default page answers "/"; /login must be a page of its own (a default page's url_path is not
    # matched, so /login would get Streamlit's English "Page not found").
    login_page = st.Page("pages/login.py", title="登录", url_path="start", icon=":material/login:", default=True)
    # Every app page's address answers with the sign-in form too (same script, its own URL), and after
    # sign-in the browser comes back to exactly that address (page and filters).
    linked = [st.Page("pages/login.py", title="登录", url_path=spec.url_path) for spec in PAGES]
    linked += [st.Page("pages/login.py", title="登录", url_path=path) for path in ("login", "logout", "account")]
    chosen = st.navigation([login_page, *linked], position="hidden")
    wanted = chosen.url_path if chosen.url_path in {spec.url_path for spec in PAGES} else ""
    query = {k: v for k, v in st.query_params.to_dict().items() if k != "notice"}
    st.session_state[NEXT] = f"/{wanted}" + (f"?{urlencode(query)}" if query else "")
    chosen.run()
    st.stop()


def _sign_out() -> None:
    oidc_logout()
    sign_out("signed_out")
    st.stop()


sections: dict[str, list] = {}
allowed = pages_for(actor.role)
for spec in allowed:
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, url_path=spec.url_path, icon=spec.icon))
# Addresses of pages this role may not open (a shared link) and /login itself: a Chinese notice on a
# hidden page instead of Streamlit's English "Page not found".
hidden = [st.Page("pages/forbidden.py", title="无权访问", url_path=spec.url_path, visibility="hidden")
          for spec in PAGES if spec not in allowed]


def _home() -> None:
    """``/`` and ``/login`` while signed in: the role's first page, at its own address (so that a link
    to /dashboard and the page reached from / are one and the same page)."""
    st.switch_page(allowed[0].path, query_params=st.query_params.to_dict())


hidden.append(st.Page(_home, title="首页", url_path="home", visibility="hidden", default=True))
hidden.append(st.Page(_home, title="登录", url_path="login", visibility="hidden"))
sections.setdefault("账号", []).extend([
    st.Page("pages/account.py", title="我的账号", url_path="account", icon=":material/manage_accounts:"),
    st.Page(_sign_out, title="退出登录", url_path="logout", icon=":material/logout:"),
    *hidden,
])
with st.sidebar:
    st.caption(f"{md(actor.label)}（{ROLE_LABELS.get(actor.role, actor.role)}）")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.info(notice)
# expanded: Streamlit otherwise folds lists over 10 links behind an English “View more” button.
st.navigation(sections, expanded=True).run()
