"""A small map to tap a location on (督查录入 “地图选点”), on the same base map as the district map: local
Leaflet assets only, the configured tiles, the district outline; WGS-84 stored.

``build_pick_map`` returns a folium Map with a marker at the current point; ``click_to_wgs`` turns a click
(in the tiles' coordinates: GCJ-02 for 高德) back into WGS-84.
"""

from __future__ import annotations

import folium

from gangwen_dash.domain import geo
from gangwen_dash.maps.assets import Assets
from gangwen_dash.maps.build import base_map, drawn, finish
from gangwen_dash.maps.tiles import Tiles


def build_pick_map(point: tuple[float, float] | None, tiles: Tiles, assets: Assets, *, zoom: int = 16) -> folium.Map:
    """Map centred on ``point`` (WGS-84; the whole district when None) with a marker there."""
    m = base_map(tiles, assets, center=point, zoom=zoom if point else 12)
    if point:
        folium.CircleMarker(location=list(drawn(*point, tiles)), radius=9, color="#C62828", fill=True,
                            fill_opacity=0.8, tooltip="当前选点").add_to(m)
    return finish(m, assets)


def click_to_wgs(click: dict | None, tiles: Tiles) -> tuple[float, float] | None:
    """streamlit-folium's ``last_clicked`` ({lat, lng}) → WGS-84 (lat, lon), rounded to ~0.1 m."""
    if not click or click.get("lat") is None or click.get("lng") is None:
        return None
    lat, lon = float(click["lat"]), float(click["lng"])
    if tiles.gcj02:
        lat, lon = geo.gcj_to_wgs(lat, lon)
    return round(lat, 6), round(lon, 6)
