"""Issue 15 in a real browser, the whole loop: the secretariat hands two problems to 住建局 with a 交办单
(the PDF lists both and its number) → the 住建局 account signs in, sees exactly those two and replies with
an after-photo → the group leader's 复查 closes one."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from gangwen_dash import config
from gangwen_dash.db import get_engine, read_session, write_session
from gangwen_dash.models import Finding, InspectionGroup, Member, Site, User
from gangwen_dash.services.base import actor_for
from gangwen_dash.services.inspections import record_inspection
from tests.e2e.conftest import ARTIFACTS, AppServer, login, screenshot, wait_for_app
from tests.support import images

pytestmark = pytest.mark.e2e
DESCRIPTIONS = ("东侧围挡倒塌未修复（交办单测试）", "出口冲洗设备停用（交办单测试）")


@pytest.fixture(scope="module")
def loop_server(_templates, tmp_path_factory):
    """The demo, plus two new 待交办 problems of the first group; 住建局's earlier open problems are moved to
    城管局 so that what the 住建局 account sees is exactly what this test hands over."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("e2e-units")
    db_path = work / "demo.db"
    shutil.copyfile(_templates("sqlite", "demo"), db_path)
    url = f"sqlite:///{db_path}"
    engine = get_engine(url)
    with write_session(engine) as s:
        s.execute(update(Finding).where(Finding.responsible_unit == "住建局", Finding.closed_at.is_(None))
                  .values(responsible_unit="城管局"))
    with read_session(engine) as s:
        inspector = actor_for(s.execute(select(User).where(User.username == "inspector1")).scalar_one())
        gid = s.execute(select(InspectionGroup.id).where(InspectionGroup.name == "第一督查组")).scalar_one()
        site = s.execute(select(Site).order_by(Site.id)).scalars().first()
        lat, lon = site.lat, site.lon
        members = s.execute(select(Member.id).where(Member.group_id == gid).limit(2)).scalars().all()
    at = datetime.now().replace(microsecond=0) - timedelta(hours=2)
    # The before-photos go where the app server keeps its photos.
    saved = os.environ.get("GANGWEN_PHOTO_DIR")
    os.environ["GANGWEN_PHOTO_DIR"] = str(work / "photos")
    config.reset_settings()
    problems = [{"category": cat, "severity": "较重", "responsible_unit": "住建局", "description": text,
                 "photos": [{"name": "before.jpg", "data": images.jpeg(lat, lon, at)}]}
                for cat, text in zip(("S1", "S3"), DESCRIPTIONS, strict=True)]
    result = record_inspection(inspector, {
        "idempotency_key": uuid.uuid4().hex, "site_id": site.id, "kind": "日常督查", "inspected_at": at,
        "group_id": gid, "member_ids": list(members),
        "checklist": {"S1": "不符合", "S2": "符合", "S3": "不符合", "S4": "符合", "S5": "不适用", "S6": "符合"},
        "findings": problems}, engine=engine)
    engine.dispose()
    if saved is None:
        os.environ.pop("GANGWEN_PHOTO_DIR")
    else:
        os.environ["GANGWEN_PHOTO_DIR"] = saved
    config.reset_settings()
    server = AppServer(db_path, work / "photos")
    server.finding_ids = result.finding_ids
    server.site = (lat, lon)
    yield server
    server.stop()


def _pick(page, label: str, option_text: str) -> None:
    """Choose in a selectbox as a user does: open it, type to filter, take the match."""
    page.get_by_label(label).first.click()
    page.keyboard.type(option_text.strip())
    page.locator('[role="option"]').filter(has_text=option_text.strip()).first.click()
    wait_for_app(page)


def _logout(page) -> None:
    page.get_by_text("退出登录").first.click()
    wait_for_app(page)
    page.get_by_label("用户名").wait_for(timeout=30_000)


def test_hand_over_letter_unit_reply_and_recheck(loop_server, page, tmp_path):
    a, b = loop_server.finding_ids
    # 1. The secretariat hands both over to 住建局 with one letter.
    login(page, loop_server.url, "admin")
    page.get_by_role("link", name="交办单").click()
    wait_for_app(page)
    page.locator("h1").filter(has_text="交办单").wait_for(timeout=30_000)
    _pick(page, "责任单位", "住建局")
    for fid in (a, b):
        page.get_by_label("列入交办单的问题").click()
        page.locator('[role="option"]').filter(has_text=f"#{fid} ").first.click()
        wait_for_app(page)
    page.keyboard.press("Escape")
    page.get_by_text(f"#{a} 整改期限").first.wait_for(timeout=10_000)
    screenshot(page, "units-letter-form")
    page.get_by_role("button", name="交办并生成交办单").click()
    wait_for_app(page)
    page.get_by_text("已向住建局交办 2 个问题并生成交办单").wait_for(timeout=30_000)
    with read_session(get_engine(loop_server.db_url)) as s:
        from gangwen_dash.queries.units import letters_for_finding

        (_, number), = letters_for_finding(s, a)
        assert letters_for_finding(s, b) == letters_for_finding(s, a)
    screenshot(page, "units-letter-list")
    page.get_by_role("button", name=f"生成交办单 PDF：{number}").click()
    wait_for_app(page, timeout=60_000)
    with page.expect_download() as dl:
        page.get_by_role("button", name=f"下载 {number}.pdf").click()
    pdf = tmp_path / "letter.pdf"
    dl.value.save_as(pdf)
    screenshot(page, "units-letter-issued")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace(" ", "").replace("\n", "")
    assert number.replace(" ", "") in flat
    for description in DESCRIPTIONS:
        assert description in flat
    assert f"#{a}" in flat and f"#{b}" in flat and "住建局" in flat
    _logout(page)

    # 2. 住建局 signs in: only its page, exactly those two problems; replies with an after-photo.
    login(page, loop_server.url, "zjj")
    nav = page.locator('[data-testid="stSidebarNav"]')
    links = {t.strip().splitlines()[-1].strip() for t in nav.get_by_role("link").all_inner_texts() if t.strip()}
    assert "本单位整改" in links and not links & {"驾驶舱", "督查地图", "整改跟踪", "交办单", "记录管理"}
    page.locator("h1").filter(has_text="本单位整改").wait_for(timeout=30_000)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    page.get_by_text("待整改").first.wait_for(timeout=10_000)
    assert "2 个" in page.locator('[data-testid="stMetric"]').first.inner_text()
    page.get_by_label("选择问题").first.click()
    options = page.locator('[role="option"]').all_inner_texts()
    page.keyboard.press("Escape")
    listed = {int(o.split()[0].lstrip("#")) for o in options}
    assert listed == {a, b}, options
    for width, height in ((1920, 1080), (768, 1024), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)
        screenshot(page, f"units-inbox-{width}")
    page.set_viewport_size({"width": 1024, "height": 768})
    _pick(page, "选择问题", f"#{a} ")
    page.get_by_label("整改情况").fill("已重新设置围挡并加固（浏览器测试）")
    photo = tmp_path / "after.jpg"
    lat, lon = loop_server.site
    photo.write_bytes(images.jpeg(lat, lon, datetime.now(), color=(60, 160, 60)))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(photo))
    page.wait_for_timeout(800)
    page.get_by_role("button", name="提交整改回复").click()
    wait_for_app(page)
    page.get_by_text(f"问题 #{a} 的整改回复已提交").wait_for(timeout=30_000)
    screenshot(page, "units-replied")
    # A typed link to another unit's problem shows nothing of it.
    with read_session(get_engine(loop_server.db_url)) as s:
        other = s.execute(select(Finding).where(Finding.responsible_unit == "城管局")).scalars().first()
        other_id, other_text = other.id, other.description
        assert s.get(Finding, a).status == "待复查" and len([p for p in s.get(Finding, a).photos
                                                           if p.kind == "整改后"]) == 1
    page.goto(f"{loop_server.url}/unit?finding={other_id}")
    wait_for_app(page)
    page.get_by_text(f"未找到问题 #{other_id}").wait_for(timeout=30_000)
    assert page.get_by_text(other_text).count() == 0 or other_text in DESCRIPTIONS
    _logout(page)

    # 3. The group leader re-checks and closes it.
    login(page, loop_server.url, "leader1")
    page.get_by_role("link", name="整改跟踪").click()
    wait_for_app(page)
    _pick(page, "选择问题", f"#{a} ")
    page.get_by_text("复查结论").first.wait_for(timeout=30_000)
    screenshot(page, "units-recheck")
    page.get_by_text("通过，销号", exact=True).first.click()
    page.get_by_role("button", name="提交复查结论").click()
    wait_for_app(page)
    page.get_by_text(f"问题 #{a} 复查通过，已销号").wait_for(timeout=30_000)
    screenshot(page, "units-closed")
    with read_session(get_engine(loop_server.db_url)) as s:
        assert (s.get(Finding, a).status, s.get(Finding, b).status) == ("已销号", "整改中")
