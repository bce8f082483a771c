"""督查地图 in Debian's Chromium with the network cut off: only localhost (and files) may answer.

Every request the page makes is recorded (Chromium's request log through Playwright) and every request
to another host is aborted, so nothing leaves the machine and a CDN dependency would show as a blank
map. Screenshots are kept in tests/artifacts/ (map-standalone-none.png, map-page.png).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from urllib.parse import urlparse

import pytest

from gangwen_dash.config import PROJECT_ROOT
from tests.e2e.conftest import ARTIFACTS, AppServer, login, screenshot, wait_for_app

LOCAL = {"127.0.0.1", "localhost"}


def _block_outside(page, seen: list[str]) -> None:
    """Record every request; let through only local files and localhost, abort the rest."""

    def handle(route):
        url = route.request.url
        seen.append(url)
        host = urlparse(url).hostname
        if url.startswith(("file:", "data:", "blob:")) or host in LOCAL:
            route.continue_()
        else:
            route.abort()

    page.route("**/*", handle)


def _outside_hosts(urls: list[str]) -> set[str]:
    return {urlparse(u).hostname for u in urls if u.startswith(("http:", "https:"))} - LOCAL


@pytest.fixture(scope="module")
def demo_db(_templates, tmp_path_factory):
    work = tmp_path_factory.mktemp("map-e2e")
    path = work / "demo.db"
    shutil.copyfile(_templates("sqlite", "demo"), path)
    return path


def _map_html(demo_db, out, tiles: str) -> None:
    env = {**os.environ, "GANGWEN_DATABASE_URL": f"sqlite:///{demo_db}", "GANGWEN_SEED_DEMO": "0"}
    env.pop("GANGWEN_TILES", None)
    done = subprocess.run([sys.executable, "-m", "gangwen_dash", "map-html", "--out", str(out), "--tiles", tiles,
                           "--from", "2019-11-01", "--to", "2019-11-30"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "48 个工地" in done.stdout


def _count_markers(frame_or_page) -> tuple[int, int, int]:
    markers = frame_or_page.locator(".leaflet-marker-icon")
    markers.first.wait_for(timeout=30_000)
    return (markers.count(), frame_or_page.locator(".marker-cluster").count(),
            frame_or_page.locator(".gw-site").count())


def test_standalone_file_without_tiles_requests_nothing_and_draws_points(demo_db, tmp_path, page, requests_seen):
    out = tmp_path / "map-none.html"
    _map_html(demo_db, out, "none")
    seen: list[str] = []
    _block_outside(page, seen)
    page.goto(out.as_uri())
    total, clusters, singles = _count_markers(page)
    assert total > 0 and clusters + singles > 0
    # The layer control, the legend and the outline are drawn too (Leaflet and its CSS really ran).
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.get_by_text("红牌").first.is_visible()
    assert page.locator("path.leaflet-interactive, path").count() > 0
    page.wait_for_timeout(500)
    screenshot(page, "map-standalone-none")
    assert _outside_hosts(seen) == set(), seen
    assert _outside_hosts(requests_seen) == set()
    # Nothing but the file itself was fetched (every library is inlined).
    assert [u for u in seen if not u.startswith("data:")] == [out.as_uri()]


def test_standalone_file_with_osm_asks_only_the_tile_server(demo_db, tmp_path, page, requests_seen):
    out = tmp_path / "map-osm.html"
    _map_html(demo_db, out, "osm")
    seen: list[str] = []
    _block_outside(page, seen)
    page.goto(out.as_uri())
    total, _, _ = _count_markers(page)
    assert total > 0
    page.wait_for_timeout(500)
    assert _outside_hosts(seen) == {"tile.openstreetmap.org"}, _outside_hosts(seen)
    tiles = [u for u in seen if u.startswith("https://tile.openstreetmap.org/")]
    assert tiles and all(u.endswith(".png") for u in tiles)


@pytest.fixture(scope="module")
def no_tiles_server(demo_db, tmp_path_factory):
    """The app with GANGWEN_TILES=none: the whole page must then come from localhost."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before = os.environ.get("GANGWEN_TILES")
    os.environ["GANGWEN_TILES"] = "none"
    try:
        server = AppServer(demo_db, tmp_path_factory.mktemp("map-photos"))
    finally:
        if before is None:
            os.environ.pop("GANGWEN_TILES", None)
        else:
            os.environ["GANGWEN_TILES"] = before
    yield server
    server.stop()


def _open_map_page(page, server) -> object:
    login(page, server.url, "chair")
    page.get_by_role("link", name="督查地图").click()
    wait_for_app(page)
    page.locator("h1").filter(has_text="督查地图").first.wait_for(timeout=30_000)
    iframe = page.locator("iframe[title*='st_folium']")
    iframe.wait_for(timeout=30_000)
    return page.frame_locator("iframe[title*='st_folium']")


def test_map_page_draws_markers_offline_and_a_click_shows_the_timeline(no_tiles_server, page, requests_seen):
    page.set_viewport_size({"width": 1440, "height": 1000})
    seen: list[str] = []
    _block_outside(page, seen)
    frame = _open_map_page(page, no_tiles_server)
    total, clusters, singles = _count_markers(frame)
    assert total > 0 and clusters + singles > 0
    assert frame.locator(".leaflet-control-layers").count() == 1
    page.wait_for_timeout(800)
    screenshot(page, "map-page")  # README's docs/screenshots/map.png is a copy of this artefact
    # The vendored libraries came from the app's own static folder.
    assert any(u.endswith("/app/static/vendor/leaflet/leaflet.js") for u in seen)
    assert any(u.endswith("/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js") for u in seen)

    # Click a single site marker: its popup opens in the map and the page shows that site's timeline.
    site = frame.locator(".gw-site").first
    site.wait_for(timeout=10_000)
    site.dispatch_event("click")  # a DOM click on the marker icon (robust if the legend overlaps it)
    frame.locator(".gw-pop").first.wait_for(timeout=10_000)
    name = frame.locator(".gw-pop b").first.inner_text()
    page.get_by_text(f"{name} · 时间线").wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.get_by_text("最近督查").first.is_visible()

    assert _outside_hosts(seen) == set(), _outside_hosts(seen)
    assert _outside_hosts(requests_seen) == set()


def test_map_page_with_osm_asks_only_the_tile_server(app_server, page):
    seen: list[str] = []
    _block_outside(page, seen)
    frame = _open_map_page(page, app_server)
    total, _, _ = _count_markers(frame)
    assert total > 0
    page.wait_for_timeout(800)
    assert _outside_hosts(seen) <= {"tile.openstreetmap.org"}, _outside_hosts(seen)


def test_on_a_phone_the_layer_list_folds_and_the_legend_keeps_the_card_counts(demo_db, tmp_path, page):
    out = tmp_path / "map-phone.html"
    _map_html(demo_db, out, "none")
    for width, narrow in ((390, True), (1024, False)):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(out.as_uri())
        _count_markers(page)
        expanded = page.locator(".leaflet-control-layers-expanded").count()
        assert expanded == (0 if narrow else 1), (width, expanded)
        legend = page.locator(".gw-legend")
        assert "红牌" in legend.inner_text() and "绿牌" in legend.inner_text()
        assert page.locator(".gw-legend .gw-more").first.is_visible() is not narrow
        if narrow:
            toggle = page.locator(".leaflet-control-layers-toggle")
            assert toggle.get_attribute("title") == "图层"  # its tooltip speaks Chinese too
            toggle.dispatch_event("click")  # the folded list opens on a tap
            page.locator(".leaflet-control-layers-expanded").wait_for(timeout=5_000)
            screenshot(page, "map-phone-layers")
