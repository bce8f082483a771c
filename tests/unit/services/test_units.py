"""Issue 15: responsible units, unit accounts and their scope, extension requests, 交办单 letters."""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from gangwen_dash import migrate
from gangwen_dash.db import get_engine, read_session, write_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import AuditLog, ExtensionRequest, Finding, FindingEvent, Letter, Unit, User
from gangwen_dash.queries import units as q
from gangwen_dash.services import findings, letters, records, users
from gangwen_dash.services.base import PermissionDenied, ValidationFailed
from tests.support import images
from tests.support.findings import finding_in, group_a
from tests.support.inspections import NOW, actor


def _set(engine, fid, **values):
    with write_session(engine) as s:
        f = s.get(Finding, fid)
        for k, v in values.items():
            setattr(f, k, v)


def _state(engine, fid):
    with read_session(engine) as s:
        f = s.get(Finding, fid)
        return f.status, f.version, f.due_date, f.first_due_date, f.reply_text


def _audit(engine, username):
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.username == username, AuditLog.action.not_like("auth.%"))).scalar_one()


def _photo(engine, fid):
    with read_session(engine) as s:
        f = s.get(Finding, fid)
        return [{"name": "after.jpg", "data": images.jpeg(f.site.lat, f.site.lon, NOW - timedelta(hours=1))}]


def test_migration_maps_free_text_units_to_records(db_url):
    """Existing problems keep their unit: every name in use becomes a unit row (plus the configured list)."""
    migrate.downgrade(db_url, "0004")
    engine = get_engine(db_url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO streets (name, lat, lon) VALUES ('街道甲', 32.06, 120.82)"))
        c.execute(text("INSERT INTO inspection_groups (name, sort_order, version) VALUES ('组甲', 1, 1)"))
        c.execute(text("INSERT INTO sites (name, street_id, address, lat, lon, builder, status, version) "
                       "VALUES ('工地甲', 1, '', 32.06, 120.82, '', '在建', 1)"))
        c.execute(text("INSERT INTO inspections (site_id, group_id, kind, inspected_at, location_source, notes, version)"
                       " VALUES (1, 1, '日常督查', '2019-11-01 09:00:00', '工地坐标', '', 1)"))
        c.execute(text("INSERT INTO findings (inspection_id, site_id, group_id, found_at, category, severity, description,"
                       " responsible_unit, due_date, first_due_date, status, recheck_failures, reply_text,"
                       " verified_on_site, photo_flagged, version) VALUES (1, 1, 1, '2019-11-01 09:00:00', 'S2', '一般',"
                       " 'x', '原环保局', '2019-11-02', '2019-11-02', '整改中', 0, '', false, false, 1)"))
    migrate.upgrade(db_url)
    with read_session(engine) as s:
        names = dict(s.execute(select(Unit.name, Unit.kind)).all())
    assert names["原环保局"] == "政府部门"
    assert {"住建局", "生态环境局", "城管局", "属地街道", "建设单位"} <= set(names)
    assert names["属地街道"] == "街道" and names["建设单位"] == "建设单位"


def test_unit_account_sees_and_acts_only_on_its_own_handed_over_problems(demo_engine, photo_dir):
    zjj = actor(demo_engine, "zjj")
    mine = finding_in(demo_engine, "整改中")  # handed to 住建局
    other = finding_in(demo_engine, "整改中")
    _set(demo_engine, other, responsible_unit="生态环境局")
    not_yet = finding_in(demo_engine, "待交办")  # names 住建局 but not handed over yet
    today = NOW.date()
    with read_session(demo_engine) as s:
        inbox = q.inbox(s, zjj.unit_id, today)
        assert mine in set(inbox.finding_id)
        assert other not in set(inbox.finding_id) and not_yet not in set(inbox.finding_id)
        # Every row of the inbox is a handed-over 住建局 problem.
        rows = s.execute(select(Finding.responsible_unit, Finding.status).where(
            Finding.id.in_([int(i) for i in inbox.finding_id]))).all()
        assert {u for u, _ in rows} == {"住建局"} and "待交办" not in {st for _, st in rows}
        assert q.finding(s, zjj.unit_id, mine) is not None
        assert q.finding(s, zjj.unit_id, other) is None
        assert q.finding(s, zjj.unit_id, not_yet) is None
        assert q.site_history(s, zjj.unit_id, other).empty
        history = q.site_history(s, zjj.unit_id, mine)
        assert (history[history.kind == "督查"].detail == "").all()  # no group notes, no members
        assert set(history.finding_id.dropna().astype(int)) <= set(
            s.execute(select(Finding.id).where(Finding.responsible_unit == "住建局")).scalars())

    before = {fid: _state(demo_engine, fid) for fid in (other, not_yet)}
    for fid in (other, not_yet):
        with pytest.raises(PermissionDenied, match="本单位"):
            findings.reply(zjj, {"finding_id": fid, "expected_version": 1, "text": "已整改到位",
                                 "photos": _photo(demo_engine, fid), "confirm_flagged_photos": True},
                           now=NOW, engine=demo_engine)
        with pytest.raises(PermissionDenied, match="本单位"):
            findings.request_extension(zjj, {"finding_id": fid, "reason": "雨天无法施工",
                                             "requested_due": today + timedelta(days=9)}, now=NOW, engine=demo_engine)
    with pytest.raises(PermissionDenied):
        findings.hand_over(zjj, {"finding_id": not_yet, "expected_version": 1, "responsible_unit": "住建局",
                                 "due_date": today + timedelta(days=3)}, now=NOW, engine=demo_engine)
    with pytest.raises(PermissionDenied):
        findings.recheck(zjj, {"finding_id": mine, "expected_version": 1, "passed": True}, now=NOW, engine=demo_engine)
    assert {fid: _state(demo_engine, fid) for fid in before} == before
    assert _audit(demo_engine, "zjj") == 0

    # Its own problem: the same reply service, with the same photo checks.
    with pytest.raises(ValidationFailed) as exc:
        findings.reply(zjj, {"finding_id": mine, "expected_version": 1, "text": "已整改到位", "photos": []},
                       now=NOW, engine=demo_engine)
    assert "photos" in exc.value.errors
    findings.reply(zjj, {"finding_id": mine, "expected_version": 1, "text": "已覆盖防尘网",
                         "photos": _photo(demo_engine, mine), "confirm_flagged_photos": True},
                   now=NOW, engine=demo_engine)
    assert _state(demo_engine, mine)[0] == "待复查"


def test_extension_request_granted_moves_the_deadline_but_not_the_first(demo_engine, photo_dir):
    zjj, leader1, leader2 = (actor(demo_engine, u) for u in ("zjj", "leader1", "leader2"))
    fid = finding_in(demo_engine, "整改中")
    _, _, due, first, _ = _state(demo_engine, fid)
    with pytest.raises(ValidationFailed) as exc:
        findings.request_extension(zjj, {"finding_id": fid, "reason": "雨", "requested_due": due - timedelta(days=1)},
                                   now=NOW, engine=demo_engine)
    assert set(exc.value.errors) == {"reason"}
    with pytest.raises(ValidationFailed, match="晚于"):
        findings.request_extension(zjj, {"finding_id": fid, "reason": "连续降雨无法施工", "requested_due": due},
                                   now=NOW, engine=demo_engine)
    rid = findings.request_extension(zjj, {"finding_id": fid, "reason": "连续降雨无法施工",
                                           "requested_due": due + timedelta(days=7)}, now=NOW, engine=demo_engine)
    with pytest.raises(ValidationFailed, match="待审批"):
        findings.request_extension(zjj, {"finding_id": fid, "reason": "再申请一次",
                                         "requested_due": due + timedelta(days=9)}, now=NOW, engine=demo_engine)
    # Only the group's own leader decides; a refusal needs a reason.
    for who in (leader2, zjj, actor(demo_engine, "admin")):
        with pytest.raises(PermissionDenied):
            findings.decide_extension(who, {"request_id": rid, "expected_version": 1, "granted": True},
                                      now=NOW, engine=demo_engine)
    with pytest.raises(ValidationFailed, match="理由"):
        findings.decide_extension(leader1, {"request_id": rid, "expected_version": 1, "granted": False},
                                  now=NOW, engine=demo_engine)
    findings.decide_extension(leader1, {"request_id": rid, "expected_version": 1, "granted": True},
                              now=NOW + timedelta(hours=1), engine=demo_engine)
    status, _, new_due, new_first, _ = _state(demo_engine, fid)
    assert (status, new_due, new_first) == ("整改中", due + timedelta(days=7), first)
    with read_session(demo_engine) as s:
        req = s.get(ExtensionRequest, rid)
        assert (req.state, req.decided_at) == ("已同意", NOW + timedelta(hours=1))
        actions = s.execute(select(FindingEvent.action).where(FindingEvent.finding_id == fid)
                            .order_by(FindingEvent.id)).scalars().all()
        assert actions[-2:] == ["申请延期", "同意延期"]
        audited = set(s.execute(select(AuditLog.action).where(AuditLog.entity_id == rid,
                                                              AuditLog.entity == "extension_request")).scalars())
        assert audited == {"finding.request_extension", "finding.decide_extension"}
    with pytest.raises(ValidationFailed, match="已同意"):
        findings.decide_extension(leader1, {"request_id": rid, "expected_version": 2, "granted": False, "note": "x"},
                                  now=NOW, engine=demo_engine)

    # A reply after the first deadline but within the extension is not 按期 in the chairs' per-unit view.
    late = datetime.combine(first + timedelta(days=2), datetime.min.time()) + timedelta(hours=10)
    _set(demo_engine, fid, handed_over_at=NOW - timedelta(days=1))
    findings.reply(zjj, {"finding_id": fid, "expected_version": _state(demo_engine, fid)[1], "text": "已整改到位",
                         "photos": _photo(demo_engine, fid), "confirm_flagged_photos": True}, now=late,
                   engine=demo_engine)
    day = (NOW - timedelta(days=1)).date()
    with read_session(demo_engine) as s:
        stats = q.unit_stats(s, Period(day, first + timedelta(days=3)), Filters())
    row = stats[stats.unit == "住建局"].iloc[0]
    assert (row.handed_over, row.replied, row.on_time, row.extensions) == (1, 1, 0, 1)
    assert row.median_days_to_reply == pytest.approx((late - (NOW - timedelta(days=1))).total_seconds() / 86400, 0.01)


def test_unit_stats_counts_and_median_per_unit(demo_engine):
    """Three 城管局 problems handed over the same day, replied after 1, 2 and 6 days: median 2."""
    base = datetime(2019, 11, 4, 9)
    fids = [finding_in(demo_engine, "整改中") for _ in range(4)]
    for fid in fids:
        _set(demo_engine, fid, responsible_unit="城管局", handed_over_at=base, first_due_date=date(2019, 11, 6),
             due_date=date(2019, 11, 6))
    with write_session(demo_engine) as s:
        for fid, days in zip(fids, (1, 2, 6), strict=False):
            s.add(FindingEvent(finding_id=fid, action="整改回复", at=base + timedelta(days=days), note="已整改"))
            f = s.get(Finding, fid)
            f.status, f.replied_at = "待复查", base + timedelta(days=days)
    with read_session(demo_engine) as s:
        stats = q.unit_stats(s, Period(date(2019, 11, 4), date(2019, 11, 10)), Filters())
    row = stats[stats.unit == "城管局"].iloc[0]
    # Replied on 11-05 and 11-06 are on time (first deadline 11-06), on 11-10 is not; as of 11-10 all four
    # are past the deadline and not closed (逾期, as in the KPIs).
    assert (row.handed_over, row.replied, row.on_time, row.overdue) == (4, 3, 2, 4)
    assert row.median_days_to_reply == pytest.approx(2.0)
    with read_session(demo_engine) as s:
        stats = q.unit_stats(s, Period(date(2019, 11, 4), date(2019, 11, 6)), Filters())
    row = stats[stats.unit == "城管局"].iloc[0]
    assert (row.handed_over, row.replied, row.on_time, row.overdue) == (4, 2, 2, 0)
    assert row.median_days_to_reply == pytest.approx(1.5)


def test_letter_numbers_are_sequential_unique_and_kept_with_the_hand_over(demo_engine, photo_dir):
    admin, leader1, inspector = (actor(demo_engine, u) for u in ("admin", "leader1", "inspector1"))
    with read_session(demo_engine) as s:
        before = s.execute(select(func.max(Letter.seq)).where(Letter.year == 2019)).scalar() or 0
    a, b, c = (finding_in(demo_engine, "待交办") for _ in range(3))
    due = date(2019, 11, 20)
    with pytest.raises(PermissionDenied):
        letters.issue_letter(inspector, {"responsible_unit": "住建局", "items": [
            {"finding_id": a, "expected_version": 1, "due_date": due}]}, now=NOW, engine=demo_engine)
    with pytest.raises(ValidationFailed):
        letters.issue_letter(admin, {"responsible_unit": "不存在的局", "items": [
            {"finding_id": a, "expected_version": 1, "due_date": due}]}, now=NOW, engine=demo_engine)
    with pytest.raises(ValidationFailed, match="整改期限"):
        letters.issue_letter(admin, {"responsible_unit": "住建局", "items": [
            {"finding_id": a, "expected_version": 1}]}, now=NOW, engine=demo_engine)
    assert _state(demo_engine, a)[0] == "待交办"  # nothing half-done
    first = letters.issue_letter(admin, {"responsible_unit": "住建局", "note": "请限期整改", "items": [
        {"finding_id": a, "expected_version": 1, "due_date": due},
        {"finding_id": b, "expected_version": 1, "due_date": due + timedelta(days=1)}]}, now=NOW, engine=demo_engine)
    second = letters.issue_letter(leader1, {"responsible_unit": "城管局", "items": [
        {"finding_id": c, "expected_version": 1, "due_date": due}]}, now=NOW, engine=demo_engine)
    with read_session(demo_engine) as s:
        one, two = q.letter(s, first), q.letter(s, second)
        assert (one.seq, two.seq) == (before + 1, before + 2)
        assert one.number == f"港政协督〔2019〕第 {before + 1} 号"
        assert [i["finding_id"] for i in one.content["items"]] == [a, b]
        assert one.content["items"][1]["due_date"] == "2019-11-21"
        assert q.letters_for_finding(s, a) == [(first, one.number)]
        assert q.letter_by_number(s, before + 2, 2019).letter_id == second
        zjj = s.execute(select(User).where(User.username == "zjj")).scalar_one()
        assert q.letter(s, second, unit_id=zjj.unit_id) is None  # 城管局's letter is not 住建局's
        assert q.letter(s, first, unit_id=zjj.unit_id) is not None
    assert _state(demo_engine, a)[:1] == ("整改中",) and _state(demo_engine, b)[2] == due + timedelta(days=1)
    # A problem already on a letter, or handed to another unit, cannot go on another letter.
    with pytest.raises(ValidationFailed, match="已列入"):
        letters.issue_letter(admin, {"responsible_unit": "住建局", "items": [
            {"finding_id": a, "expected_version": 2}]}, now=NOW, engine=demo_engine)
    with pytest.raises(ValidationFailed, match="不能列入"):
        letters.issue_letter(admin, {"responsible_unit": "生态环境局", "items": [
            {"finding_id": b, "expected_version": 2}]}, now=NOW, engine=demo_engine)
    # An on-site hand-over without a letter can get one; its deadline stays.
    d = finding_in(demo_engine, "整改中")
    third = letters.issue_letter(admin, {"responsible_unit": "住建局", "items": [{"finding_id": d, "expected_version": 1}]},
                                 now=NOW, engine=demo_engine)
    with read_session(demo_engine) as s:
        assert q.letter(s, third).seq == before + 3


def test_letter_cli_prints_the_pdf_with_number_and_problems(demo_url, photo_dir, tmp_path):
    engine = get_engine(demo_url)
    admin = actor(engine, "admin")
    a, b = (finding_in(engine, "待交办") for _ in range(2))
    _set(engine, a, description="东侧围挡倒塌未修复")
    _set(engine, b, description="出口冲洗设备损坏")
    lid = letters.issue_letter(admin, {"responsible_unit": "住建局", "items": [
        {"finding_id": a, "expected_version": 1, "due_date": date(2019, 11, 20)},
        {"finding_id": b, "expected_version": 1, "due_date": date(2019, 11, 22)}]}, now=NOW, engine=engine)
    with read_session(engine) as s:
        lt = q.letter(s, lid)
    out = tmp_path / "letter.pdf"
    run = subprocess.run([".venv/bin/python", "-m", "gangwen_dash", "letter", "--number", f"2019-{lt.seq}",
                          "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    pdf_text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert lt.number.replace(" ", "") in pdf_text.replace(" ", "")
    for needle in ("东侧围挡倒塌未修复", "出口冲洗设备损坏", "住建局", "2019-11-20", "2019-11-22", "回复方式"):
        assert needle in pdf_text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "yes" in fonts  # glyphs embedded
    missing = subprocess.run([".venv/bin/python", "-m", "gangwen_dash", "letter", "--number", "9999", "--out",
                              str(tmp_path / "x.pdf")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "没有编号为 9999 的交办单" in missing.stderr


def test_units_are_managed_as_records_and_renames_keep_their_problems(demo_engine):
    admin = actor(demo_engine, "admin")
    uid = records.create(admin, "unit", {"name": "区水利局", "kind": "政府部门", "notify_email": "sl@example.gov.cn",
                                         "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
                                         "is_active": True}, engine=demo_engine)
    with pytest.raises(ValidationFailed, match="邮箱"):
        records.create(admin, "unit", {"name": "坏邮箱局", "notify_email": "not-an-address"}, engine=demo_engine)
    with pytest.raises(ValidationFailed, match="https"):
        records.create(admin, "unit", {"name": "坏地址局", "webhook_url": "ftp://x"}, engine=demo_engine)
    fid = finding_in(demo_engine, "整改中")
    _set(demo_engine, fid, responsible_unit="区水利局")
    records.update(admin, "unit", uid, {"name": "区水务局", "kind": "政府部门", "is_active": True}, 1,
                   engine=demo_engine)
    with read_session(demo_engine) as s:
        assert s.get(Finding, fid).responsible_unit == "区水务局"
    # A unit account must name its unit; other roles carry none.
    with pytest.raises(ValidationFailed):
        users.create_user(admin, {"username": "swj", "role": "unit"}, "pass-word-123", engine=demo_engine)
    new = users.create_user(admin, {"username": "swj", "role": "unit", "unit_id": uid}, "pass-word-123",
                            engine=demo_engine)
    with read_session(demo_engine) as s:
        assert s.get(User, new).unit_id == uid
        assert q.finding(s, uid, fid) is not None
    # An inactive unit takes no new problems.
    records.update(admin, "unit", uid, {"name": "区水务局", "kind": "政府部门", "is_active": False}, 2,
                   engine=demo_engine)
    with pytest.raises(ValidationFailed, match="停用"):
        findings.hand_over(admin, {"finding_id": finding_in(demo_engine, "待交办"), "expected_version": 1,
                                   "responsible_unit": "区水务局", "due_date": date(2019, 11, 20)},
                           now=NOW, engine=demo_engine)


def test_group_a_helper_is_group_of_demo_leader1(demo_engine):
    assert actor(demo_engine, "leader1").group_id == group_a(demo_engine)


def test_letters_issued_at_the_same_time_get_distinct_numbers(demo_engine, photo_dir):
    """Four letters issued at once (threads, own connections): four consecutive numbers, none twice."""
    import threading

    admin = actor(demo_engine, "admin")
    fids = [finding_in(demo_engine, "待交办") for _ in range(4)]
    with read_session(demo_engine) as s:
        before = s.execute(select(func.max(Letter.seq)).where(Letter.year == 2019)).scalar() or 0
    barrier, errors, made = threading.Barrier(4), [], []

    def issue(fid):
        barrier.wait()
        try:
            made.append(letters.issue_letter(admin, {"responsible_unit": "住建局", "items": [
                {"finding_id": fid, "expected_version": 1, "due_date": date(2019, 11, 20)}]}, now=NOW,
                engine=demo_engine))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(f,)) for f in fids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(made) == 4
    with read_session(demo_engine) as s:
        seqs = sorted(s.execute(select(Letter.seq).where(Letter.id.in_(made))).scalars())
    assert seqs == [before + 1, before + 2, before + 3, before + 4]


def test_excel_template_lists_the_units_table(demo_url, tmp_path):
    """A unit added in 记录管理 is offered by the template's 责任单位 drop-down (CLI ``template``)."""
    from openpyxl import load_workbook

    from gangwen_dash.cli import main
    from gangwen_dash.db import get_engine

    engine = get_engine(demo_url)
    records.create(actor(engine, "admin"), "unit", {"name": "区水利局", "kind": "政府部门"}, engine=engine)
    path = tmp_path / "template.xlsx"
    assert main(["template", str(path)]) == 0
    formulas = [dv.formula1 for ws in load_workbook(path).worksheets for dv in ws.data_validations.dataValidation]
    unit_lists = [f for f in formulas if "住建局" in (f or "")]
    assert unit_lists and all("区水利局" in f for f in unit_lists), unit_lists
