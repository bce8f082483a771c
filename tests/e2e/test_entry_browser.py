"""Real browser (Chromium, 1024×768): record an inspection with 不符合 on S2 and a photo, then see the
new finding counted on the cockpit."""

import re
from datetime import date

from tests.e2e.conftest import login, screenshot, wait_for_app
from tests.support import images


def _findings_this_week(db_url: str) -> int:
    """Findings of the current ISO week, straight from the database (the demo is 2019: normally 0)."""
    from datetime import datetime, timedelta

    from sqlalchemy import func, select

    from gangwen_dash.db import make_engine, read_session
    from gangwen_dash.models import Finding

    monday = date.today() - timedelta(days=date.today().weekday())
    start = datetime.combine(monday, datetime.min.time())
    engine = make_engine(db_url)
    try:
        with read_session(engine) as s:
            return s.execute(select(func.count()).select_from(Finding).where(
                Finding.found_at >= start, Finding.found_at < start + timedelta(days=7))).scalar_one()
    finally:
        engine.dispose()


def _cockpit_findings(page, week_label: str) -> int:
    """Open 驾驶舱 in the same session, pick this ISO week in the sidebar, read the 发现问题 card."""
    page.get_by_role("link", name="驾驶舱").click()
    wait_for_app(page)
    page.locator("h1").filter(has_text="驾驶舱").first.wait_for(timeout=30_000)
    page.wait_for_timeout(600)  # the cockpit settles its filters (a rerun would close an open dropdown)
    wait_for_app(page)
    if page.locator("[data-testid=stCaptionContainer]").filter(has_text=week_label).count() == 0:
        page.get_by_label("ISO 周").click()
        page.locator('[role="option"]').filter(has_text=week_label).first.click()
        wait_for_app(page)  # (the cockpit opens on the latest data's week, which may already be this one)
    page.get_by_text(week_label).first.wait_for(timeout=30_000)
    card = page.locator('[data-testid="stMetric"]').filter(has_text="发现问题").first
    card.wait_for(timeout=30_000)
    value = card.locator('[data-testid="stMetricValue"]').inner_text()
    return int(re.search(r"\d+", value).group())


def _tap(page, group_label: str, option: str) -> None:
    """One tap on a segmented control option, found by its label."""
    group = page.get_by_role("radiogroup", name=group_label).first
    group.get_by_role("radio", name=option, exact=True).click()
    wait_for_app(page)


def test_record_inspection_on_tablet_and_see_it_on_the_cockpit(app_server, page, tmp_path):
    iso = date.today().isocalendar()
    week_label = f"{iso.year}年第{iso.week}周"
    before = _findings_this_week(app_server.db_url)
    login(page, app_server.url, "inspector1")

    page.get_by_role("link", name="督查录入").click()
    wait_for_app(page)
    page.get_by_text("① 工地").wait_for(timeout=30_000)
    # site: search, then pick the first result
    search = page.get_by_label("搜索工地（名称、街道或地址）")
    search.fill("唐闸")
    search.press("Enter")
    wait_for_app(page)
    page.get_by_label("选择工地").click()
    page.locator('[role="option"]').first.click()
    wait_for_app(page)
    page.get_by_text("坐标 3").first.wait_for(timeout=10_000)

    for item in ("S1 工地周边", "S3 出入车辆", "S4 施工现场", "S6 渣土车辆"):
        _tap(page, item, "符合")
    _tap(page, "S5 拆迁", "不适用")
    _tap(page, "S2 物料堆放", "不符合")
    page.get_by_text("S2 物料堆放100%覆盖 — 不符合").wait_for(timeout=10_000)
    _tap(page, "问题程度", "较重")

    desc = page.get_by_label("问题描述")
    desc.fill("砂石料堆放未覆盖防尘网（浏览器测试）")
    desc.blur()
    wait_for_app(page)
    photo = tmp_path / "s2.jpg"
    photo.write_bytes(images.jpeg(size=(1200, 900)))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(photo))
    page.get_by_text("已保存照片 1 张").first.wait_for(timeout=15_000)
    wait_for_app(page)
    # no horizontal scrolling at 1024×768
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "entry-filled")

    page.get_by_role("button", name="提交督查记录").click()
    wait_for_app(page)
    page.get_by_text("已保存督查记录").wait_for(timeout=30_000)
    assert page.get_by_text("登记问题 1 个").first.is_visible()
    screenshot(page, "entry-saved")
    page.get_by_role("dialog").get_by_role("button", name="继续录入下一条").click()  # the confirmation dialog
    page.get_by_role("dialog").wait_for(state="detached", timeout=10_000)
    wait_for_app(page)

    assert _findings_this_week(app_server.db_url) == before + 1
    assert _cockpit_findings(page, week_label) == before + 1
    screenshot(page, "entry-cockpit")

    # portrait tablet: the emptied form again, still without horizontal scrolling
    page.get_by_role("link", name="督查录入").click()
    wait_for_app(page)
    page.get_by_text("① 工地").wait_for(timeout=30_000)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "entry-portrait")


def test_device_gps_lists_nearest_sites_and_picks_one(app_server, browser, tmp_path):
    """The browser's geolocation (granted, at a demo site) → 附近工地 → one tap selects the site."""
    from sqlalchemy import select

    from gangwen_dash.db import make_engine, read_session
    from gangwen_dash.models import Site

    engine = make_engine(app_server.db_url)
    try:
        with read_session(engine) as s:
            site = s.execute(select(Site).order_by(Site.id)).scalars().first()
            name, lat, lon = site.name, site.lat, site.lon
    finally:
        engine.dispose()
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", permissions=["geolocation"],
                                  geolocation={"latitude": lat + 0.0002, "longitude": lon, "accuracy": 15})
    page = context.new_page()
    try:
        login(page, app_server.url, "inspector1")
        page.get_by_role("link", name="督查录入").click()
        wait_for_app(page)
        page.get_by_text("① 工地").wait_for(timeout=30_000)
        page.get_by_role("button", name="获取当前位置（附近工地）").click()
        page.get_by_text("当前位置：").first.wait_for(timeout=30_000)
        wait_for_app(page)
        nearby = page.get_by_role("radiogroup", name="附近工地").get_by_text(re.compile(re.escape(name) + r" · \d+ 米"))
        nearby.first.click()
        wait_for_app(page)
        # the tapped site is selected: its address line with its stored coordinates shows under the picker
        page.get_by_text(f"坐标 {lat:.5f}, {lon:.5f}").first.wait_for(timeout=30_000)
        screenshot(page, "entry-gps-nearest")
    finally:
        context.close()
