"""周报（会议模式） page with AppTest (both engines): the pack, the downloads, the 下周安排 editor by role."""

import streamlit as st
from sqlalchemy import select

from gangwen_dash.db import get_engine, read_session
from gangwen_dash.models import AuditLog, WeeklyNote
from gangwen_dash.services.base import Actor
from gangwen_dash.services.weekly_notes import save_weekly_note
from gangwen_dash.ui.navigation import pages_for
from tests.support.apptest import app_test, as_read

SECRETARIAT = Actor(1, "admin", "secretariat", display_name="机关管理员")
CHAIR = Actor(2, "chair", "chair")
OTHER_SECRETARY = Actor(1, "admin", "secretariat", display_name="机关管理员")  # B: another browser, same office


def open_page(actor, week: str | None = None):
    at = app_test("pages/weekly_report.py")
    at.session_state["auth.actor"] = actor
    if week:
        at.query_params["week"] = week
    return at.run()


def save_button(at):
    return next(b for b in at.button if b.label == "保存下周安排")


def html_of(at) -> str:
    return "".join(el.proto.body for el in at.get("html"))


def test_page_is_listed_for_secretariat_and_chair_only():
    for role, shown in (("secretariat", True), ("chair", True), ("inspector", False), ("group_leader", False)):
        assert any(p.path == "pages/weekly_report.py" for p in pages_for(role)) is shown


def test_chair_sees_latest_week_with_downloads_and_no_editor(demo_url):
    at = open_page(CHAIR)
    assert not at.exception
    assert at.query_params["week"] == ["2019-W52"] or at.query_params["week"] == "2019-W52"
    body = html_of(at)
    assert "《港闻区政协扬尘管控民主监督工作周报》" in body and "第52期" in body
    labels = [b.label for b in at.button]
    assert labels[:3] == ["下载 PNG（1920×1080）", "下载 PDF（A4 横版）", "下载 Excel 附表"]
    assert not at.get("download_button")  # a file is made on a click, for the week shown then
    assert not at.text_area  # read-only for chairs


def test_a_click_builds_the_file_of_the_week_in_the_field(demo_url):
    at = open_page(CHAIR)
    at.date_input(key="weekly.day").set_value(__import__("datetime").date(2019, 11, 13))
    at.button(key="weekly.make_xlsx").click().run()  # one run: the new day and the click together
    assert not at.exception
    saved = at.get("download_button")
    assert [b.label for b in saved] == ["保存 weekly-2019-W46.xlsx"]
    assert at.query_params["week"] in (["2019-W46"], "2019-W46")
    # Another week in the field: the file made for the previous one is no longer offered.
    at.date_input(key="weekly.day").set_value(__import__("datetime").date(2019, 12, 4)).run()
    assert not at.get("download_button")


def test_week_from_link_and_empty_week_message(demo_url):
    at = open_page(CHAIR, "2019-W45")
    assert not at.exception
    assert "第45期" in html_of(at)
    assert any("没有督查记录" in i.value for i in at.info)


def test_invalid_week_in_link_is_explained(demo_url):
    at = open_page(CHAIR, "2019-W60")
    assert not at.exception
    assert any("链接中的周次无效" in e.value and "没有第 60 周" in e.value for e in at.error)
    assert "第52期" in html_of(at)  # fell back to the latest week with data


def test_secretariat_saves_next_week_plan(demo_url):
    at = open_page(SECRETARIAT, "2019-W49")
    area = at.text_area(key="weekly.plan.2019-W49")
    area.set_value("1. 对逾期问题集中回头看\n2. <b>抽查</b>暗访 2 次")
    save_button(at).click()
    at.run()
    assert not at.exception
    assert any("已保存 2019-W49 的下周安排" in s.value for s in at.success)
    body = html_of(at)
    assert "1. 对逾期问题集中回头看" in body and "&lt;b&gt;抽查&lt;/b&gt;" in body
    with read_session(get_engine(demo_url)) as s:
        note = s.execute(select(WeeklyNote).where(WeeklyNote.iso_week == "2019-W49")).scalar_one()
        assert note.version == 1
        assert s.execute(select(AuditLog).where(AuditLog.action == "weekly_note.save")).scalar_one()


def test_too_long_plan_shows_message_and_saves_nothing(demo_url):
    at = open_page(SECRETARIAT, "2019-W49")
    at.text_area(key="weekly.plan.2019-W49").set_value("长" * 2001)
    save_button(at).click()
    at.run()
    assert not at.exception
    assert any("不能超过 2000 字" in e.value for e in at.error)
    with read_session(get_engine(demo_url)) as s:
        assert s.execute(select(WeeklyNote)).first() is None


def test_empty_database_explains(db_url):
    at = open_page(SECRETARIAT)
    assert not at.exception
    assert any("还没有督查记录" in i.value for i in at.info)


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_save_over_another_users_save_is_refused_and_keeps_the_typed_text(demo_url):
    engine = get_engine(demo_url)
    save_weekly_note(SECRETARIAT, "2019-W49", "原安排", 0, engine=engine)
    at = open_page(SECRETARIAT, "2019-W49")  # A opens the editor at version 1
    assert at.text_area(key="weekly.plan.2019-W49").value == "原安排"
    # B saves meanwhile; B's page clears the shared read caches as every write does.
    save_weekly_note(OTHER_SECRETARY, "2019-W49", "B 的安排", 1, engine=engine)
    st.cache_data.clear()
    at.text_area(key="weekly.plan.2019-W49").set_value("A 的安排")
    _button(at, "保存下周安排").click().run()
    assert not at.exception
    message = as_read(" ".join(e.value for e in at.error))
    assert "2019-W49 的下周安排已被他人修改：下周安排：原安排 → B 的安排" in message
    assert "修改人：admin" in message and "第 1 版，现为第 2 版" in message
    assert not at.success
    assert at.text_area(key="weekly.plan.2019-W49").value == "A 的安排"  # nothing typed is lost
    with read_session(engine) as s:
        note = s.execute(select(WeeklyNote).where(WeeklyNote.iso_week == "2019-W49")).scalar_one()
        assert (note.next_week_plan, note.version) == ("B 的安排", 2)
    # Another rerun (any widget) keeps both the refusal and the typed text.
    at.run()
    assert any("已被他人修改" in e.value for e in at.error)
    assert at.text_area(key="weekly.plan.2019-W49").value == "A 的安排"
    # A reloads deliberately: B's text appears; A's edit on top of it saves as version 3.
    _button(at, "载入最新版本").click().run()
    assert not at.error
    assert at.text_area(key="weekly.plan.2019-W49").value == "B 的安排"
    at.text_area(key="weekly.plan.2019-W49").set_value("B 的安排\nA 补充")
    _button(at, "保存下周安排").click().run()
    assert not at.error and any("第 3 版" in s.value for s in at.success)
    with read_session(engine) as s:
        note = s.execute(select(WeeklyNote).where(WeeklyNote.iso_week == "2019-W49")).scalar_one()
        assert (note.next_week_plan, note.version) == ("B 的安排\nA 补充", 3)


def test_first_save_after_another_users_first_save_is_refused(demo_url):
    engine = get_engine(demo_url)
    at = open_page(SECRETARIAT, "2019-W49")  # no note yet
    save_weekly_note(OTHER_SECRETARY, "2019-W49", "B 先写的", 0, engine=engine)
    st.cache_data.clear()
    at.text_area(key="weekly.plan.2019-W49").set_value("A 也写了")
    _button(at, "保存下周安排").click().run()
    message = as_read(" ".join(e.value for e in at.error))
    assert "已被他人修改：下周安排：（空） → B 先写的" in message and "您打开时尚无内容" in message
    assert at.text_area(key="weekly.plan.2019-W49").value == "A 也写了"
    with read_session(engine) as s:
        assert s.execute(select(WeeklyNote.next_week_plan)).scalars().all() == ["B 先写的"]
