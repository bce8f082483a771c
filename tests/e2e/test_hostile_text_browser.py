"""Hostile user text in a real browser: shown as typed, never fetched, linked, coloured or run.

The four strings of ``tests.support.hostile`` are stored through the services (site name and address,
finding description, notes, responsible unit, hand-over note, reply, weekly plan, a group and a member)
in this module's own server's database before any page is opened. The secretariat signs in and walks
every page through the sidebar. No request may leave for another host (outside requests are also
aborted, so nothing leaves the machine), no <img> from the text may appear, no dialog may open, the
text must read exactly as typed, and no table may offer Streamlit's raw CSV download.
"""

from __future__ import annotations

import shutil
import time
from urllib.parse import urlparse

import pytest

from gangwen_dash import config, db
from gangwen_dash.ui.usertext import WORD_JOINER
from tests.e2e.conftest import ARTIFACTS, AppServer, login, screenshot, wait_for_app
from tests.support import hostile

pytestmark = pytest.mark.e2e
LOCAL = {"127.0.0.1"}


@pytest.fixture(scope="module")
def app_server(_templates, tmp_path_factory):
    """Like conftest's, but the responsible-unit list (configuration) holds the hostile unit too, and
    the map has no tile layer (OSM tiles, the default, are an outside host whatever the text)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("e2e-hostile")
    db_path = work / "demo.db"
    shutil.copyfile(_templates("sqlite", "demo"), db_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANGWEN_SECRETS_FILE", str(hostile.secrets_file(work)))
        mp.setenv("GANGWEN_PHOTO_DIR", str(work / "photos"))
        mp.setenv("GANGWEN_DATABASE_URL", f"sqlite:///{db_path}")
        mp.setenv("GANGWEN_TILES", "none")  # the default OSM tiles are an outside host by design
        config.reset_settings()
        server = AppServer(db_path, work / "photos")
        try:
            yield server
        finally:
            server.stop()
            db.get_engine(server.db_url).dispose()
    config.reset_settings()


@pytest.fixture(scope="module")
def stored(app_server):
    return hostile.store(app_server.db_url)


def _visible_text(page) -> str:
    """The page's text as read (the word joiners md() puts into URLs are invisible)."""
    return page.evaluate("document.body.innerText").replace(WORD_JOINER, "")


def _assert_shown(page, *texts: str) -> None:
    """Every text appears verbatim; polled, since a section may still be drawing after its first line."""
    deadline = time.monotonic() + 30
    while True:
        body = _visible_text(page)
        missing = [t for t in texts if t not in body]
        if not missing or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    assert not missing, (missing, body[:2000])


def _assert_inert(page) -> None:
    images = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src') || '')")
    assert not [s for s in images if s == "x" or "attacker" in s], images
    assert page.locator('[data-testid="stMarkdownContainer"] a[href^="javascript"]').count() == 0
    links = page.locator('[data-testid="stMarkdownContainer"] a[href*="attacker"]:not([href^="#"])')  # not heading anchors
    assert links.count() == 0, links.first.evaluate("e => e.closest('[data-testid=stElementContainer]').outerHTML")


def _no_csv_download(page) -> int:
    """Hover every visible table: its toolbar appears (search, fullscreen) without the CSV download."""
    grids = page.locator('[data-testid="stDataFrame"]')
    seen, deadline = -1, time.monotonic() + 10
    while time.monotonic() < deadline:  # tables below the heading may still be drawing: wait until the count settles
        page.wait_for_timeout(500)
        now = grids.count()
        if now == seen:
            break
        seen = now
    checked = 0
    for i in range(grids.count()):
        grid = grids.nth(i)
        if not grid.is_visible():
            continue  # in a closed expander or another tab
        grid.scroll_into_view_if_needed()
        grid.hover()
        toolbar = grid.locator('xpath=ancestor::*[.//*[@data-testid="stElementToolbar"]][1]'
                               '//*[@data-testid="stElementToolbar"]').first
        toolbar.locator("button").first.wait_for(timeout=10_000)
        labels = toolbar.locator("button").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label') || e.innerText)")
        assert "Search" in labels and not [x for x in labels if "CSV" in x or "Download" in x], labels
        checked += 1
    return checked


HEADINGS = {"督查整改": "督查整改分析", "Excel导入导出": "Excel 导入导出"}  # sidebar title → the page's h1


def _go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    wait_for_app(page)
    page.locator("h1").filter(has_text=HEADINGS.get(title, title)).first.wait_for(timeout=30_000)


def _choose(page, label: str, typed: str) -> None:
    """Open a selectbox, type to filter its options, take the first match."""
    page.get_by_label(label).first.click()
    page.keyboard.type(typed)
    # the list re-renders as it filters: wait for an option that matches what was typed
    page.locator('[role="option"]').filter(has_text=typed.strip()).first.click()
    wait_for_app(page)


def test_secretariat_walks_every_page_and_the_text_stays_text(app_server, stored, page, requests_seen):
    page.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).hostname in LOCAL
               or route.request.url.startswith(("data:", "blob:")) else route.abort())
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, app_server.url, "admin")

    grids = 0
    for title in ("驾驶舱", "督查整改", "项目进展", "履职活动", "记录管理", "Excel导入导出"):
        _go(page, title)
        _assert_inert(page)
        grids += _no_csv_download(page)
    assert grids >= 5

    _go(page, "整改跟踪")
    _choose(page, "选择问题", f"#{stored.finding_id} ")
    page.get_by_text(stored.description, exact=False).first.wait_for(timeout=30_000)  # st.text, verbatim
    _assert_shown(page, f"#{stored.finding_id} {stored.site} · ", f"责任单位：{hostile.UNIT}",
                  f"整改回复：{stored.reply}", f"工地时间线：{stored.site}", stored.notes, stored.hand_over_note)
    _assert_inert(page)
    _no_csv_download(page)
    screenshot(page, "hostile-tracking")

    _go(page, "督查录入")
    search = page.get_by_label("搜索工地（名称、街道或地址）")
    search.fill("javascript")
    search.press("Enter")
    wait_for_app(page)
    page.get_by_label("选择工地").click()
    page.locator('[role="option"]').first.click()
    wait_for_app(page)
    _assert_shown(page, stored.address)
    _assert_inert(page)

    _go(page, "督查地图")
    _choose(page, "选择工地", "javascript")
    page.get_by_text("· 时间线").first.wait_for(timeout=30_000)
    _assert_shown(page, f"{stored.site} · 时间线")
    _assert_inert(page)
    _no_csv_download(page)

    _go(page, "周报（会议模式）")
    page.get_by_text(stored.plan, exact=False).first.wait_for(timeout=30_000)
    _assert_inert(page)
    screenshot(page, "hostile-weekly")

    assert dialogs == []
    hosts = {urlparse(u).hostname for u in requests_seen if u.startswith(("http:", "https:"))}
    assert hosts <= LOCAL, hosts
