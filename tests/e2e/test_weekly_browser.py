"""周报 page in a real browser: the 16:9 pack is laid out, and a download builds a real PNG on click."""

from io import BytesIO
from urllib.parse import urlparse

from PIL import Image

from tests.e2e.conftest import login, screenshot, wait_for_app


def _add_photo_pairs(db_url: str, n: int) -> None:
    """Before/after demo placeholder photos for ``n`` problems of the latest demo week (2019-W52)."""
    from datetime import datetime

    from sqlalchemy import select

    from gangwen_dash.db import get_engine, write_session
    from gangwen_dash.models import Finding, Photo
    from gangwen_dash.photos import demo_paths

    with write_session(get_engine(db_url)) as s:
        findings = s.execute(select(Finding).where(Finding.found_at >= datetime(2019, 12, 23))
                             .order_by(Finding.id).limit(n)).scalars().all()
        assert len(findings) == n
        for i, f in enumerate(findings):
            for kind in ("整改前", "整改后"):
                path, thumb = demo_paths(900 + i, kind, f.category)
                s.add(Photo(finding_id=f.id, kind=kind, path=path, thumb_path=thumb, width=960, height=720,
                            sha256="0" * 64, check_result="现场核验"))
    get_engine(db_url).dispose()


def test_weekly_page_shows_16_9_pack_and_downloads_png(app_server, page, requests_seen):
    _add_photo_pairs(app_server.db_url, 2)
    login(page, app_server.url, "admin")
    # A reload would start a new (signed-out) session: navigate inside the app.
    link = page.get_by_role("link", name="周报（会议模式）")
    link.wait_for(timeout=30_000)
    link.click()
    wait_for_app(page)
    pack = page.locator(".wk-page")
    try:
        pack.wait_for(timeout=60_000)
    finally:
        screenshot(page, "weekly-page")
    assert page.get_by_text("《港闻区政协扬尘管控民主监督工作周报》").first.is_visible()
    assert page.get_by_text("第52期 · 2019-W52").first.is_visible()
    # The template's CSS survived st.html's sanitiser: the pack is a 16:9 box, not unstyled text.
    box = pack.bounding_box()
    assert box and box["width"] > 400
    assert abs(box["width"] / box["height"] - 16 / 9) < 0.02
    assert "week=2019-W52" in page.url  # the latest week with data, linkable
    # 典型问题: both pairs shown, the inlined photos survive the sanitiser and decode in the browser.
    images = page.locator(".wk-pair img")
    assert images.count() == 4
    assert all(images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0") for i in range(4))
    screenshot(page, "weekly-page")

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载 PNG（1920×1080）").click()
    download = info.value
    assert download.suggested_filename == "weekly-2019-W52.png"
    with open(download.path(), "rb") as fh:
        img = Image.open(BytesIO(fh.read()))
        assert img.size == (1920, 1080)

    hosts = {urlparse(u).hostname for u in requests_seen if u.startswith("http")}
    assert hosts <= {"127.0.0.1"}, hosts


def test_a_week_typed_and_downloaded_at_once_gives_that_weeks_file(app_server, page):
    """Type a day into the week field and click PNG straight away, without leaving the field first: the file
    is the typed week's (the field used to apply only when it lost focus, and the click got the old week)."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, app_server.url, "admin")
    page.get_by_role("link", name="周报（会议模式）").click()
    wait_for_app(page)
    page.locator(".wk-page").wait_for(timeout=60_000)
    assert page.get_by_text("2019-W52").first.is_visible()
    # The field is year / month / day segments; typing fills one after the other.
    page.get_by_role("spinbutton", name="year, 周次（选择该周任意一天）").click()
    page.keyboard.type("20191113")
    assert page.get_by_role("spinbutton", name="day, 周次（选择该周任意一天）").inner_text() == "13"
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="下载 PNG（1920×1080）").click()
    assert info.value.suggested_filename == "weekly-2019-W46.png"
    wait_for_app(page)
    assert "week=2019-W46" in page.url
    screenshot(page, "weekly-typed-week")
    # The second format, with the page settled, is that week's too.
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="下载 Excel 附表").click()
    assert info.value.suggested_filename == "weekly-2019-W46.xlsx"
