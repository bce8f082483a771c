"""How pages read: one cache for every read, keyed by the database and its data version.

``@cached(max_entries=…)`` turns a read ``f(session, *args)`` into ``f(*args)`` backed by ``st.cache_data``
(TTL, bounded entries). Its key is the function, the database URL (two databases in one process, as in the
tests, never share results), the database's data version (``app_state.data_version``, bumped by every
business write, also by another app process or the CLI — ``freshness.follow_database`` reads it at the start
of each rerun) and the arguments (dates, ``Period``/``Filters`` dataclasses, ids). So a write anywhere is
visible at the next rerun, and a reader never sees a result computed before a write it already knows of.

``read(f, *args)`` runs a read uncached (histories, audit lists: cheap and must be current).
``clear()`` drops every cached read after a write in this process (the version moves too; this frees memory
at once).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from gangwen_dash.config import get_settings
from gangwen_dash.db import get_engine, read_session
from gangwen_dash.ui import freshness

TTL = 300
R = TypeVar("R")


def cached(*, max_entries: int = 32, ttl: int = TTL) -> Callable[[Callable[..., R]], Callable[..., R]]:
    def wrap(query: Callable[..., R]) -> Callable[..., R]:
        def run(url: str, version: int | None, *args, **kwargs) -> R:
            with read_session(get_engine(url)) as session:
                return query(session, *args, **kwargs)

        # st.cache_data keys a function by module, qualified name and source: every ``run`` has the same
        # source, so each takes the name of the read it wraps.
        run.__module__, run.__qualname__ = query.__module__, f"{query.__qualname__}.cached"
        cached_run = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False)(run)

        @functools.wraps(query)
        def load(*args, **kwargs) -> R:
            url = get_settings().database_url
            return cached_run(url, freshness.version(url), *args, **kwargs)

        return load

    return wrap


def read(query: Callable[..., R], *args, **kwargs) -> R:
    with read_session(get_engine(get_settings().database_url)) as session:
        return query(session, *args, **kwargs)


def clear() -> None:
    """Called after every successful write: cached reads may now be stale."""
    st.cache_data.clear()

