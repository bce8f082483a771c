"""The app answers in a real browser and talks to no outside host."""

from urllib.parse import urlparse

from tests.e2e.conftest import login, screenshot


def test_overview_renders_in_chromium_without_outside_requests(app_server, page, requests_seen):
    login(page, app_server.url, "chair")
    page.get_by_text("督查次数").first.wait_for(timeout=30_000)
    assert page.get_by_text("32 次").first.is_visible()
    screenshot(page, "overview")
    hosts = {urlparse(u).hostname for u in requests_seen if u.startswith("http")}
    assert hosts <= {"127.0.0.1"}, hosts
