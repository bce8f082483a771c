"""整改闭环: 交办 → 回复 → 复查未通过 → 回复 → 复查通过 → 已销号, overdue derived at every step."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from gangwen_dash import domain
from gangwen_dash.db import read_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import AuditLog, Finding, FindingEvent, Photo
from gangwen_dash.queries.kpis import kpis
from gangwen_dash.queries.open_findings import finding_detail, is_overdue, open_findings
from gangwen_dash.services import findings as svc
from gangwen_dash.services.base import PermissionDenied, StaleEdit, ValidationFailed
from gangwen_dash.services.inspections import record_inspection
from tests.support.findings import after_photo
from tests.support.inspections import NOW, actor, command


def _overdue(engine, fid, day):
    with read_session(engine) as s:
        listed = open_findings(s, day, overdue_only=True)
        flag = is_overdue(s, fid, day)
        # the same definition as the cockpit's 逾期 figure
        k = kpis(s, Period(date(2019, 1, 1), day), Filters())
        assert flag == (fid in set(listed.finding_id))
        return flag, k.findings_overdue


def _state(engine, fid):
    with read_session(engine) as s:
        f = s.get(Finding, fid)
        return f.status, f.version, f.due_date, f.recheck_failures, f.closed_at


def test_full_lifecycle_with_overdue_at_each_step(demo_engine, photo_dir):
    inspector, leader = actor(demo_engine, "inspector1"), actor(demo_engine, "leader1")
    cmd, _ = command(demo_engine, inspector.group_id)
    fid = record_inspection(inspector, cmd, now=NOW, engine=demo_engine).finding_ids[0]
    base_overdue = _overdue(demo_engine, fid, date(2019, 11, 12))[1]

    status, version, due, *_ = _state(demo_engine, fid)
    assert status == "待交办" and due == date(2019, 11, 19)
    assert not _overdue(demo_engine, fid, date(2019, 11, 12))[0]

    # 交办 on 11-13: deadline 11-20
    v = svc.hand_over(inspector, {"finding_id": fid, "expected_version": version, "responsible_unit": "城管局",
                                  "due_date": date(2019, 11, 20), "note": "书面交办"},
                      now=datetime(2019, 11, 13, 9), engine=demo_engine)
    status, version, due, failures, closed = _state(demo_engine, fid)
    assert (status, version, due) == ("整改中", v, date(2019, 11, 20))
    assert not _overdue(demo_engine, fid, date(2019, 11, 20))[0]  # due today: not yet overdue
    flag, n = _overdue(demo_engine, fid, date(2019, 11, 21))
    assert flag and n >= base_overdue

    # 整改回复 on 11-22 (two days late): awaiting re-check but still open, so still overdue
    v = svc.reply(inspector, {"finding_id": fid, "expected_version": version, "text": "已覆盖防尘网",
                              "photos": after_photo(demo_engine, fid, datetime(2019, 11, 22, 10))},
                  now=datetime(2019, 11, 22, 10), engine=demo_engine)
    assert _state(demo_engine, fid)[0] == "待复查"
    assert _overdue(demo_engine, fid, date(2019, 11, 22))[0]

    # an inspector may not re-check; a stale form is refused
    with pytest.raises(PermissionDenied):
        svc.recheck(inspector, {"finding_id": fid, "expected_version": v, "passed": True},
                    now=datetime(2019, 11, 23), engine=demo_engine)
    with pytest.raises(StaleEdit):
        svc.recheck(leader, {"finding_id": fid, "expected_version": v - 1, "passed": True},
                    now=datetime(2019, 11, 23), engine=demo_engine)

    # 复查未通过 on 11-23: back to 整改中 with a new deadline 11-28 — no longer overdue
    v = svc.recheck(leader, {"finding_id": fid, "expected_version": v, "passed": False, "note": "覆盖不完整",
                             "new_due_date": date(2019, 11, 28)}, now=datetime(2019, 11, 23, 15), engine=demo_engine)
    status, version, due, failures, closed = _state(demo_engine, fid)
    assert (status, due, failures, closed) == ("整改中", date(2019, 11, 28), 1, None)
    assert not _overdue(demo_engine, fid, date(2019, 11, 23))[0]
    assert _overdue(demo_engine, fid, date(2019, 11, 29))[0]

    # 整改回复 again on 11-27, 复查通过 on 11-28 → 已销号, never overdue afterwards
    v = svc.reply(inspector, {"finding_id": fid, "expected_version": v, "text": "已全部覆盖到位",
                              "photos": after_photo(demo_engine, fid, datetime(2019, 11, 27, 9))},
                  now=datetime(2019, 11, 27, 9), engine=demo_engine)
    assert not _overdue(demo_engine, fid, date(2019, 11, 27))[0]
    v = svc.recheck(leader, {"finding_id": fid, "expected_version": v, "passed": True},
                    now=datetime(2019, 11, 28, 11), engine=demo_engine)
    status, version, due, failures, closed = _state(demo_engine, fid)
    assert (status, failures, closed) == ("已销号", 1, datetime(2019, 11, 28, 11))
    assert not _overdue(demo_engine, fid, date(2019, 12, 31))[0]

    with read_session(demo_engine) as s:
        actions = s.execute(select(FindingEvent.action).where(FindingEvent.finding_id == fid)
                            .order_by(FindingEvent.id)).scalars().all()
        assert actions == ["发现", "交办", "整改回复", "复查未通过", "整改回复", "复查通过"]
        audits = s.execute(select(AuditLog.action).where(AuditLog.entity == "finding", AuditLog.entity_id == fid)
                           .order_by(AuditLog.id)).scalars().all()
        assert audits == ["finding.hand_over", "finding.reply", "finding.recheck", "finding.reply",
                          "finding.recheck"]
        kinds = s.execute(select(Photo.kind).where(Photo.finding_id == fid).order_by(Photo.id)).scalars().all()
        assert kinds == ["整改前", "整改后", "整改后"]
        f = s.get(Finding, fid)
        assert f.first_due_date == date(2019, 11, 20)  # the promise made at hand-over
        detail = finding_detail(s, fid)
        assert [e["action"] for e in detail.events] == actions and len(detail.photos) == 3


def test_wrong_steps_and_bad_input_refused_without_changes(demo_engine, photo_dir):
    inspector, other = actor(demo_engine, "inspector1"), actor(demo_engine, "inspector2")
    cmd, _ = command(demo_engine, inspector.group_id)
    fid = record_inspection(inspector, cmd, now=NOW, engine=demo_engine).finding_ids[0]

    def snapshot():
        with read_session(demo_engine) as s:
            return (_state(demo_engine, fid),
                    s.execute(select(func.count()).select_from(FindingEvent)).scalar_one(),
                    s.execute(select(func.count()).select_from(Photo)).scalar_one(),
                    s.execute(select(func.count()).select_from(AuditLog)).scalar_one(),
                    len([p for p in photo_dir.rglob("*") if p.is_file()]))

    before = snapshot()
    version = before[0][1]
    later = datetime(2019, 11, 13, 9)
    with pytest.raises(PermissionDenied, match="本督查组"):
        svc.hand_over(other, {"finding_id": fid, "expected_version": version, "responsible_unit": "住建局",
                              "due_date": date(2019, 11, 20)}, now=later, engine=demo_engine)
    with pytest.raises(ValidationFailed) as exc:
        svc.hand_over(inspector, {"finding_id": fid, "expected_version": version, "responsible_unit": "住建局",
                                  "due_date": date(2019, 11, 1)}, now=later, engine=demo_engine)
    assert "不能早于" in exc.value.errors["due_date"]
    with pytest.raises(ValidationFailed) as exc:  # not handed over yet: no reply possible
        svc.reply(inspector, {"finding_id": fid, "expected_version": version, "text": "已整改完毕",
                              "photos": after_photo(demo_engine, fid, later)}, now=later, engine=demo_engine)
    assert "待交办" in exc.value.errors["status"]
    v = svc.hand_over(inspector, {"finding_id": fid, "expected_version": version, "responsible_unit": "住建局",
                                  "due_date": date(2019, 11, 20)}, now=later, engine=demo_engine)
    mid = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        svc.reply(inspector, {"finding_id": fid, "expected_version": v, "text": "已整改完毕", "photos": []},
                  now=later, engine=demo_engine)
    assert "整改后照片" in exc.value.errors["photos"]
    with pytest.raises(ValidationFailed) as exc:
        svc.reply(inspector, {"finding_id": fid, "expected_version": v, "text": "已整改完毕",
                              "photos": [{"name": "fake.jpg", "data": b"not an image at all"}]},
                  now=later, engine=demo_engine)
    assert "不是有效的图片" in exc.value.errors["photos"]
    with pytest.raises(StaleEdit):
        svc.reply(inspector, {"finding_id": fid, "expected_version": v - 1, "text": "已整改完毕",
                              "photos": after_photo(demo_engine, fid, later)}, now=later, engine=demo_engine)
    assert snapshot() == mid


def test_failed_recheck_requires_new_deadline(demo_engine, photo_dir):
    inspector, leader = actor(demo_engine, "inspector1"), actor(demo_engine, "leader1")
    cmd, _ = command(demo_engine, inspector.group_id)
    fid = record_inspection(inspector, {**cmd, "findings": [{**cmd["findings"][0], "hand_over_now": True}]},
                            now=NOW, engine=demo_engine).finding_ids[0]
    status, version, *_ = _state(demo_engine, fid)
    assert status == domain.ST_RECTIFYING  # handed over on site
    at = datetime(2019, 11, 14, 10)
    v = svc.reply(inspector, {"finding_id": fid, "expected_version": version, "text": "已整改到位",
                              "photos": after_photo(demo_engine, fid, at)}, now=at, engine=demo_engine)
    with pytest.raises(ValidationFailed) as exc:
        svc.recheck(leader, {"finding_id": fid, "expected_version": v, "passed": False, "note": "不合格"},
                    now=at, engine=demo_engine)
    assert "新的整改期限" in exc.value.errors["new_due_date"]
    assert _state(demo_engine, fid)[0] == "待复查"
