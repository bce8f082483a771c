"""Issue 13 rules in the services: a structured "needs confirmation" flag, 复查通过 needs an after-photo
unless the leader gives an explicit reason, and "now" in the district's time zone."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from gangwen_dash import config, domain
from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import AuditLog, Finding, FindingEvent, Photo
from gangwen_dash.services import findings as svc
from gangwen_dash.services.base import ValidationFailed
from gangwen_dash.services.inspections import record_inspection
from tests.support import images
from tests.support.findings import after_photo
from tests.support.inspections import AT, NOW, actor, command


def test_contradicting_photo_sets_the_confirmation_flag_other_errors_do_not(demo_engine, photo_dir):
    a = actor(demo_engine)
    base, _ = command(demo_engine, a.group_id)
    f = base["findings"][0]
    far = {**f, "photos": [{"name": "远处.jpg", "data": images.jpeg(32.12, 120.90, AT)}]}
    with pytest.raises(ValidationFailed) as exc:
        record_inspection(a, {**base, "findings": [far]}, now=NOW, engine=demo_engine)
    assert exc.value.needs_confirmation == {"findings.0.photos"}

    # A missing photo's message mentions 不符合 too, but it is not something to confirm.
    with pytest.raises(ValidationFailed) as exc:
        record_inspection(a, {**base, "idempotency_key": uuid.uuid4().hex, "findings": [{**f, "photos": []}]},
                          now=NOW, engine=demo_engine)
    assert "不符合" in exc.value.errors["findings.0.photos"]
    assert exc.value.needs_confirmation == frozenset()


def _awaiting_recheck_without_after_photo(engine):
    inspector = actor(engine, "inspector1")
    cmd, _ = command(engine, inspector.group_id)
    cmd["findings"] = [{**cmd["findings"][0], "hand_over_now": True}]
    fid = record_inspection(inspector, cmd, now=NOW, engine=engine).finding_ids[0]
    at = datetime(2019, 11, 14, 10)
    with read_session(engine) as s:
        version = s.get(Finding, fid).version
    v = svc.reply(inspector, {"finding_id": fid, "expected_version": version, "text": "已整改到位",
                              "photos": after_photo(engine, fid, at)}, now=at, engine=engine)
    # A reply that reached the record without a photo (e.g. entered from a paper 回复单).
    with write_session(engine) as s:
        s.execute(delete(Photo).where(Photo.finding_id == fid, Photo.kind == domain.PHOTO_AFTER))
    return fid, v


def test_recheck_pass_needs_an_after_photo_or_an_explicit_reason(demo_engine, photo_dir):
    leader = actor(demo_engine, "leader1")
    fid, v = _awaiting_recheck_without_after_photo(demo_engine)
    at = datetime(2019, 11, 15, 9)
    with pytest.raises(ValidationFailed) as exc:
        svc.recheck(leader, {"finding_id": fid, "expected_version": v, "passed": True}, now=at, engine=demo_engine)
    assert "没有整改后照片" in exc.value.errors["no_photo_reason"]
    with pytest.raises(ValidationFailed) as exc:
        svc.recheck(leader, {"finding_id": fid, "expected_version": v, "passed": True, "no_photo_reason": "随便"},
                    now=at, engine=demo_engine)
    assert "no_photo_reason" in exc.value.errors
    with read_session(demo_engine) as s:
        assert s.get(Finding, fid).status == domain.ST_AWAITING_RECHECK

    reason = domain.NO_AFTER_PHOTO_REASONS[0]
    svc.recheck(leader, {"finding_id": fid, "expected_version": v, "passed": True, "no_photo_reason": reason},
                now=at, engine=demo_engine)
    with read_session(demo_engine) as s:
        assert s.get(Finding, fid).status == domain.ST_CLOSED
        note = s.execute(select(FindingEvent.note).where(FindingEvent.finding_id == fid,
                                                         FindingEvent.action == "复查通过")).scalar_one()
        assert reason in note
        last = s.execute(select(AuditLog).where(AuditLog.entity == "finding", AuditLog.entity_id == fid)
                         .order_by(AuditLog.id.desc())).scalars().first()
        assert last.after["no_photo_reason"] == reason


def test_recheck_rule_can_be_switched_off(demo_engine, photo_dir, monkeypatch):
    monkeypatch.setenv("GANGWEN_RECHECK_REQUIRES_AFTER_PHOTO", "0")
    config.reset_settings()
    try:
        fid, v = _awaiting_recheck_without_after_photo(demo_engine)
        svc.recheck(actor(demo_engine, "leader1"), {"finding_id": fid, "expected_version": v, "passed": True},
                    now=datetime(2019, 11, 15, 9), engine=demo_engine)
        with read_session(demo_engine) as s:
            assert s.get(Finding, fid).status == domain.ST_CLOSED
    finally:
        monkeypatch.delenv("GANGWEN_RECHECK_REQUIRES_AFTER_PHOTO")
        config.reset_settings()


def test_local_now_follows_the_configured_time_zone(monkeypatch):
    try:
        assert config.get_settings().timezone == "Asia/Shanghai"
        shanghai = config.local_now()
        assert abs(shanghai - datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)) < timedelta(minutes=1)
        monkeypatch.setenv("GANGWEN_TIMEZONE", "UTC")
        config.reset_settings()
        utc = config.local_now()
        assert abs((shanghai - utc) - timedelta(hours=8)) < timedelta(minutes=1)
        assert config.local_today() == utc.date()
        monkeypatch.setenv("GANGWEN_TIMEZONE", "Mars/Olympus")
        config.reset_settings()
        with pytest.raises(ValueError, match="时区设置"):
            config.local_now()
    finally:
        monkeypatch.delenv("GANGWEN_TIMEZONE", raising=False)
        config.reset_settings()


def test_field_errors_recheck_the_form_without_database_or_files(demo_engine):
    from gangwen_dash.services.inspections import field_errors

    a = actor(demo_engine)
    base, _ = command(demo_engine, a.group_id)
    assert field_errors(base, now=NOW) == {}
    f = base["findings"][0]
    broken = {**base, "site_id": None, "findings": [{**f, "description": "  ", "photos": []}]}
    errors = field_errors(broken, now=NOW)
    # the empty description does not hide the cross-field errors (site, photos)
    assert set(errors) == {"site_id", "findings.0.description", "findings.0.photos"}
    fixed = {**broken, "site_id": base["site_id"]}
    assert "site_id" not in field_errors(fixed, now=NOW)


def test_tables_show_a_mark_instead_of_none():
    import pandas as pd

    from gangwen_dash.ui.tables import EMPTY, fill_empty

    df = pd.DataFrame({"unit": ["住建局", "城管局"], "avg_days_to_close": [3.6, None], "overdue": ["逾期 2 天", ""],
                       "findings": [2, 1]})
    out = fill_empty(df)
    assert list(out.avg_days_to_close) == ["3.6", EMPTY]
    assert list(out.overdue) == ["逾期 2 天", EMPTY]
    assert list(out.findings) == [2, 1]  # complete columns keep their type
    assert df.avg_days_to_close.isna().sum() == 1  # the caller's frame is untouched
