"""Maps (督查地图 and the pick map of 督查录入): pure folium builders, no Streamlit, no queries.

Modules: ``tiles`` (which base layers, ``resolve_tiles``), ``assets`` (Leaflet from the app or inlined,
the CDN guard), ``escape`` (user text and JSON inside the page), ``layers`` (style, scale, script layers,
legend, rooms), ``site_cluster`` (the 红/黄/绿牌 sites), ``district`` (outline, street labels, GCJ shift),
``build`` (one base map; the district map; standalone HTML; the site under a click), ``pick`` (the pick map).
The data comes from the read side (``queries.sites.map_data`` → ``MapData``).

Callers use the small public API re-exported here; tests of one piece import its module.
"""

from gangwen_dash.maps.assets import Assets, AssetsMissing, missing_assets
from gangwen_dash.maps.build import build_map, nearest_site, render_html, standalone_html
from gangwen_dash.maps.pick import build_pick_map, click_to_wgs
from gangwen_dash.maps.tiles import TileConfigError, Tiles, TileSpec, resolve_tiles

__all__ = ["Assets", "AssetsMissing", "TileConfigError", "TileSpec", "Tiles", "build_map", "build_pick_map",
           "click_to_wgs", "missing_assets", "nearest_site", "render_html", "resolve_tiles", "standalone_html"]
