"""督查录入 service: one transaction, Chinese refusals leaving nothing behind, idempotency, concurrency."""

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gangwen_dash import domain
from gangwen_dash.db import read_session
from gangwen_dash.models import (
    AuditLog,
    ChecklistResult,
    Finding,
    FindingEvent,
    Inspection,
    Photo,
    inspection_members,
)
from gangwen_dash.services.base import PermissionDenied, ValidationFailed
from gangwen_dash.services.inspections import record_inspection
from tests.support import images
from tests.support.inspections import AT, NOW, actor, command

TABLES = (Inspection, ChecklistResult, Finding, FindingEvent, Photo, AuditLog)


def counts(engine, photo_dir):
    with read_session(engine) as s:
        out = {t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}
        out["inspection_members"] = s.execute(select(func.count()).select_from(inspection_members)).scalar_one()
    out["files"] = len([p for p in photo_dir.rglob("*") if p.is_file()]) if photo_dir.exists() else 0
    return out


def test_complete_inspection_with_failing_s2_and_photo_in_one_transaction(demo_engine, photo_dir):
    a = actor(demo_engine)
    before = counts(demo_engine, photo_dir)
    cmd, site = command(demo_engine, a.group_id)
    result = record_inspection(a, cmd, now=NOW, engine=demo_engine)
    after = counts(demo_engine, photo_dir)
    assert not result.duplicate and len(result.finding_ids) == 1
    assert result.photo_checks == [["现场核验"]]
    delta = {k: after[k] - before[k] for k in after}
    assert delta == {"inspections": 1, "checklist_results": 6, "findings": 1, "finding_events": 1, "photos": 1,
                     "audit_log": 1, "inspection_members": len(cmd["member_ids"]), "files": 2}
    with read_session(demo_engine) as s:
        insp = s.get(Inspection, result.inspection_id)
        assert insp.location_source == "工地坐标" and (insp.lat, insp.lon) == (site.lat, site.lon)
        assert {c.item: c.result for c in insp.checklist}["S2"] == "不符合"
        f = s.get(Finding, result.finding_ids[0])
        # denormalised from the inspection, default deadline from the severity (较重 → 7 days)
        assert (f.site_id, f.group_id, f.found_at) == (site.id, a.group_id, AT)
        assert f.due_date == f.first_due_date == AT.date() + timedelta(days=7)
        assert f.status == domain.ST_NEW and f.verified_on_site and not f.photo_flagged
        photo = f.photos[0]
        assert photo.kind == "整改前" and photo.check_result == "现场核验" and photo.exif_time == AT - timedelta(minutes=5)
        assert (photo_dir / photo.path).is_file() and (photo_dir / photo.thumb_path).is_file()
        log = s.execute(select(AuditLog).order_by(AuditLog.id.desc())).scalars().first()
        assert (log.action, log.entity_id, log.username) == ("inspection.record", insp.id, "inspector1")


def _bad_cases(site, base):
    """(override, field, message fragment) for each invalid submission the issue names."""
    f = base["findings"][0]
    return [
        ({"findings": [{**f, "due_date": AT.date() - timedelta(days=1)}]}, "findings.0.due_date", "不能早于督查日期"),
        ({"findings": [{**f, "photos": []}]}, "findings.0.photos", "请至少上传一张问题照片"),
        ({"findings": []}, "checklist.S2", "S2 记为不符合，请为该项登记问题"),
        ({"location_source": "设备定位", "lat": 31.20, "lon": 121.47}, "location", "不在港闻区范围内"),
        ({"findings": [{**f, "photos": [{"name": "假照片.jpg", "data": "不是图片".encode() * 50}]}]},
         "findings.0.photos", "不是有效的图片"),
        ({"findings": [{**f, "photos": [{"name": "巨大.jpg", "data": images.huge_file(40)}]}]},
         "findings.0.photos", "文件过大"),
        ({"inspected_at": NOW + timedelta(days=1)}, "inspected_at", "不能晚于当前时间"),
        ({"checklist": {**base["checklist"], "S4": None}}, "checklist.S4", "请选择"),
        ({"member_ids": []}, "member_ids", "请选择参加督查的委员"),
        ({"site_id": None}, "site_id", "请选择或登记工地"),
        ({"findings": [{**f, "photos": [{"name": "远处.jpg", "data": images.jpeg(32.12, 120.90, AT)}]}]},
         "findings.0.photos", "位置不符"),
    ]


def test_invalid_submissions_refused_in_chinese_and_leave_no_row_behind(demo_engine, photo_dir):
    a = actor(demo_engine)
    base, site = command(demo_engine, a.group_id)
    before = counts(demo_engine, photo_dir)
    for override, field, fragment in _bad_cases(site, base):
        cmd = {**base, **override, "idempotency_key": uuid.uuid4().hex}
        with pytest.raises(ValidationFailed) as exc:
            record_inspection(a, cmd, now=NOW, engine=demo_engine)
        assert field in exc.value.errors, (field, exc.value.errors)
        assert fragment in exc.value.errors[field], exc.value.errors
        assert counts(demo_engine, photo_dir) == before, field


def test_contradicting_photo_is_stored_flagged_only_when_confirmed(demo_engine, photo_dir):
    a = actor(demo_engine)
    base, _site = command(demo_engine, a.group_id)
    far = {**base["findings"][0], "photos": [{"name": "远处.jpg", "data": images.jpeg(32.12, 120.90, AT)}]}
    result = record_inspection(a, {**base, "findings": [far], "confirm_flagged_photos": True}, now=NOW,
                               engine=demo_engine)
    assert result.photo_checks == [["位置不符"]]
    with read_session(demo_engine) as s:
        f = s.get(Finding, result.finding_ids[0])
        assert f.photo_flagged and not f.verified_on_site


def test_failure_inside_the_transaction_removes_written_files(demo_engine, photo_dir):
    """A database refusal after the photo files were written (unknown member id) leaves no file."""
    a = actor(demo_engine)
    base, _ = command(demo_engine, a.group_id)
    before = counts(demo_engine, photo_dir)
    cmd = {**base, "member_ids": [*base["member_ids"], 999_999]}
    with pytest.raises(ValidationFailed) as exc:
        record_inspection(a, cmd, now=NOW, engine=demo_engine)
    assert "member_ids" in exc.value.errors
    assert counts(demo_engine, photo_dir) == before


def test_same_submission_twice_stores_one_inspection(demo_engine, photo_dir):
    a = actor(demo_engine)
    cmd, _ = command(demo_engine, a.group_id)
    first = record_inspection(a, cmd, now=NOW, engine=demo_engine)
    mid = counts(demo_engine, photo_dir)
    second = record_inspection(a, cmd, now=NOW, engine=demo_engine)
    assert second.inspection_id == first.inspection_id and second.duplicate and not first.duplicate
    assert counts(demo_engine, photo_dir) == mid


def test_permissions_enforced_in_the_service(demo_engine, photo_dir):
    other_group = actor(demo_engine, "inspector2")
    cmd, _ = command(demo_engine, actor(demo_engine).group_id)
    with pytest.raises(PermissionDenied, match="本督查组"):
        record_inspection(other_group, cmd, now=NOW, engine=demo_engine)
    with pytest.raises(PermissionDenied):
        record_inspection(actor(demo_engine, "chair"), cmd, now=NOW, engine=demo_engine)


def test_twenty_concurrent_submissions_all_land_once(demo_engine, photo_dir):
    a = actor(demo_engine)
    base, _ = command(demo_engine, a.group_id)
    before = counts(demo_engine, photo_dir)
    # 20 distinct submissions, each sent twice at the same time (a double tap on a bad connection).
    keys = [uuid.uuid4().hex for _ in range(20)]
    jobs = [k for k in keys for _ in range(2)]
    results, errors = {}, []
    barrier = threading.Barrier(len(jobs))
    lock = threading.Lock()

    def submit(key):
        try:
            barrier.wait(timeout=30)
            r = record_inspection(a, {**base, "idempotency_key": key}, now=NOW, engine=demo_engine)
            with lock:
                results.setdefault(key, set()).add(r.inspection_id)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=submit, args=(k,)) for k in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert all(len(ids) == 1 for ids in results.values()) and len(results) == 20
    after = counts(demo_engine, photo_dir)
    assert after["inspections"] - before["inspections"] == 20
    assert after["findings"] - before["findings"] == 20
    assert after["photos"] - before["photos"] == 20
    assert after["files"] - before["files"] == 40  # no orphan file from a losing duplicate
    with read_session(demo_engine) as s:
        stored = set(s.execute(select(Inspection.idempotency_key).where(Inspection.idempotency_key.in_(keys))).scalars())
    assert stored == set(keys)
