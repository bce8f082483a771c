"""The Excel import writes through the services' import commands: the app's limits and Chinese messages
refuse an over-long text from Excel exactly as on the entry and rectification pages (both engines)."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from gangwen_dash.db import read_session
from gangwen_dash.exchange import importer, workbook
from gangwen_dash.models import AuditLog, Finding, FindingEvent, Inspection
from gangwen_dash.services import findings
from gangwen_dash.services.base import Actor, validation_errors
from gangwen_dash.services.inspections import FindingInput, RecordInspection

ADMIN = Actor(user_id=None, username="tester", role="secretariat")
TODAY = date(2020, 1, 10)
AT = datetime(2019, 11, 14, 9, 30)
CHECKS = ["符合", "不符合", "符合", "符合", "不适用", "符合"]


def _workbook(*, notes: str = "", description: str = "裸土未覆盖防尘网", reply: str = "已覆盖") -> bytes:
    rows = {
        "街道": [["唐闸镇街道", 32.062, 120.824]],
        "督查组": [["第一督查组", 1]],
        "委员": [["张建国", "经济界", "第一督查组", None, True]],
        "工地": [["唐闸锦园住宅项目", "唐闸镇街道", "唐闸路1号", 32.06, 120.82, "南通三建集团", "在建"]],
        "督查记录": [["唐闸锦园住宅项目", AT, "第一督查组", "日常督查", "张建国", None, None, None, notes, *CHECKS]],
        "问题": [["唐闸锦园住宅项目", AT, "第一督查组", "S2", "较重", description, "住建局", date(2019, 11, 21), None,
                  "待复查", datetime(2019, 11, 14, 12), datetime(2019, 11, 20, 10), reply, None, None, 0, False]],
    }
    buf = BytesIO()
    workbook.save(workbook.build(rows), buf)
    return buf.getvalue()


def _written(engine) -> tuple[int, int, int, int]:
    with read_session(engine) as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Inspection, Finding, FindingEvent, AuditLog))


def _app_message(model, field: str, data: dict) -> str:
    """The message the app's own command gives for ``data`` on ``field``."""
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return validation_errors(exc.value).errors[field]


def _errors(report) -> dict[tuple[str, str], str]:
    return {(e.sheet, e.column): e.reason for e in report.errors}


def test_a_600_character_description_is_refused_as_on_the_entry_page(engine):
    long = "工地东侧裸土未覆盖，" * 60  # 600 characters
    assert len(long) == 600
    app = _app_message(FindingInput, "description", {"category": "S2", "severity": "较重", "responsible_unit": "住建局",
                                                     "description": long})
    assert app == "问题描述不能超过 500 字（当前 600 字）"
    before = _written(engine)
    report = importer.import_workbook(ADMIN, _workbook(description=long), today=TODAY, engine=engine)
    assert not report.written
    assert _errors(report) == {("问题", "问题描述"): app}
    assert [e.row for e in report.errors] == [2]
    assert _written(engine) == before  # all or nothing: not the inspection either


def test_over_long_inspection_notes_and_reply_are_refused_with_the_apps_messages(engine):
    notes, reply = "备" * 1001, "覆" * 1001
    note_message = _app_message(RecordInspection, "notes", {"notes": notes})
    reply_message = _app_message(findings.Reply, "text", {"finding_id": 1, "expected_version": 1, "text": reply})
    assert note_message == "备注不能超过 1000 字（当前 1001 字）"
    assert reply_message == "整改情况不能超过 1000 字（当前 1001 字）"
    before = _written(engine)
    report = importer.import_workbook(ADMIN, _workbook(notes=notes), today=TODAY, engine=engine)
    assert _errors(report)[("督查记录", "备注")] == note_message
    report = importer.import_workbook(ADMIN, _workbook(reply=reply), today=TODAY, engine=engine)
    assert _errors(report) == {("问题", "回复内容"): reply_message}
    assert _written(engine) == before


def test_texts_at_the_limit_import_with_their_lifecycle(engine):
    description, notes = "覆" * 500, "备" * 1000
    report = importer.import_workbook(ADMIN, _workbook(description=description, notes=notes), today=TODAY,
                                      engine=engine)
    assert report.written, [e.text() for e in report.errors]
    with read_session(engine) as s:
        inspection = s.execute(select(Inspection).where(Inspection.inspected_at == AT)).scalar_one()
        finding = s.execute(select(Finding).where(Finding.description == description)).scalar_one()
        events = [e.action for e in sorted(finding.events, key=lambda e: e.at)]
        actions = set(s.execute(select(AuditLog.action)).scalars())
        checklist = {c.item: c.result for c in inspection.checklist}
    assert inspection.notes == notes and checklist == dict(zip(["S1", "S2", "S3", "S4", "S5", "S6"], CHECKS,
                                                                strict=True))
    assert finding.status == "待复查" and finding.first_due_date == date(2019, 11, 21)
    assert events == ["发现", "交办", "整改回复"]
    assert {"inspection.import", "finding.import", "data.import"} <= actions
