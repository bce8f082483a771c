"""Map builders: escaping, local assets only, tile options, GCJ-02 shift and click conversion."""

import json
import re
from datetime import datetime

import pandas as pd
import pytest

from gangwen_dash import maps
from gangwen_dash.config import DISTRICT_CENTER
from gangwen_dash.domain import geo
from gangwen_dash.maps import assets, escape
from gangwen_dash.queries.sites import SITE_COLUMNS, MapData

EVIL = '<script>alert("x")</script>&<b>'


def _sites(n=3, name=None):
    rows = []
    for i in range(n):
        rows.append({
            "id": i + 1, "name": name if (name and i == 0) else f"工地{i + 1}", "street_id": 1,
            "street": "唐闸镇街道" if i % 2 == 0 else "<i>街道</i>", "lat": 32.05 + i * 0.001,
            "lon": 120.82 + i * 0.001, "status": "在建",
            "last_inspected_at": datetime(2019, 11, 14, 9, 30) if i else pd.NaT, "last_kind": "抽查暗访" if i else None,
            "open_count": i, "overdue_count": 1 if i == 2 else 0, "severe_open_count": 0,
            "card": ["green", "yellow", "red"][i % 3],
        })
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    frame["last_inspected_at"] = pd.to_datetime(frame["last_inspected_at"])
    return frame


def _data(sites=None, room_name="幸福社区协商议事室", project_title="加装电梯"):
    rooms = pd.DataFrame([{"id": 1, "name": room_name, "street": "幸福街道", "kind": "村社区", "lat": 32.08,
                           "lon": 120.85, "is_pilot": True, "projects_solved": 1, "projects_in_progress": 1}])
    projects = pd.DataFrame([{"room_id": 1, "title": project_title, "solved": True},
                             {"room_id": 1, "title": "路灯维修", "solved": False}])
    heat = pd.DataFrame([{"lat": 32.05, "lon": 120.82, "weight": 5.0, "findings": 3}])
    streets = pd.DataFrame([{"id": 1, "name": "唐闸镇街道", "lat": 32.062, "lon": 120.824}])
    return MapData(_sites() if sites is None else sites, rooms, projects, heat, streets, "2019年11月")


def _json_after(html_text: str, prefix: str):
    """The JSON literal assigned after ``prefix`` (e.g. ``var data = ``) in the page's script."""
    match = re.search(re.escape(prefix) + r"(\[.*?\]);\n", html_text, re.S)
    assert match, f"{prefix!r} not found in the page"
    return json.loads(match.group(1))


def _site_rows(html_text: str) -> list:
    """One list per site (the page holds the sites column by column)."""
    return [list(r) for r in zip(*_json_after(html_text, "var data = "), strict=True)]


@pytest.fixture(scope="module")
def assets_installed():
    missing = maps.missing_assets()
    assert not missing, f"run `make assets` first: {missing}"


def test_user_text_is_escaped_in_popups_tooltips_and_page(assets_installed):
    data = _data(_sites(name=EVIL), room_name=EVIL, project_title=EVIL)
    page = maps.render_html(maps.build_map(data, maps.resolve_tiles({}, "osm"), maps.Assets.served()))
    # The raw markup never appears: neither as a tag nor inside the inline script.
    assert '<script>alert("x")' not in page
    assert "<b>" not in page.replace("<b>' +", "")  # our own popup template uses '<b>' + value
    assert "alert(" in page  # the text itself is there, made harmless
    rows = _site_rows(page)
    assert rows[0][4] == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;"
    assert _json_after(page, "var streets = ") == ["唐闸镇街道", "&lt;i&gt;街道&lt;/i&gt;"]
    room = _json_after(page, "var rows = ")[0]
    assert room[2].startswith("&lt;script&gt;") and room[8][0] == "✔ &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;"
    # Every '<' inside the JSON data is written as \u003c: nothing can close the <script> block.
    data_block = re.search(r"var data = (\[.*?\]);\n", page, re.S).group(1)
    assert "<" not in data_block and ">" not in data_block


def test_escape_helpers():
    assert escape.esc(EVIL) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;"
    assert escape.esc(None) == "" and escape.esc(float("nan")) == ""
    assert escape.js_json(["</script>"]) == '["\\u003c/script\\u003e"]'


def test_served_assets_are_local_urls_only(assets_installed):
    m = maps.build_map(_data(), maps.resolve_tiles({}, "osm"), maps.Assets.served("/app/static/vendor"))
    page = maps.render_html(m)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    styles = re.findall(r'<link[^>]+href="([^"]+)"', page)
    assert scripts == ["/app/static/vendor/leaflet/leaflet.js",
                       "/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
                       "/app/static/vendor/leaflet.heat/leaflet-heat.js"]
    assert sorted(styles) == sorted(["/app/static/vendor/leaflet/leaflet.css",
                                     "/app/static/vendor/leaflet.markercluster/MarkerCluster.css",
                                     "/app/static/vendor/leaflet.markercluster/MarkerCluster.Default.css"])
    for url in scripts + styles:
        rel = url.removeprefix("/app/static/vendor/")
        assert (assets.VENDOR_DIR / rel).is_file()
    assert "cdn" not in page.lower() and "AwesomeMarkers" not in page and "jquery" not in page.lower()


def test_check_no_cdn_refuses_stock_folium_elements(assets_installed):
    import folium

    m = maps.build_map(_data(), maps.resolve_tiles({}, "none"), maps.Assets.served())
    folium.Marker([32.06, 120.83]).add_to(m)  # fine: no assets of its own
    assets.check_no_cdn(m)
    from folium.plugins import Fullscreen

    Fullscreen().add_to(m)  # its default_js points at a CDN
    with pytest.raises(RuntimeError, match="outside the app"):
        maps.render_html(m)


def test_inline_page_embeds_the_libraries_and_links_nothing(assets_installed):
    page = maps.standalone_html(_data(), maps.resolve_tiles({}, "none"))
    assert not re.findall(r'<script[^>]+src=', page)
    assert not re.findall(r'<link[^>]+rel="stylesheet"', page)
    assert "L.markerClusterGroup" in page and "L.heatLayer" in page
    assert "var L" in page or "window.L" in page or "exports.L" in page or "leaflet" in page.lower()
    # Leaflet's CSS images are data URIs, so the layer control needs no file either.
    assert "url(images/" not in page and "data:image/png;base64," in page
    assert "sourceMappingURL" not in page


def test_layers_legend_and_layer_control(assets_installed):
    page = maps.render_html(maps.build_map(_data(), maps.resolve_tiles({}, "none"), maps.Assets.served()))
    for name in ("工地（红黄绿牌）", "协商议事室·民生项目", "问题热力（本期）", "港闻区区界（示意）", "街道名称"):
        assert json.dumps(name) in page  # layer control entries (JSON-escaped by folium)
    assert "L.control.layers" in page
    assert "gw-legend" in page and "红牌" in page and "黄牌" in page and "绿牌" in page
    assert "L.markerClusterGroup" in page
    # No tile layer, and maxZoom set on the map itself (marker clustering needs it).
    assert "L.tileLayer" not in page
    assert re.search(r'"maxZoom": 18', page)


def test_tile_options_and_precedence(monkeypatch):
    monkeypatch.delenv("GANGWEN_TILES", raising=False)
    monkeypatch.delenv("GANGWEN_TIANDITU_TK", raising=False)
    osm = maps.resolve_tiles({})
    assert osm.provider == "osm" and osm.hosts == {"tile.openstreetmap.org"} and not osm.gcj02
    tdt = maps.resolve_tiles({"provider": "tianditu", "tk": "abc123"})
    assert [s.name for s in tdt.layers] == ["天地图", "天地图注记"] and all("tk=abc123" in s.url for s in tdt.layers)
    assert "t0.tianditu.gov.cn" in tdt.hosts and not tdt.gcj02
    with pytest.raises(maps.TileConfigError, match="tk"):
        maps.resolve_tiles({"provider": "tianditu"})
    gaode = maps.resolve_tiles({"provider": "gaode"})
    assert gaode.gcj02 and "webrd01.is.autonavi.com" in gaode.hosts
    custom = maps.resolve_tiles({"provider": "custom", "url": "http://tiles.gov.local/{z}/{x}/{y}.png",
                                 "attribution": "市天地图节点", "coords": "gcj02"})
    assert custom.gcj02 and custom.hosts == {"tiles.gov.local"}
    with pytest.raises(maps.TileConfigError, match="attribution"):
        maps.resolve_tiles({"provider": "custom", "url": "http://x/{z}/{x}/{y}.png"})
    with pytest.raises(maps.TileConfigError, match="未知的底图"):
        maps.resolve_tiles({}, "bing")
    # The environment wins over the secrets file; an explicit argument (CLI --tiles) wins over both.
    monkeypatch.setenv("GANGWEN_TILES", "none")
    assert maps.resolve_tiles({"provider": "gaode"}).provider == "none"
    assert maps.resolve_tiles({"provider": "gaode"}, "osm").provider == "osm"


def test_tile_layers_carry_attribution(assets_installed):
    for provider, attr in (("osm", "OpenStreetMap"), ("gaode", "Gaode.com")):
        page = maps.render_html(maps.build_map(_data(), maps.resolve_tiles({}, provider), maps.Assets.served()))
        assert "L.tileLayer" in page and attr in page
    page = maps.render_html(maps.build_map(_data(), maps.resolve_tiles({"provider": "tianditu", "tk": "k"}),
                                           maps.Assets.served()))
    assert page.count("L.tileLayer") == 2 and "tianditu.gov.cn" in page


def test_gaode_shifts_points_to_gcj02_and_clicks_convert_back(assets_installed):
    data = _data()
    wgs_rows = _site_rows(maps.render_html(maps.build_map(data, maps.resolve_tiles({}, "osm"), maps.Assets.served())))
    gcj_rows = _site_rows(maps.render_html(maps.build_map(data, maps.resolve_tiles({}, "gaode"),
                                                          maps.Assets.served())))
    for w, g in zip(wgs_rows, gcj_rows, strict=True):
        w, g = [w[0] / 1e6, w[1] / 1e6], [g[0] / 1e6, g[1] / 1e6]  # micro-degrees in the page
        exp_lat, exp_lon = geo.wgs_to_gcj(w[0], w[1])
        assert g[0] == pytest.approx(exp_lat, abs=1e-6) and g[1] == pytest.approx(exp_lon, abs=1e-6)
        assert 380 < geo.distance_m(w[0], w[1], g[0], g[1]) < 560
    # A click on the shifted marker finds the site again; without conversion it would miss by ~470 m.
    site = data.sites.iloc[2]
    glat, glon = geo.wgs_to_gcj(site["lat"], site["lon"])
    assert maps.nearest_site(data.sites, glat, glon, gcj02=True) == site["id"]
    assert maps.nearest_site(data.sites, glat, glon, gcj02=False) is None
    assert maps.nearest_site(data.sites, site["lat"], site["lon"]) == site["id"]
    assert maps.nearest_site(data.sites.iloc[0:0], 32.0, 120.0) is None


def test_map_centre_follows_the_coordinate_system(assets_installed):
    osm = maps.build_map(_data(), maps.resolve_tiles({}, "osm"), maps.Assets.served())
    gaode = maps.build_map(_data(), maps.resolve_tiles({}, "gaode"), maps.Assets.served())
    assert osm.location == list(DISTRICT_CENTER)
    assert gaode.location == pytest.approx(list(geo.wgs_to_gcj(*DISTRICT_CENTER)))


def test_empty_data_still_builds(assets_installed):
    empty = _data(_sites(0))
    empty.heat = empty.heat.iloc[0:0]
    page = maps.render_html(maps.build_map(empty, maps.resolve_tiles({}, "none"), maps.Assets.served()))
    assert _site_rows(page) == [] and "L.heatLayer" in page


def test_missing_assets_are_reported_in_chinese(tmp_path):
    assert "leaflet/leaflet.js" in maps.missing_assets(tmp_path)
    with pytest.raises(maps.AssetsMissing, match="make assets"):
        maps.build_map(_data(), maps.resolve_tiles({}, "none"), maps.Assets.inline(tmp_path))


@pytest.mark.parametrize("name", ["{{ 7*7 }}工地", "{% if true %}x{% endif %}", "{# 注释", "{{ config.items() }}"])
def test_template_syntax_in_user_text_is_never_evaluated(assets_installed, name):
    """folium re-compiles rendered scripts as Jinja: user text must reach the page as plain text."""
    data = _data(_sites(name=name), room_name=name, project_title=name)
    page = maps.render_html(maps.build_map(data, maps.resolve_tiles({}, "osm"), maps.Assets.served()))
    assert _site_rows(page)[0][4] == escape.esc(name)
    assert _json_after(page, "var rows = ")[0][2] == escape.esc(name)
    assert "{{" not in page and "{%" not in page and "{#" not in page


@pytest.mark.parametrize("provider", ["osm", "gaode", "none"])
def test_page_scripts_are_valid_javascript(assets_installed, tmp_path, provider):
    """Every inline script of the page parses (node --check; node comes with npm, which `make assets` needs)."""
    import shutil
    import subprocess

    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is installed with npm by `make assets`"
    data = _data(_sites(name='{{ 7*7 }} "引号" \\ 反斜杠 </script>'), room_name="{#x", project_title="{% y %}")
    page = maps.render_html(maps.build_map(data, maps.resolve_tiles({}, provider), maps.Assets.served()))
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) >= 2
    for i, body in enumerate(scripts):
        path = tmp_path / f"s{i}.js"
        path.write_text(body, encoding="utf-8")
        done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
