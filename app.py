"""Entry point: page config and navigation built from the user's role."""

import streamlit as st

from gangwen_dash.ui import text
from gangwen_dash.ui.navigation import pages_for

st.set_page_config(page_title=text.APP_TITLE, page_icon="🏗️", layout="wide")

role = st.session_state.get("auth.role")
sections: dict[str, list] = {}
for spec in pages_for(role):
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, url_path=spec.url_path, icon=spec.icon)
    )
st.navigation(sections).run()
