"""Cached reads for the map page (``ui.reads``): map data, the built folium map and a site's timeline.

The built map is cached per filter and tiles too (each caller gets its own unpickled copy, so concurrent
sessions never render the same folium object).
"""

from __future__ import annotations

import json

import streamlit as st

from gangwen_dash import maps
from gangwen_dash.config import get_settings
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries import sites, timeline
from gangwen_dash.ui.reads import cached


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


@cached(max_entries=32)
def load_map_data(session, period: Period, filters: Filters, title: str) -> sites.MapData:
    return sites.map_data(session, period, filters, title)


load_site_timeline = cached(max_entries=64)(timeline.site_timeline)


@cached(max_entries=16)
def _built_map(session, period: Period, filters: Filters, title: str, tiles_json: str, base_url: str):
    data = load_map_data(period, filters, title)
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
    return _built_map(period, filters, title, _tiles_json(tiles), asset_base_url())
