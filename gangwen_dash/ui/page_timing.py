"""Server-side timing of a page under AppTest (used by ``bench dashboard``; Streamlit stays in ui/)."""

from __future__ import annotations

import statistics
import time

import streamlit as st
from streamlit.testing.v1 import AppTest

from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.services.base import Actor


def time_page(page: str, runs: int, role: str = "chair") -> tuple[float, float]:
    """(warm median ms with caches kept, cold median ms with caches cleared before each run)."""
    at = AppTest.from_file(str(PROJECT_ROOT / page), default_timeout=600)
    at.session_state["auth.actor"] = Actor(user_id=None, username="bench", role=role)
    at.run()
    if at.exception:
        raise RuntimeError(f"{page} raised: {at.exception[0].value}")
    warm = []
    for _ in range(runs):
        t0 = time.perf_counter()
        at.run()
        warm.append((time.perf_counter() - t0) * 1000)
    cold = []
    for _ in range(runs):
        st.cache_data.clear()
        t0 = time.perf_counter()
        at.run()
        cold.append((time.perf_counter() - t0) * 1000)
    return statistics.median(warm), statistics.median(cold)
