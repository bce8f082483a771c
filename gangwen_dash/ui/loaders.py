"""Cached read loaders for the pages: the only place pages get data from.

Each loader wraps a query-layer function in ``st.cache_data`` (ttl, bounded entries). Writes call
``clear_read_caches()`` so that, e.g., a new finding shows on the cockpit at once. The database URL
is part of every cache key, so two databases in one process (tests) never share results.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from gangwen_dash.config import get_settings
from gangwen_dash.db import get_engine, read_session
from gangwen_dash.queries import kpis as kpi_queries

TTL = 300


def _url() -> str:
    return get_settings().database_url


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _kpis(url: str, start: date, end: date, group_id: int | None, street_id: int | None) -> dict:
    with read_session(get_engine(url)) as session:
        period = kpi_queries.Period(start, end)
        return kpi_queries.kpis(session, period, kpi_queries.Filters(group_id, street_id)).as_dict()


def load_kpis(start: date, end: date, group_id: int | None = None, street_id: int | None = None) -> dict:
    return _kpis(_url(), start, end, group_id, street_id)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _latest_data_date(url: str) -> date | None:
    with read_session(get_engine(url)) as session:
        return kpi_queries.latest_data_date(session)


def load_latest_data_date() -> date | None:
    return _latest_data_date(_url())


def clear_read_caches() -> None:
    """Called after every successful write: cached reads may now be stale."""
    st.cache_data.clear()


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _groups(url: str):
    from gangwen_dash.queries import reference

    with read_session(get_engine(url)) as session:
        return reference.groups(session)


def load_groups():
    return _groups(_url())


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _streets(url: str):
    from gangwen_dash.queries import reference

    with read_session(get_engine(url)) as session:
        return reference.streets(session)


def load_streets():
    return _streets(_url())


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _data_years(url: str) -> list[int]:
    from gangwen_dash.queries import inspections

    with read_session(get_engine(url)) as session:
        return inspections.years_with_data(session)


def load_data_years() -> list[int]:
    """Years with inspections, newest first (the period picker offers each)."""
    return _data_years(_url())
