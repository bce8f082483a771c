"""Building maps: ONE base map (tiles, local assets, style, metric scale, district outline) for both the
district map (督查地图) and the pick map (督查录入 “地图选点”), and the district map's layers on top.

The district map: construction sites as 红/黄/绿牌 markers in a marker cluster, consultation rooms with
their livelihood projects, a heatmap of the period's problems, the district outline and (without tiles)
street labels; a layer control and a legend. Pure: no I/O except reading asset files when inlining.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
import xyzservices

from gangwen_dash.config import DISTRICT_BBOX, DISTRICT_CENTER, DISTRICT_NAME
from gangwen_dash.domain import geo
from gangwen_dash.maps.assets import LEAFLET_CSS, LEAFLET_JS, Assets, check_no_cdn, inline_into
from gangwen_dash.maps.district import outline_layer, shifted_frame, street_labels_layer
from gangwen_dash.maps.escape import esc
from gangwen_dash.maps.layers import HeatLayer, LayerList, Legend, MapStyle, MetricScale, legend_html, rooms_layer
from gangwen_dash.maps.site_cluster import SiteCluster
from gangwen_dash.maps.tiles import Tiles
from gangwen_dash.queries.sites import MapData


def drawn(lat: float, lon: float, tiles: Tiles) -> tuple[float, float]:
    """A WGS-84 point as drawn on these tiles (shifted to GCJ-02 for 高德-like tiles)."""
    return geo.wgs_to_gcj(lat, lon) if tiles.gcj02 else (lat, lon)


def district_bounds(tiles: Tiles) -> list[list[float]]:
    """The district's bounding box as drawn: ``[[south, west], [north, east]]``."""
    b = DISTRICT_BBOX
    return [list(drawn(b["lat_min"], b["lon_min"], tiles)), list(drawn(b["lat_max"], b["lon_max"], tiles))]


def base_map(tiles: Tiles, assets: Assets, *, center: tuple[float, float] | None = None, zoom: int = 12,
             height: int | str = "100%") -> folium.Map:
    """A map with the tiles, Leaflet from ``assets`` (nothing from folium's CDN list), our style, a metric
    scale and the district outline; centred on ``center`` (WGS-84), else fitted to the district."""
    assets.check()
    lat, lon = drawn(*(center or DISTRICT_CENTER), tiles)
    m = folium.Map(location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=False, height=height,
                   max_zoom=tiles.max_zoom, min_zoom=9, zoom_snap=0.5, max_bounds=False, attribution_control=True)
    m.default_js = assets.links(LEAFLET_JS)
    m.default_css = assets.links(LEAFLET_CSS)
    # folium only sets maxZoom through a tile layer: marker clustering needs it on the map (no-tiles mode).
    m.options["maxZoom"] = tiles.max_zoom
    MapStyle().add_to(m)
    MetricScale().add_to(m)
    for spec in tiles.layers:
        # A TileProvider object, not a URL string: folium would search xyzservices' catalogue (~10 ms).
        provider = xyzservices.TileProvider(name=spec.name or "tiles", url=spec.url, attribution=spec.attribution,
                                            html_attribution=spec.attribution)
        folium.TileLayer(tiles=provider, attr=spec.attribution, name=spec.name, subdomains=spec.subdomains,
                         max_zoom=tiles.max_zoom, overlay=spec.overlay, control=False).add_to(m)
    outline_layer(tiles.gcj02).add_to(m)
    if center is None:
        m.fit_bounds(district_bounds(tiles))
    return m


def finish(m: folium.Map, assets: Assets) -> folium.Map:
    """Refuse CDN links, then inline the libraries when the page must stand alone."""
    check_no_cdn(m)
    if assets.mode == "inline":
        inline_into(m.get_root(), assets.vendor_dir)
    return m


def build_map(data: MapData, tiles: Tiles, assets: Assets, *, height: int | str = "100%") -> folium.Map:
    """The district map as a folium Map."""
    gcj = tiles.gcj02
    m = base_map(tiles, assets, height=height)
    if tiles.provider == "none" and len(data.streets):
        street_labels_layer(data.streets, gcj).add_to(m)
    SiteCluster(shifted_frame(data.sites, gcj), assets).add_to(m)
    if len(data.rooms):
        rooms_layer(shifted_frame(data.rooms, gcj), data.projects).add_to(m)
    heat = shifted_frame(data.heat, gcj)
    heat_rows = [list(r) for r in zip(np.round(heat["lat"].to_numpy(dtype=float), 6).tolist(),
                                      np.round(heat["lon"].to_numpy(dtype=float), 6).tolist(),
                                      heat["weight"].to_numpy(dtype=float).tolist(), strict=True)]
    max_w = max((r[2] for r in heat_rows), default=1.0)
    HeatLayer(heat_rows, assets, "问题热力（本期）", radius=28, blur=20, minOpacity=0.35, maxZoom=14,
              max=max_w).add_to(m)
    Legend(legend_html(data.sites, tiles, data.title or f"{DISTRICT_NAME}工地牌色")).add_to(m)
    LayerList().add_to(m)
    return finish(m, assets)


def render_html(m: folium.Map) -> str:
    """The whole page (``<!DOCTYPE html>…``) of a built map."""
    check_no_cdn(m)
    return m.get_root().render()


def standalone_html(data: MapData, tiles: Tiles, title: str | None = None) -> str:
    """One self-contained HTML file (assets inlined): opens without internet; only tiles are fetched."""
    m = build_map(data, tiles, Assets.inline())
    root = m.get_root()
    root.title = esc(title or data.title or f"{DISTRICT_NAME}督查地图")
    return render_html(m)


def nearest_site(sites: pd.DataFrame, lat: float, lon: float, *, gcj02: bool = False,
                 max_distance_m: float = 60.0) -> int | None:
    """The site under a clicked point (converted back from GCJ-02 when that layer was shown)."""
    if sites.empty or lat is None or lon is None:
        return None
    if gcj02:
        lat, lon = geo.gcj_to_wgs(lat, lon)
    dist = geo.distance_m(lat, lon, sites["lat"].to_numpy(dtype=float), sites["lon"].to_numpy(dtype=float))
    i = int(np.argmin(dist))
    return int(sites["id"].iloc[i]) if dist[i] <= max_distance_m else None
