"""记录管理 in a real browser: the record type opens on 工地, and after a rename the record picker shows the
new name at once (it used to keep the old label until the page was left)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_rename_refreshes_the_picker_and_type_defaults_to_sites(app_server, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, app_server.url, "admin")
    page.get_by_role("link", name="记录管理").click()
    wait_for_app(page)
    kind = page.get_by_role("combobox", name="记录类型")
    kind.wait_for(timeout=30_000)
    assert kind.input_value() == "工地"
    picker = page.get_by_role("combobox", name="新建，或选择要修改的记录")
    picker.click()
    first = page.locator('[role="option"]').nth(1)  # after “＋ 新建记录”
    label = first.inner_text()
    first.click()
    wait_for_app(page)
    assert picker.input_value() == label
    number, old_name = label.split(" ", 1)
    name_box = page.get_by_role("textbox", name="工地名称")
    assert name_box.input_value() == old_name
    name_box.fill(old_name + "（改名）")
    page.get_by_role("button", name="保存").first.click()
    wait_for_app(page)
    page.get_by_text(f"已保存工地 {number}").first.wait_for(timeout=30_000)
    assert picker.input_value() == f"{number} {old_name}（改名）"
    screenshot(page, "records-renamed")
