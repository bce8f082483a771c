"""The secretariat imports its own ledger in a real browser: upload, correct one suggested column, preview,
import — and the rows are in the database as the preview showed them."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from gangwen_dash.db import get_engine, read_session
from gangwen_dash.models import Finding, Site
from tests.e2e.conftest import login, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

HEADERS = ["序号", "检查日期", "项目名称", "街道", "存在问题", "问题类别", "程度", "责任单位", "整改期限", "整改情况"]


def _ledger(site: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "12月督查台账"
    ws["A1"] = "港闻区政协2019年12月扬尘管控督查台账"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.append(HEADERS)
    ws.append([1, "2019.12.30", site, "唐闸镇街道", "浏览器导入：裸土未覆盖", "S2", "较重", "住建局", "2019年12月31日",
               "已电话交办"])
    ws.append([2, "12月30日", "浏览器导入新工地", "秦灶街道", "浏览器导入：围挡缺失", "S1", "一般", "属地街道",
               "2019/12/31", "已电话交办"])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _choose(page, box, typed: str) -> None:
    """Open a selectbox, type to filter its options, take the first match."""
    box.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(typed)
    page.locator('[role="option"]').filter(has_text=typed).first.click()
    wait_for_app(page)


def _count(db_url: str, prefix: str) -> int:
    engine = get_engine(db_url)
    try:
        with read_session(engine) as s:
            return s.execute(select(func.count()).select_from(Finding)
                             .where(Finding.description.like(f"{prefix}%"))).scalar_one()
    finally:
        engine.dispose()


def test_secretariat_maps_previews_and_imports_its_own_ledger(app_server, page, tmp_path):
    engine = get_engine(app_server.db_url)
    with read_session(engine) as s:
        site = s.execute(select(Site.name).order_by(Site.id).limit(1)).scalar_one()
    engine.dispose()
    path = tmp_path / "12月台账.xlsx"
    path.write_bytes(_ledger(site))

    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, app_server.url, "admin")
    page.get_by_role("link", name="Excel导入导出").click()
    wait_for_app(page)
    page.locator('input[type="file"]').set_input_files(str(path))
    wait_for_app(page)
    page.get_by_text("第 2 步：核对列的对应").wait_for(timeout=30_000)
    assert page.get_by_role("spinbutton", name="表头所在行").input_value() == "2"  # the merged title row was skipped
    # The suggestion read 整改情况 as the reply text; this office writes notes there: not imported.
    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="整改情况")
    box = picker.get_by_role("combobox")
    assert box.input_value() == "回复内容"
    _choose(page, box, "不导入")
    wait_for_app(page)
    assert box.input_value() == "（不导入）"
    # The ledger has no group column: one group for every row.
    _choose(page, page.locator('[data-testid="stSelectbox"]').filter(has_text="督查组").get_by_role("combobox"),
            "第一督查组")
    screenshot(page, "ledger-mapping")

    page.get_by_role("button", name="检查并预览").click()
    wait_for_app(page)
    page.get_by_text("将新增：问题 2 条").first.wait_for(timeout=30_000)
    assert page.get_by_text("位置待核").count() >= 1  # the new site goes to its street's centre
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    screenshot(page, "ledger-preview")
    assert _count(app_server.db_url, "浏览器导入") == 0  # a preview writes nothing

    page.get_by_role("button", name="确认导入").click()
    wait_for_app(page)
    page.get_by_text("已新增：问题 2 条").first.wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_text("已沿用上次导入同样表头时保存的对应").wait_for(timeout=30_000)  # remembered for next time
    screenshot(page, "ledger-imported")
    assert _count(app_server.db_url, "浏览器导入") == 2
    engine = get_engine(app_server.db_url)
    with read_session(engine) as s:
        reply_texts = s.execute(select(Finding.reply_text).where(Finding.description.like("浏览器导入%"))).scalars()
        assert set(reply_texts) == {""}  # the corrected column was not imported
        assert s.execute(select(Site.location_unverified).where(Site.name == "浏览器导入新工地")).scalar_one()
    engine.dispose()
