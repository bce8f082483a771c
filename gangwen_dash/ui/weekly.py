"""Cached loaders for the weekly meeting page (会议模式), keyed by the database URL like loaders.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from gangwen_dash.config import get_settings
from gangwen_dash.db import get_engine, read_session
from gangwen_dash.queries import weekly as weekly_queries
from gangwen_dash.reports import render
from gangwen_dash.reports.weekly import WeeklyPack, build_pack

TTL = 300


def _url() -> str:
    return get_settings().database_url


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _latest_week(url: str) -> date | None:
    with read_session(get_engine(url)) as session:
        return weekly_queries.latest_week_with_data(session)


def load_latest_week() -> date | None:
    """Monday of the latest ISO week with an inspection or finding."""
    return _latest_week(_url())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _pack_html(url: str, iso_week: str) -> tuple[WeeklyPack, str]:
    with read_session(get_engine(url)) as session:
        pack = build_pack(session, iso_week)
    return pack, render.render_fragment(pack)


def load_pack(iso_week: str) -> tuple[WeeklyPack, str]:
    """(pack, HTML fragment) of ``iso_week``; the fragment is the same template as the PNG/PDF."""
    return _pack_html(_url(), iso_week)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _note(url: str, iso_week: str) -> weekly_queries.NoteRow:
    with read_session(get_engine(url)) as session:
        return weekly_queries.weekly_note(session, iso_week)


def load_note(iso_week: str) -> weekly_queries.NoteRow:
    return _note(_url(), iso_week)


def file_builder(iso_week: str, fmt: str) -> Callable[[], bytes]:
    """A no-argument callable for ``st.download_button(data=…)``: the file is built only on click.

    It runs outside the script thread, so it captures the database URL now instead of reading settings.
    """
    url = _url()

    def build() -> bytes:
        from gangwen_dash.reports.export import week_file_bytes

        return week_file_bytes(iso_week, fmt, engine=get_engine(url))[1]

    return build
