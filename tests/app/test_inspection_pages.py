"""AppTest of 督查录入 and 整改跟踪: the real pages, the real services, both engines."""

from datetime import date, datetime, timedelta

import pytest
import streamlit as st
from sqlalchemy import func, select

from gangwen_dash.db import get_engine, read_session
from gangwen_dash.models import Draft, Finding, Inspection, Site, User
from gangwen_dash.services.auth import actor_for
from gangwen_dash.services.inspections import record_inspection
from tests.support import images
from tests.support.apptest import app_test, as_read


def _actor(url, username):
    with read_session(get_engine(url)) as s:
        return actor_for(s.execute(select(User).where(User.username == username)).scalar_one())


def _entry(actor):
    at = app_test("pages/inspection_entry.py")
    at.session_state["auth.actor"] = actor
    return at.run()


def _count(url, model):
    with read_session(get_engine(url)) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _fill(at, url, site_id, *, photo=True):
    at.selectbox(key="entry.site").set_value(site_id).run()
    for item in ("S1", "S3", "S4", "S5", "S6"):
        at.segmented_control(key=f"entry.check.{item}").set_value("符合")
    at.segmented_control(key="entry.check.S2").set_value("不符合").run()
    at.segmented_control(key="entry.f.S2.severity").set_value("严重").run()
    at.text_area(key="entry.f.S2.desc").set_value("砂石料堆放未覆盖防尘网").run()
    if photo:
        with read_session(get_engine(url)) as s:
            site = s.get(Site, site_id)
        at.file_uploader(key="entry.up.S2.0").set_value(
            ("现场.jpg", images.jpeg(site.lat, site.lon, datetime.now()), "image/jpeg")).run()
    return at


def test_entry_records_inspection_with_failing_s2_and_photo(demo_url):
    actor = _actor(demo_url, "inspector1")
    at = _entry(actor)
    assert not at.exception
    # members default to the group's roster as last used; kind defaults to 日常督查
    assert at.multiselect(key="entry.members").value
    assert at.segmented_control(key="entry.kind").value == "日常督查"
    assert at.selectbox(key="entry.site").options
    site_id = 1
    before = _count(demo_url, Inspection)
    _fill(at, demo_url, site_id)
    # the severity set the default deadline (严重 → 15 days)
    due = at.date_input(key="entry.f.S2.due").value
    assert (due - at.date_input(key="entry.date").value).days == 15
    at.button(key="entry.submit").click().run()
    assert not at.exception
    assert any("已保存督查记录" in s.value and "登记问题 1 个" in s.value for s in at.success), [e.value for e in at.error]
    assert _count(demo_url, Inspection) == before + 1
    with read_session(get_engine(demo_url)) as s:
        f = s.execute(select(Finding).order_by(Finding.id.desc())).scalars().first()
        assert (f.category, f.severity, f.site_id, f.verified_on_site) == ("S2", "严重", site_id, True)
        assert len(f.photos) == 1
        assert s.execute(select(func.count()).select_from(Draft)).scalar_one() == 0  # draft cleared
    # the form is empty again for the next site
    assert at.session_state["entry.check.S2"] is None


def test_entry_shows_chinese_errors_next_to_fields_and_saves_nothing(demo_url):
    at = _entry(_actor(demo_url, "inspector1"))
    before = _count(demo_url, Inspection)
    at.button(key="entry.submit").click().run()
    messages = [e.value for e in at.error]
    assert any("请选择或登记工地" in m for m in messages)
    assert any("S3" in m and "检查结果" in m for m in messages)
    _fill(at, demo_url, 1, photo=False)
    at.button(key="entry.submit").click().run()
    assert any("请至少上传一张问题照片" in e.value for e in at.error)
    at.file_uploader(key="entry.up.S2.0").set_value(("假照片.jpg", "文字".encode() * 100, "image/jpeg")).run()
    assert any("不是有效的图片" in e.value for e in at.error)  # refused as soon as it is chosen
    assert not at.session_state["entry.f.S2.staged"]
    at.button(key="entry.submit").click().run()
    assert any("请至少上传一张问题照片" in e.value for e in at.error)
    assert _count(demo_url, Inspection) == before


def test_entry_draft_survives_a_reload(demo_url):
    actor = _actor(demo_url, "inspector1")
    at = _entry(actor)
    at.selectbox(key="entry.site").set_value(2).run()
    at.segmented_control(key="entry.check.S2").set_value("不符合").run()
    at.text_area(key="entry.f.S2.desc").set_value("渣土堆覆盖不完整").run()
    at.text_area(key="entry.notes").set_value("北门附近").run()
    at.file_uploader(key="entry.up.S2.0").set_value(("北门.jpg", images.jpeg(size=(800, 600)), "image/jpeg")).run()
    assert [p["name"] for p in at.session_state["entry.f.S2.staged"]] == ["北门.jpg"]
    # a new browser session (reload / dropped connection) for the same user
    again = _entry(actor)
    assert not again.exception
    assert any("已恢复上次未提交的草稿" in i.value for i in again.info)
    assert again.selectbox(key="entry.site").value == 2
    assert again.segmented_control(key="entry.check.S2").value == "不符合"
    assert again.text_area(key="entry.f.S2.desc").value == "渣土堆覆盖不完整"
    assert again.text_area(key="entry.notes").value == "北门附近"
    assert len(again.image) >= 1  # the staged photo came back with the draft
    # another user sees nothing of it
    other = _entry(_actor(demo_url, "inspector2"))
    assert other.text_area(key="entry.notes").value == ""
    # the restored draft, photo included, can be submitted as it is once the checklist is complete
    for item in ("S1", "S3", "S4", "S5", "S6"):
        again.segmented_control(key=f"entry.check.{item}").set_value("符合")
    again.button(key="entry.submit").click().run()
    assert any("已保存督查记录" in s.value for s in again.success), [e.value for e in again.error]
    with read_session(get_engine(demo_url)) as s:
        f = s.execute(select(Finding).order_by(Finding.id.desc())).scalars().first()
        assert (f.description, f.site_id, len(f.photos)) == ("渣土堆覆盖不完整", 2, 1)


def _track(actor):
    at = app_test("pages/tracking.py")
    at.session_state["auth.actor"] = actor
    return at.run()


def _submit(at, label):
    [b for b in at.button if b.label == label][0].click().run()
    return at


def test_rectification_page_hand_over_reply_recheck(demo_url):
    inspector, leader = _actor(demo_url, "inspector1"), _actor(demo_url, "leader1")
    with read_session(get_engine(demo_url)) as s:
        site = s.get(Site, 3)
    now = datetime.now().replace(microsecond=0)
    from tests.support.inspections import command

    cmd, _ = command(get_engine(demo_url), inspector.group_id, inspected_at=now, site_id=site.id)
    cmd["findings"][0]["photos"] = [{"name": "p.jpg", "data": images.jpeg(site.lat, site.lon, now)}]
    fid = record_inspection(inspector, cmd, engine=get_engine(demo_url)).finding_ids[0]

    at = _track(inspector)
    assert not at.exception
    labels = at.selectbox(key="track.finding").options
    assert labels[0].startswith("#") and "逾期" in labels[0]  # overdue first
    at.selectbox(key="track.finding").set_value(fid).run()
    assert [s.value for s in at.subheader][0] == "交办"
    at.selectbox(key=f"track.h_unit.{fid}").set_value("城管局")
    _submit(at, "交办")
    assert any("已交办给城管局" in s.value for s in at.success)

    at.selectbox(key="track.finding").set_value(fid).run()
    assert [s.value for s in at.subheader][0] == "整改回复"
    at.text_area(key=f"track.r_text.{fid}").set_value("已全部覆盖防尘网")
    _submit(at, "提交整改回复")
    assert any("整改后照片" in e.value for e in at.error)  # no photo: refused next to the field
    at.text_area(key=f"track.r_text.{fid}").set_value("已全部覆盖防尘网")
    at.file_uploader(key=f"track.r_photos.{fid}").set_value(
        ("after.jpg", images.jpeg(site.lat, site.lon, now, color=(60, 160, 60)), "image/jpeg"))
    _submit(at, "提交整改回复")
    assert any("整改回复已登记" in s.value for s in at.success), [e.value for e in at.error]

    # an inspector cannot re-check; the leader can
    at.selectbox(key="track.finding").set_value(fid).run()
    assert any("由本组组长" in i.value for i in at.info)
    lt = _track(leader)
    lt.selectbox(key="track.finding").set_value(fid).run()
    lt.segmented_control(key=f"track.c_verdict.{fid}").set_value("通过，销号")
    _submit(lt, "提交复查结论")
    assert any("已销号" in s.value for s in lt.success)
    with read_session(get_engine(demo_url)) as s:
        f = s.get(Finding, fid)
        assert f.status == "已销号" and f.closed_at is not None and [p.kind for p in f.photos] == ["整改前", "整改后"]
    assert fid not in lt.selectbox(key="track.finding").options


def test_site_timeline_shows_before_and_after_photos(demo_url):
    leader = _actor(demo_url, "leader1")
    with read_session(get_engine(demo_url)) as s:
        from gangwen_dash.models import Photo

        after = s.execute(select(Finding).join(Photo).where(Photo.kind == "整改后",
                                                            Finding.group_id == leader.group_id)).scalars().all()
        open_f = next(o for f in after for o in s.execute(
            select(Finding).where(Finding.site_id == f.site_id, Finding.closed_at.is_(None),
                                  Finding.group_id == leader.group_id)).scalars())
    assert open_f is not None  # the demo has one: the timeline is reached through an open problem of the site
    at = _track(leader)
    at.selectbox(key="track.finding").set_value(open_f.id).run()
    assert not at.exception
    assert not at.exception
    urls = [u for img in at.image for u in img.value]
    assert len(urls) >= 2  # the before/after pair of the closed problem on the same site


def test_entry_map_pick_coordinates_validated_and_stored(demo_url):
    at = _entry(_actor(demo_url, "inspector1"))
    _fill(at, demo_url, 4)
    at.segmented_control(key="entry.loc_source").set_value("地图选点").run()
    assert not at.exception
    with read_session(get_engine(demo_url)) as s:
        site = s.get(Site, 4)
    # the tap map starts at the site's stored coordinates
    assert (at.number_input(key="entry.lat").value, at.number_input(key="entry.lon").value) == (site.lat, site.lon)
    at.number_input(key="entry.lat").set_value(31.5).run()
    at.button(key="entry.submit").click().run()
    assert any("不在港闻区范围内" in e.value for e in at.error)
    at.number_input(key="entry.lat").set_value(round(site.lat + 0.001, 6)).run()
    at.button(key="entry.submit").click().run()
    assert any("已保存督查记录" in s.value for s in at.success), [e.value for e in at.error]
    with read_session(get_engine(demo_url)) as s:
        insp = s.execute(select(Inspection).order_by(Inspection.id.desc())).scalars().first()
        assert insp.location_source == "地图选点"
        assert (insp.lat, insp.lon) == (pytest.approx(site.lat + 0.001), pytest.approx(site.lon))


def test_entry_extra_finding_added_and_removed(demo_url):
    at = _entry(_actor(demo_url, "inspector1"))
    _fill(at, demo_url, 5)
    at.button(key="entry.add_extra").click().run()
    at.button(key="entry.add_extra").click().run()
    assert at.session_state["entry._extras"] == ["x1", "x2"]
    at.button(key="entry.f.x2.drop").click().run()  # nothing typed: removed without asking
    assert at.session_state["entry._extras"] == ["x1"]
    at.selectbox(key="entry.f.x1.category").set_value("夜间施工").run()
    at.text_area(key="entry.f.x1.desc").set_value("夜间土方作业未报备").run()
    at.button(key="entry.submit").click().run()
    assert any("请至少上传一张问题照片" in e.value for e in at.error)  # shown in the extra block
    at.file_uploader(key="entry.up.x1.0").set_value(("night.png", images.png(), "image/png")).run()
    at.button(key="entry.submit").click().run()
    assert any("登记问题 2 个" in s.value for s in at.success), [e.value for e in at.error]
    with read_session(get_engine(demo_url)) as s:
        insp = s.execute(select(Inspection).order_by(Inspection.id.desc())).scalars().first()
        assert sorted(f.category for f in insp.findings) == ["S2", "夜间施工"]
        assert {f.description for f in insp.findings} == {"砂石料堆放未覆盖防尘网", "夜间土方作业未报备"}


def _new_finding(url, inspector):
    from tests.support.inspections import command

    with read_session(get_engine(url)) as s:
        site = s.get(Site, 3)
    now = datetime.now().replace(microsecond=0)
    cmd, _ = command(get_engine(url), inspector.group_id, inspected_at=now, site_id=site.id)
    cmd["findings"][0]["photos"] = [{"name": "p.jpg", "data": images.jpeg(site.lat, site.lon, now)}]
    return record_inspection(inspector, cmd, engine=get_engine(url)).finding_ids[0], site, now


def test_rectification_step_over_another_users_step_is_refused_and_keeps_the_typed_text(demo_url):
    from gangwen_dash.services import findings as svc

    inspector = _actor(demo_url, "inspector1")
    fid, _, _ = _new_finding(demo_url, inspector)
    at = _track(inspector)
    at.selectbox(key="track.finding").set_value(fid).run()
    assert [s.value for s in at.subheader][0] == "交办"  # A opens the 交办 form at version 1
    # B hands it over meanwhile; B's page clears the shared read caches.
    due = date.today() + timedelta(days=10)
    svc.hand_over(_actor(demo_url, "inspector1"), {"finding_id": fid, "expected_version": 1,
                                                  "responsible_unit": "城管局", "due_date": due},
                  engine=get_engine(demo_url))
    st.cache_data.clear()
    at.selectbox(key=f"track.h_unit.{fid}").set_value("住建局")
    at.text_input(key=f"track.h_note.{fid}").set_value("请三日内覆盖到位")
    _submit(at, "交办")
    assert not at.exception
    message = as_read(" ".join(e.value for e in at.error))
    assert f"问题 #{fid}已被他人修改：状态：待交办 → 整改中" in message
    assert "责任单位：住建局 → 城管局" in message and f"→ {due.isoformat()}" in message
    assert "修改人：inspector1" in message and not at.success
    # The form A filled is still there with what A typed.
    assert [s.value for s in at.subheader][0] == "交办"
    assert at.text_input(key=f"track.h_note.{fid}").value == "请三日内覆盖到位"
    assert at.selectbox(key=f"track.h_unit.{fid}").value == "住建局"
    with read_session(get_engine(demo_url)) as s:
        f = s.get(Finding, fid)
        assert (f.status, f.responsible_unit, f.version) == ("整改中", "城管局", 2)
        assert [e.action for e in f.events].count("交办") == 1  # A's hand-over was not written
    # Reloading shows the problem as it is now: the next step is 整改回复.
    [b for b in at.button if b.label == "载入最新版本"][0].click().run()
    assert not at.error and [s.value for s in at.subheader][0] == "整改回复"


def test_recheck_of_a_problem_someone_else_closed_is_refused_not_lost(demo_url):
    from gangwen_dash.services import findings as svc

    inspector, leader = _actor(demo_url, "inspector1"), _actor(demo_url, "leader1")
    fid, site, now = _new_finding(demo_url, inspector)
    engine = get_engine(demo_url)
    v = svc.hand_over(inspector, {"finding_id": fid, "expected_version": 1, "responsible_unit": "城管局",
                                  "due_date": date.today() + timedelta(days=10)}, engine=engine)
    v = svc.reply(inspector, {"finding_id": fid, "expected_version": v, "text": "已全部覆盖防尘网",
                              "photos": [{"name": "a.jpg", "data": images.jpeg(site.lat, site.lon, now)}],
                              "confirm_flagged_photos": True}, engine=engine)
    at = _track(leader)
    at.selectbox(key="track.finding").set_value(fid).run()
    assert [s.value for s in at.subheader][0] == "复查"
    # Another leader's browser closes it meanwhile: it leaves the open list.
    svc.recheck(leader, {"finding_id": fid, "expected_version": v, "passed": True}, engine=engine)
    st.cache_data.clear()
    at.segmented_control(key=f"track.c_verdict.{fid}").set_value("未通过")
    at.text_input(key=f"track.c_note.{fid}").set_value("喷淋未启用")
    _submit(at, "提交复查结论")
    assert not at.exception
    message = as_read(" ".join(e.value for e in at.error))
    assert f"问题 #{fid}已被他人修改：状态：待复查 → 已销号" in message
    assert at.text_input(key=f"track.c_note.{fid}").value == "喷淋未启用"
    with read_session(engine) as s:
        assert (s.get(Finding, fid).status, s.get(Finding, fid).recheck_failures) == ("已销号", 0)
    [b for b in at.button if b.label == "载入最新版本"][0].click().run()
    assert not at.exception and fid not in at.selectbox(key="track.finding").options
