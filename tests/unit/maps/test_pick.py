"""地图选点: the tap map uses local assets only and converts a tap back to WGS-84."""

import pytest

from gangwen_dash import maps
from gangwen_dash.domain import geo
from gangwen_dash.maps.pick import build_pick_map, click_to_wgs

POINT = (32.0621, 120.8243)


def test_pick_map_local_assets_marker_at_point():
    tiles = maps.resolve_tiles({}, "osm")
    m = build_pick_map(POINT, tiles, maps.Assets.served("/app/static/vendor"))
    html = maps.render_html(m)
    assert "/app/static/vendor/leaflet/leaflet.js" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html and "cdnjs" not in html
    assert "32.0621" in html and "120.8243" in html  # marker and centre at the point
    assert m.location == [pytest.approx(32.0621), pytest.approx(120.8243)]


def test_gaode_tiles_shift_marker_and_click_back_to_wgs84():
    tiles = maps.resolve_tiles({}, "gaode")
    m = build_pick_map(POINT, tiles, maps.Assets.served())
    g_lat, g_lon = geo.wgs_to_gcj(*POINT)
    assert m.location == [pytest.approx(g_lat), pytest.approx(g_lon)]
    back = click_to_wgs({"lat": g_lat, "lng": g_lon}, tiles)
    assert back == pytest.approx(POINT, abs=1e-6)
    assert click_to_wgs({"lat": 32.1, "lng": 120.8}, maps.resolve_tiles({}, "osm")) == (32.1, 120.8)
    assert click_to_wgs(None, tiles) is None and click_to_wgs({"lat": None, "lng": 1}, tiles) is None


def test_no_point_shows_the_whole_district():
    m = build_pick_map(None, maps.resolve_tiles({}, "none"), maps.Assets.served())
    assert "fitBounds" in maps.render_html(m)


def test_pick_map_and_district_map_share_one_base_map():
    """Tiles, style, metric scale and district outline come from ``build.base_map`` for both maps."""
    import json

    from gangwen_dash.bench.map import synthetic_data
    from gangwen_dash.maps.build import base_map
    from gangwen_dash.maps.district import DISTRICT_OUTLINE

    tiles = maps.resolve_tiles({}, "osm")
    base = maps.render_html(base_map(tiles, maps.Assets.served()))
    pick = maps.render_html(build_pick_map(POINT, tiles, maps.Assets.served()))
    district = maps.render_html(maps.build_map(synthetic_data(20), tiles, maps.Assets.served()))
    first = json.dumps([round(c, 5) for c in DISTRICT_OUTLINE[0]], separators=(",", ":"))
    for page in (base, pick, district):
        assert "L.control.scale({imperial: false})" in page
        assert ".gw-legend" in page  # the map style sheet
        assert "tile.openstreetmap.org" in page
        assert first in page and "dashArray" in page  # the district outline
