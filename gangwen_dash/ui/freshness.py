"""Cached reads follow the database, also when another app process or the CLI wrote.

Every rerun reads ``app_state`` (one row by primary key): when its data version moved since this process
last looked, every cached read is dropped. So with several processes on one PostgreSQL a write through
one is visible on the others' next rerun, not after the cache TTL.
"""

from __future__ import annotations

import threading

import streamlit as st

from gangwen_dash.config import get_settings
from gangwen_dash.db import get_engine, read_session
from gangwen_dash.queries import app_state

_LOCK = threading.Lock()
_SEEN: dict[str, int] = {}
DEMO_KEY = "app.demo_loaded"


def follow_database() -> None:
    url = get_settings().database_url
    try:
        with read_session(get_engine(url)) as session:
            version, demo = app_state.read(session)
    except Exception:  # a database not yet migrated: the page itself will say so
        return
    st.session_state[DEMO_KEY] = demo
    with _LOCK:
        seen = _SEEN.get(url)
        _SEEN[url] = version
    if seen is not None and seen != version:
        st.cache_data.clear()


def version(url: str) -> int | None:
    """The data version this process last saw for ``url`` (part of every cached read's key)."""
    with _LOCK:
        return _SEEN.get(url)


def demo_badge() -> None:
    """A small 演示数据 badge on every page while the demo data is in the database."""
    if st.session_state.get(DEMO_KEY):
        with st.sidebar:
            st.badge("演示数据·密码公开", icon=":material/science:", color="orange")
