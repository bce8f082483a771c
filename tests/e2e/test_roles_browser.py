"""Real browser: what an inspector, a chair and the secretariat see and may do; lock-out after 5 wrong
passwords. (Module-scoped server on its own copy of the demo database.)"""

from __future__ import annotations

from gangwen_dash.bench.browser import sign_in
from tests.e2e.conftest import login, screenshot, wait_for_app
from tests.support.workbooks import good_rows, to_bytes

MANAGEMENT = ("记录管理", "Excel导入导出")


def _nav(page) -> set[str]:
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.wait_for(timeout=30_000)
    # Each link's text is the material icon's name, then the page title.
    return {t.strip().splitlines()[-1].strip() for t in nav.get_by_role("link").all_inner_texts() if t.strip()}


def _open_path(page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}/{path}")
    wait_for_app(page)


def _attempt(page, base_url: str, username: str, password: str) -> str:
    sign_in(page, base_url, username, password)
    wait_for_app(page)
    alert = page.locator('[data-testid="stAlert"]').first
    alert.wait_for(timeout=30_000)
    return alert.inner_text()


def test_inspector_sees_field_pages_but_not_management(app_server, page):
    login(page, app_server.url, "inspector1")
    nav = _nav(page)
    assert {"督查录入", "整改跟踪", "驾驶舱"} <= nav
    assert not (set(MANAGEMENT) | {"周报（会议模式）"}) & nav
    assert page.get_by_text("第一督查组成员").first.is_visible()  # who is signed in, with the role
    screenshot(page, "roles-inspector")
    # Typing the management page's address does not open it.
    _open_path(page, app_server.url, "records")
    assert page.locator("h1").filter(has_text="记录管理").count() == 0
    assert page.get_by_role("tab", name="台账记录").count() == 0


def test_chair_reads_everything_and_records_nothing(app_server, page):
    login(page, app_server.url, "chair")
    nav = _nav(page)
    assert {"驾驶舱", "督查地图", "周报（会议模式）"} <= nav
    assert not ({"督查录入", "整改跟踪"} | set(MANAGEMENT)) & nav
    page.get_by_text("督查次数").first.wait_for(timeout=30_000)
    screenshot(page, "roles-chair")
    for path in ("entry", "exchange"):
        _open_path(page, app_server.url, path)
        assert page.get_by_text("选择 .xlsx 文件").count() == 0
        assert page.locator("h1").filter(has_text="督查录入").count() == 0


def test_secretariat_checks_an_excel_file_and_sees_the_row_errors(app_server, page, tmp_path):
    login(page, app_server.url, "admin")
    assert set(MANAGEMENT) <= _nav(page)
    page.get_by_role("link", name="Excel导入导出").click()
    wait_for_app(page)
    page.get_by_role("button", name="下载导入模板").wait_for(timeout=30_000)
    rows = good_rows()
    rows["工地"].append(["无名街道工地", "不存在街道", "", 32.06, 120.82, "", "在建"])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(to_bytes(rows))
    page.locator('input[type="file"]').set_input_files(str(bad))
    wait_for_app(page)
    page.get_by_role("button", name="检查文件（试导入）").click()
    wait_for_app(page)
    page.get_by_text("整个文件未导入").first.wait_for(timeout=30_000)
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.wait_for(timeout=30_000)
    grid.scroll_into_view_if_needed()
    screenshot(page, "exchange-report")
    assert page.get_by_role("button", name="确认导入").count() == 0
    # 记录管理: the lists, the edit form and the history are there.
    page.get_by_role("link", name="记录管理").click()
    wait_for_app(page)
    page.get_by_role("tab", name="台账记录").wait_for(timeout=30_000)
    assert page.get_by_role("tab", name="变更历史").is_visible()
    page.get_by_role("button", name="保存").first.wait_for(timeout=30_000)
    screenshot(page, "records")


def test_five_wrong_passwords_lock_the_account(app_server, page):
    messages = [_attempt(page, app_server.url, "leader2", f"wrong-{i}") for i in range(5)]
    # The same words as for a name that is no account: nothing tells which names exist.
    assert messages[:4] == ["用户名或密码错误"] * 4
    assert "已锁定 15 分钟" in messages[4]
    # Even the right password is refused while locked.
    locked = _attempt(page, app_server.url, "leader2", "gangwen-2019")
    assert "锁定" in locked
    assert page.get_by_text("退出登录").count() == 0
    screenshot(page, "login-locked")
