"""Sign-in that survives a reload, is shared by tabs, ends everywhere, and follows the account (Chromium)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from gangwen_dash.models import User
from gangwen_dash.services import users
from gangwen_dash.services.base import actor_for
from tests.e2e.conftest import AppServer, login, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def _user(engine, name):
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return s.execute(select(User).where(User.username == name)).scalar_one()


def test_reload_new_tab_sign_out_and_account_changes(app_server, page):
    login(page, app_server.url, "admin")
    page.get_by_role("link", name="督查整改").click()
    wait_for_app(page)
    before = page.url
    page.reload()
    wait_for_app(page)
    assert page.url == before and page.get_by_text("退出登录").count() >= 1
    assert page.get_by_label("用户名").count() == 0
    cookie = next(c for c in page.context.cookies() if c["name"] == "gangwen_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    second = page.context.new_page()
    second.goto(f"{app_server.url}/records")
    wait_for_app(second)
    assert second.get_by_text("记录管理").count() >= 1 and second.get_by_role("button", name="登录").count() == 0

    # /login typed while signed in: the first page, no English dialog.
    second.goto(f"{app_server.url}/login")
    wait_for_app(second)
    assert "Page not found" not in second.content()

    page.get_by_text("退出登录").first.click()
    page.get_by_label("用户名").wait_for(timeout=30_000)
    assert page.get_by_text("您已退出登录").count() == 1
    second.get_by_role("link", name="驾驶舱").click()  # the other tab, at its next click
    second.get_by_label("用户名").wait_for(timeout=30_000)
    screenshot(second, "sessions-other-tab-signed-out")


def test_deactivated_and_demoted_accounts_follow_the_database(app_server, page):
    engine = create_engine(app_server.db_url)
    admin = actor_for(_user(engine, "admin"))
    login(page, app_server.url, "inspector1")
    inspector = _user(engine, "inspector1")
    users.update_user(admin, inspector.id, {"username": "inspector1", "role": "inspector",
                                            "group_id": inspector.group_id, "is_active": False},
                      inspector.version, engine=engine)
    page.get_by_role("link", name="督查地图").click()
    page.get_by_label("用户名").wait_for(timeout=30_000)
    assert page.get_by_text("账号已被停用").count() >= 1
    assert page.locator("[data-testid=stMetric]").count() == 0
    screenshot(page, "sessions-deactivated")

    # A secretariat account demoted to chair: the 机关 pages disappear after signing in again.
    page.context.clear_cookies()
    login(page, app_server.url, "admin")
    page.get_by_role("link", name="记录管理").wait_for()
    other_admin = _user(engine, "chair")
    users.update_user(admin, other_admin.id, {"username": "chair", "role": "secretariat"}, other_admin.version,
                      engine=engine)
    page.context.clear_cookies()
    login(page, app_server.url, "chair")
    assert page.get_by_role("link", name="记录管理").count() == 1
    demoted = _user(engine, "chair")
    users.update_user(admin, demoted.id, {"username": "chair", "role": "chair"}, demoted.version, engine=engine)
    page.get_by_role("link", name="记录管理").click()
    page.get_by_label("用户名").wait_for(timeout=30_000)
    login(page, app_server.url, "chair")
    assert page.get_by_role("link", name="记录管理").count() == 0
    page.goto(f"{app_server.url}/records")  # a shared link to a page this role may not open
    wait_for_app(page)
    assert page.get_by_text("无权打开此页面").count() == 1 and "Page not found" not in page.content()
    engine.dispose()


def test_login_address_opened_directly_has_no_english_dialog(app_server, page):
    page.goto(f"{app_server.url}/login")
    wait_for_app(page)
    assert page.get_by_label("用户名").count() == 1 and "Page not found" not in page.content()
    page.goto(f"{app_server.url}/no-such-page")
    wait_for_app(page)
    assert "Page not found" not in page.content() and page.get_by_text("地址不存在").count() == 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_processes_share_sessions_and_fresh_data(backend, demo_url, tmp_path, browser):
    """Two `streamlit run` processes on one PostgreSQL: a session from A is valid on B, and a write through A
    shows in B's cockpit at its next rerun (not after the cache TTL)."""
    a = AppServer(None, tmp_path / "photos", db_url=demo_url)
    b = AppServer(None, tmp_path / "photos", db_url=demo_url)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page_a = context.new_page()
        login(page_a, a.url, "admin")
        page_b = context.new_page()
        # The same cookie (cookies are per host, not per port) on B: signed in there too.
        page_b.goto(f"{b.url}/dashboard?period=2019")
        wait_for_app(page_b)
        assert page_b.get_by_label("用户名").count() == 0
        metric = page_b.locator("[data-testid=stMetric]").filter(has_text="督查次数").first
        assert "32" in metric.inner_text()
        _record_inspection(demo_url)
        page_b.get_by_role("link", name="督查整改").click()
        wait_for_app(page_b)
        page_b.get_by_role("link", name="驾驶舱").click()
        wait_for_app(page_b)
        metric = page_b.locator("[data-testid=stMetric]").filter(has_text="督查次数").first
        assert "33" in metric.inner_text()
        context.close()
    finally:
        a.stop()
        b.stop()


def _record_inspection(url):
    """An inspection recorded through the services (as process A's entry page would), no finding."""
    import uuid
    from datetime import datetime

    from sqlalchemy.orm import Session

    from gangwen_dash import domain
    from gangwen_dash.models import Member, Site
    from gangwen_dash.services.inspections import record_inspection

    engine = create_engine(url)
    leader = actor_for(_user(engine, "leader1"))
    with Session(engine) as s:
        site_id = s.execute(select(Site.id).order_by(Site.id)).scalars().first()
        members = s.execute(select(Member.id).where(Member.group_id == leader.group_id)).scalars().all()[:2]
    record_inspection(leader, {
        "idempotency_key": uuid.uuid4().hex, "site_id": site_id, "kind": domain.KIND_ROUTINE,
        "inspected_at": datetime(2019, 12, 20, 10, 0), "group_id": leader.group_id, "member_ids": members,
        "checklist": {item: "符合" for item in domain.CHECKLIST_ITEMS}}, engine=engine)
    engine.dispose()
