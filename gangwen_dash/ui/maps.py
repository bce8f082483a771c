"""Cached loaders for the map page: map data, the built folium map and a site's timeline.

Every cached function is keyed by the database URL (like ``loaders.py``) and the filters; the built map
is cached with ``st.cache_data`` (each caller gets its own unpickled copy, so concurrent sessions never
render the same folium object). ``loaders.reads.clear()`` after a write clears these too.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from gangwen_dash import maps
from gangwen_dash.config import get_settings
from gangwen_dash.db import get_engine, read_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries import sites, timeline

TTL = 300


def _url() -> str:
    return get_settings().database_url


def asset_base_url() -> str:
    """Where the app serves static/vendor/ (Streamlit static serving, honouring server.baseUrlPath)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static/vendor" if base else "/app/static/vendor"


def map_tiles() -> tuple[maps.Tiles, str | None]:
    """The configured tiles, or no tiles plus a Chinese warning when the configuration is unusable."""
    try:
        return maps.resolve_tiles(get_settings().tiles), None
    except maps.TileConfigError as exc:
        return maps.resolve_tiles({}, "none"), f"{exc}；暂以无底图方式显示。"


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _cached_map_data(url, start, end, group_id, street_id, title) -> sites.MapData:
    with read_session(get_engine(url)) as session:
        return sites.map_data(session, Period(start, end), Filters(group_id, street_id), title)


def load_map_data(period: Period, filters: Filters, title: str) -> sites.MapData:
    return _cached_map_data(_url(), period.start, period.end, filters.group_id, filters.street_id, title)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _cached_map(url, start, end, group_id, street_id, title, tiles_json: str, base_url: str):
    data = _cached_map_data(url, start, end, group_id, street_id, title)
    return maps.build_map(data, maps.Tiles(**_tiles_from_json(tiles_json)), maps.Assets.served(base_url))


def _tiles_json(tiles: maps.Tiles) -> str:
    return json.dumps({"provider": tiles.provider, "max_zoom": tiles.max_zoom, "gcj02": tiles.gcj02,
                       "layers": [vars(s) for s in tiles.layers]}, ensure_ascii=False, sort_keys=True)


def _tiles_from_json(text: str) -> dict:
    raw = json.loads(text)
    raw["layers"] = tuple(maps.TileSpec(**s) for s in raw["layers"])
    return raw


def load_map(period: Period, filters: Filters, title: str, tiles: maps.Tiles):
    """The district map for these filters (a fresh copy of the cached folium Map)."""
    return _cached_map(_url(), period.start, period.end, filters.group_id, filters.street_id, title,
                       _tiles_json(tiles), asset_base_url())


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _site_timeline(url: str, site_id: int) -> pd.DataFrame:
    with read_session(get_engine(url)) as session:
        return timeline.site_timeline(session, site_id)


def load_site_timeline(site_id: int) -> pd.DataFrame:
    return _site_timeline(_url(), site_id)
