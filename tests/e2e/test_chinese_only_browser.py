"""Every page of every role at 390, 768 and 1920 px shows Chinese only: no visible Latin word outside the
allow-list (our own terms, file formats, map credits), no "None"/"NaN" in tables and cards.

Pages are chosen in the sidebar as users do (narrow screens open it first; it folds away again)."""

from __future__ import annotations

import re

import pytest

from gangwen_dash.reports.xlsx import SHEET_TITLES
from gangwen_dash.ui.navigation import pages_for
from tests.e2e.conftest import EMPTY_CELLS_JS, VISIBLE_TEXT_JS, login, open_page, screenshot

pytestmark = pytest.mark.e2e

# The one place for Latin words a Chinese user may see. Everything else is a bug.
LATIN_ALLOWED = frozenset({
    # checklist items, ISO weeks, units and measures
    "S1", "S2", "S3", "S4", "S5", "S6", "ISO", "PM", "PM10", "PM2", "km", "m", "MB", "KB", "GB",
    # file formats and programs people know by these names
    "PNG", "PDF", "XLSX", "xlsx", "Excel", "WPS", "JPEG", "JPG", "WebP", "CSV",
    # map credits and coordinate systems
    "OpenStreetMap", "OSM", "Leaflet", "contributors", "WGS", "GCJ", "GPS",
    # proposal result classes A类/B类/C类 (the CPPCC's own terms for 办理结果)
    "A", "B", "C",
    # paper size of the weekly pack's PDF; the sheet names inside its xlsx attachment
    "A4", *SHEET_TITLES,
})
LATIN_ALLOWED_PATTERNS = (
    re.compile(r"W\d{1,2}"),  # ISO week numbers as in 2019-W46 (chart axes, the weekly pack's week picker)
)
NOT_A_VALUE = {"None", "NaN", "nan", "NaT", "null", "undefined"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
WIDTHS = {390: 844, 768: 1024, 1920: 1080}
ROLES = {"secretariat": "admin", "chair": "chair", "group_leader": "leader1", "inspector": "inspector1", "unit": "zjj"}


def _latin_words(text: str, user_data: set[str]) -> set[str]:
    return {w for w in set(WORD.findall(text))
            if w not in LATIN_ALLOWED and w not in user_data and not any(p.fullmatch(w) for p in LATIN_ALLOWED_PATTERNS)}


def _page_words(page, user_data: set[str]) -> set[str]:
    found = set()
    for frame in page.frames:  # maps and components draw in frames of their own
        try:
            text = frame.evaluate(VISIBLE_TEXT_JS, None)
        except Exception:
            continue
        found |= _latin_words(text, user_data)
        empty = frame.evaluate(EMPTY_CELLS_JS)
        if empty:
            found.add(f"表格空值×{empty}（画布上显示为 None）")
    return found


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_speaks_chinese(app_server, browser, role, width):
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    problems: dict[str, set[str]] = {}
    try:
        login(page, app_server.url, ROLES[role])
        titles = [spec.title for spec in pages_for(role)] + ["我的账号"]
        for title in titles:
            open_page(page, title)
            page.locator("h1").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1200)  # charts, maps and components finish drawing
            words = _page_words(page, {ROLES[role]})  # the user's own account name is data, not UI
            if words:
                problems[title] = words
                screenshot(page, f"latin-{role}-{width}-{title}")
    finally:
        context.close()
    assert not problems, f"{role} at {width}px sees Latin words / empty values: {problems}"
