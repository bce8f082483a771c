"""A small map to tap a location on (督查录入 “地图选点”), built like the district map: local Leaflet
assets only (``maps.Assets``), the configured tiles (``maps.resolve_tiles``), WGS-84 stored.

Pure functions (no streamlit): ``build_pick_map`` returns a folium Map with the district outline and a
marker at the current point; ``click_to_wgs`` turns a click (in the tiles' coordinates: GCJ-02 for 高德)
back into WGS-84.
"""

from __future__ import annotations

import folium

from gangwen_dash import maps
from gangwen_dash.config import DISTRICT_BBOX, DISTRICT_CENTER
from gangwen_dash.domain import geo


def build_pick_map(point: tuple[float, float] | None, tiles: maps.Tiles, assets: maps.Assets,
                   *, zoom: int = 16) -> folium.Map:
    """Map centred on ``point`` (WGS-84; the district centre when None) with a marker there."""
    assets.check()
    gcj = tiles.gcj02
    lat, lon = point if point else DISTRICT_CENTER
    shown = geo.wgs_to_gcj(lat, lon) if gcj else (lat, lon)
    m = folium.Map(location=list(shown), zoom_start=zoom if point else 12, tiles=None, control_scale=False,
                   max_zoom=tiles.max_zoom, min_zoom=9)
    m.default_js = assets.links(maps.LEAFLET_JS)
    m.default_css = assets.links(maps.LEAFLET_CSS)
    m.options["maxZoom"] = tiles.max_zoom
    maps.MetricScale().add_to(m)
    for spec in tiles.layers:
        folium.TileLayer(tiles=spec.url, attr=spec.attribution, name=spec.name, subdomains=spec.subdomains,
                         max_zoom=tiles.max_zoom, overlay=spec.overlay, control=False).add_to(m)
    maps.outline_layer(gcj).add_to(m)
    if point:
        folium.CircleMarker(location=list(shown), radius=9, color="#C62828", fill=True, fill_opacity=0.8,
                            tooltip="当前选点").add_to(m)
    if not point:
        b = DISTRICT_BBOX
        corners = [(b["lat_min"], b["lon_min"]), (b["lat_max"], b["lon_max"])]
        m.fit_bounds([list(geo.wgs_to_gcj(*c)) if gcj else list(c) for c in corners])
    maps.check_no_cdn(m)
    if assets.mode == "inline":
        maps.inline_into(m.get_root(), assets.vendor_dir)
    return m


def click_to_wgs(click: dict | None, tiles: maps.Tiles) -> tuple[float, float] | None:
    """streamlit-folium's ``last_clicked`` ({lat, lng}) → WGS-84 (lat, lon), rounded to ~0.1 m."""
    if not click or click.get("lat") is None or click.get("lng") is None:
        return None
    lat, lon = float(click["lat"]), float(click["lng"])
    if tiles.gcj02:
        lat, lon = geo.gcj_to_wgs(lat, lon)
    return round(lat, 6), round(lon, 6)
