"""What ``make run`` serves: the Streamlit app (app.py) plus the sign-in cookie routes (gangwen_dash.web).

``streamlit run serve.py`` finds ``app`` below and serves it with uvicorn; flags such as
``--server.port`` work as usual.
"""

import sys

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from gangwen_dash.config import auth_config_problem
from gangwen_dash.ui.navigation import ALL_URL_PATHS
from gangwen_dash.web import ROUTES, middleware

if problem := auth_config_problem():
    sys.exit(problem)

# app.py builds the pages with st.navigation. Until some session has called it, Streamlit treats the
# pages/ folder as a v1 multipage app and would serve a deep link (/dashboard) straight from pages/,
# with an English page list, on the first request after a start. Tell it now what st.navigation would.
PagesManager.uses_pages_directory = False

app = st.App("app.py", routes=ROUTES, middleware=middleware(ALL_URL_PATHS))
