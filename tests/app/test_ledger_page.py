"""Excel 导入导出 with a ledger of the office's own (AppTest, both engines): the mapping step, the preview,
the import, and a re-import that lists “将更新 N 条（字段：旧 → 新）” before updating exactly that field."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import Finding, Site, User
from gangwen_dash.passwords import hash_password
from tests.support.apptest import app_test
from tests.support.factory import Factory
from tests.support.inspections import actor
from tests.support.ledgers import ROWS, SHEET, seed_known, write_ledger


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="exchange.upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception


def test_ledger_mapping_preview_import_and_update(engine):
    with write_session(engine) as s:
        seed_known(s)
        s.add(User(username="admin", password_hash=hash_password("x" * 12), role="secretariat",
                   must_change_password=False))
    at = app_test("pages/data_exchange.py")
    at.session_state["auth.actor"] = actor(engine, "admin")
    at.run()
    _upload(at, "台账.xlsx", write_ledger())
    sheet = next(sb for sb in at.selectbox if sb.label == "工作表")
    assert sheet.value == SHEET  # the ledger's sheet, not the notes sheet before it
    assert next(n for n in at.number_input if n.label == "表头所在行").value == 3
    assert next(sb for sb in at.selectbox if sb.label == "整改时限").value == "due_date"
    assert any("督查组" in w.value and "必填" in w.value for w in at.warning)
    assert _button(at, "检查并预览").disabled
    next(sb for sb in at.selectbox if sb.label == "督查组").set_value("第一督查组").run()
    _button(at, "检查并预览").click().run()
    assert any("将新增：问题 4 条" in i.value for i in at.info)
    preview = next(d.value for d in at.dataframe if "处理" in d.value.columns)
    assert list(preview["处理"]) == ["新增"] * 4 and list(preview["工地名称"])[0] == "唐闸锦园　住宅项目"
    _button(at, "确认导入").click().run()
    assert any("已新增：问题 4 条" in s.value for s in at.success)

    rows = [list(r) for r in ROWS]
    rows[0][8] = "2019年11月28日"
    _upload(at, "台账-改.xlsx", write_ledger(rows))
    assert next(sb for sb in at.selectbox if sb.label == "督查组").value == "第一督查组"  # remembered
    _button(at, "检查并预览").click().run()
    assert any("将更新 1 条" in m.value for m in at.markdown)
    changes = next(d.value for d in at.dataframe if "字段：旧 → 新" in d.value.columns)
    assert list(changes["字段：旧 → 新"]) == ["整改期限：2019-11-21 → 2019-11-28"]
    _button(at, "确认导入").click().run()
    assert any("已更新 1 条" in s.value for s in at.success)
    with read_session(engine) as s:
        due = s.execute(select(Finding.due_date).where(Finding.description == "裸土未覆盖防尘网")).scalar_one()
    assert due == date(2019, 11, 28)


def test_a_site_placed_on_the_map_is_no_longer_listed(engine):
    with write_session(engine) as s:
        f = Factory(s)
        street = f.street("秦灶街道", 32.065, 120.889)
        site = f.site(street, "秦灶新城安置房三期", 32.065, 120.889)
        site.location_unverified = True
        site_id = site.id
        s.add(User(username="admin", password_hash=hash_password("x" * 12), role="secretariat",
                   must_change_password=False))
    at = app_test("pages/data_exchange.py")
    at.session_state["auth.actor"] = actor(engine, "admin")
    at.run()
    assert any(h.value.startswith("位置待核的工地（1 个）") for h in at.subheader)
    save = next(b for b in at.button if b.label == "保存此位置")
    assert save.disabled  # nothing tapped yet
    at.session_state[f"exchange.place_point.{site_id}"] = (32.0712, 120.8931)  # what a tap on the map sets
    at.run()
    next(b for b in at.button if b.label == "保存此位置").click().run()
    assert not at.exception
    assert any("不再标记位置待核" in s.value for s in at.success)
    assert not any(h.value.startswith("位置待核的工地") for h in at.subheader)
    with read_session(engine) as s:
        placed = s.get(Site, site_id)
        assert (placed.lat, placed.lon, placed.location_unverified) == (32.0712, 120.8931, False)
