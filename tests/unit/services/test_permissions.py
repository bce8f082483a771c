"""Every role × every write service, against the permission matrix (both engines).

The table ``SERVICES`` holds one real call per write service. Each is made as a chair, an inspector
and a group leader of group A, and the secretariat, on a record of group A: a role the matrix allows
must succeed; any other must get PermissionDenied with nothing written. A scan of the service
modules makes sure no write service (a public function that calls ``require``) is missing here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import uuid
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

import gangwen_dash.services as services_pkg
from gangwen_dash import domain
from gangwen_dash.db import read_session, write_session
from gangwen_dash.exchange import exporter, importer, workbook
from gangwen_dash.exchange.mapping import Mapping
from gangwen_dash.models import (
    AuditLog,
    ConsultationRoom,
    Draft,
    ExtensionRequest,
    Finding,
    Inspection,
    Member,
    Site,
    Street,
    User,
)
from gangwen_dash.services import (
    auth,
    drafts,
    findings,
    imports,
    letters,
    record_kinds,
    records,
    sessions,
    sites,
    units,
    users,
    weekly_notes,
)
from gangwen_dash.services.base import PermissionDenied
from gangwen_dash.services.inspections import record_inspection
from gangwen_dash.services.permissions import MATRIX
from tests.support import images
from tests.support.findings import finding_in, group_a
from tests.support.inspections import NOW, actor, command

ROLE_USERS = {"chair": "chair", "inspector": "inspector1", "group_leader": "leader1", "secretariat": "admin",
              "unit": "zjj"}  # zjj: the 住建局 account; the table's problems are handed to 住建局


def _uid() -> str:
    return uuid.uuid4().hex[:8]


def _site_photo(engine, fid):
    with read_session(engine) as s:
        f = s.get(Finding, fid)
        return [{"name": "after.jpg", "data": images.jpeg(f.site.lat, f.site.lon, NOW - timedelta(hours=1))}]


def _street(engine) -> int:
    with read_session(engine) as s:
        return s.execute(select(Street.id).order_by(Street.id)).scalars().first()


def _record_data(entity: str, engine) -> dict:
    n = _uid()
    with read_session(engine) as s:
        room = s.execute(select(ConsultationRoom.id)).scalars().first()
        members = s.execute(select(Member.id).limit(3)).scalars().all()
    street = _street(engine)
    return {
        "group": {"name": f"督查组{n}", "sort_order": 9},
        "member": {"name": f"委员{n}", "sector": "经济界", "group_id": group_a(engine)},
        "site": {"name": f"工地{n}", "street_id": street, "lat": 32.06, "lon": 120.82},
        "room": {"name": f"议事室{n}", "street_id": street, "kind": "企业", "lat": 32.06, "lon": 120.82,
                 "established_on": date(2019, 5, 1)},
        "project": {"room_id": room, "title": f"项目{n}", "status": "推进中", "raised_on": date(2019, 6, 1)},
        "proposal": {"number": f"T-{n}", "title": f"提案{n}", "proposer": "某委员", "submitted_on": date(2019, 2, 1),
                     "stage": "提交"},
        "opinion": {"title": f"社情民意{n}", "collector": "民意监督员01", "submitted_on": date(2019, 4, 1),
                    "status": "收集"},
        "activity": {"title": f"活动{n}", "kind": "协商", "held_on": date(2019, 7, 1), "member_ids": members},
        "unit": {"name": f"单位{n}", "kind": "政府部门", "contact": "张三", "notify_email": f"u{n}@example.gov.cn",
                 "is_active": True},
    }[entity]


def _existing(entity: str, engine) -> tuple[int, dict, int]:
    """An existing record of ``entity`` (made by the secretariat) with edit data: (id, data, version)."""
    admin = actor(engine, "admin")
    data = _record_data(entity, engine)
    rid = records.create(admin, entity, data, engine=engine)
    edited = dict(data)
    key = next(f.name for f in record_kinds.spec(entity).fields if f.kind == "text")
    edited[key] = f"{data[key]}改"
    return rid, edited, 1


def _import_file() -> bytes:
    buf = BytesIO()
    workbook.save(workbook.build({"街道": [[f"测试街道{_uid()}", 32.05, 120.8]]}), buf)
    return buf.getvalue()


def _user_id(engine, username="inspector2") -> int:
    with read_session(engine) as s:
        return s.execute(select(User.id).where(User.username == username)).scalar_one()


# (action, service name, call(actor, engine)) — one real, valid call per write service.
SERVICES = [
    ("inspection.record", "inspections.record_inspection",
     lambda a, e: record_inspection(a, command(e, group_a(e))[0], now=NOW, engine=e)),
    ("site.register", "sites.register_site",
     lambda a, e: sites.register_site(a, {"name": f"新工地{_uid()}", "street_id": _street(e), "lat": 32.06,
                                          "lon": 120.82}, now=NOW, engine=e)),
    ("finding.hand_over", "findings.hand_over",
     lambda a, e: findings.hand_over(a, {"finding_id": finding_in(e, "待交办"), "expected_version": 1,
                                         "responsible_unit": "城管局", "due_date": date(2019, 11, 20)},
                                     now=NOW, engine=e)),
    ("finding.reply", "findings.reply",
     lambda a, e: (lambda fid: findings.reply(a, {"finding_id": fid, "expected_version": 1, "text": "已整改到位",
                                                  "photos": _site_photo(e, fid), "confirm_flagged_photos": True},
                                              now=NOW, engine=e))(finding_in(e, "整改中"))),
    ("finding.request_extension", "findings.request_extension",
     lambda a, e: findings.request_extension(a, {"finding_id": finding_in(e, "整改中"), "reason": "雨天无法施工",
                                                 "requested_due": NOW.date() + timedelta(days=10)},
                                             now=NOW, engine=e)),
    ("finding.decide_extension", "findings.decide_extension",
     lambda a, e: findings.decide_extension(a, {"request_id": _pending_extension(e), "expected_version": 1,
                                                "granted": True}, now=NOW, engine=e)),
    ("letter.issue", "letters.issue_letter",
     lambda a, e: letters.issue_letter(a, {"responsible_unit": "城管局", "items": [
         {"finding_id": finding_in(e, "待交办"), "expected_version": 1, "due_date": date(2019, 11, 20)}]},
         now=NOW, engine=e)),
    ("finding.recheck", "findings.recheck",
     lambda a, e: findings.recheck(a, {"finding_id": finding_in(e, "待复查"), "expected_version": 1, "passed": True,
                                       "no_photo_reason": domain.NO_AFTER_PHOTO_REASONS[0]},
                                   now=NOW, engine=e)),
    ("draft.save", "drafts.save_draft", lambda a, e: drafts.save_draft(a, "entry", {"site": 1}, engine=e)),
    ("weekly_note.save", "weekly_notes.save_weekly_note",
     lambda a, e: weekly_notes.save_weekly_note(a, f"2019-W{int(_uid(), 16) % 50 + 1:02d}", "下周安排", 0,
                                                engine=e)),
    ("user.manage", "users.create_user",
     lambda a, e: users.create_user(a, {"username": f"u{_uid()}", "role": "chair"}, "pass-word-123", engine=e)),
    ("user.manage", "users.update_user",
     lambda a, e: (lambda uid: users.update_user(a, uid, {"username": "inspector2", "display_name": "改名",
                                                          "role": "inspector", "group_id": group_a(e)},
                                                 _version(e, uid), engine=e))(_user_id(e))),
    ("user.manage", "users.reset_password",
     lambda a, e: users.reset_password(a, _user_id(e), "temp-pass-123", engine=e)),
    ("user.manage", "sessions.revoke_for", lambda a, e: sessions.revoke_for(a, _user_id(e), engine=e)),
    *[(f"{entity}.manage", f"records.create[{entity}]",
       (lambda ent: lambda a, e: records.create(a, ent, _record_data(ent, e), engine=e))(entity))
      for entity in record_kinds.SPECS],
    *[(f"{entity}.manage", f"records.update[{entity}]",
       (lambda ent: lambda a, e: (lambda rid, data, v: records.update(a, ent, rid, data, v, engine=e))(
           *_existing(ent, e)))(entity))
      for entity in record_kinds.SPECS],
    ("data.import", "importer.import_workbook",
     lambda a, e: _ok(importer.import_workbook(a, _import_file(), engine=e))),
    ("data.import", "importer.import_ledger",
     lambda a, e: _ok(importer.import_ledger(a, _ledger_file(), Mapping("社情民意", {
         "标题": "title", "收集人": "collector", "日期": "submitted_on", "状态": "status"}), sheet="台账", engine=e))),
    ("data.import", "imports.import_street", lambda a, e: _in_session(e, lambda s: imports.import_street(
        s, a, {"name": f"街道{_uid()}", "lat": 32.05, "lon": 120.8}))),
    ("data.import", "imports.import_inspection", lambda a, e: _in_session(e, lambda s: imports.import_inspection(
        s, a, {"site_id": s.execute(select(Site.id)).scalars().first(), "group_id": group_a(e),
               "inspected_at": datetime(2019, 6, 1, 9, 0)}, today=date(2019, 12, 31)))),
    ("data.import", "imports.import_finding", lambda a, e: _in_session(e, lambda s: imports.import_finding(
        s, a, s.execute(select(Inspection)).scalars().first(),
        {"category": "S1", "severity": "一般", "description": f"导入的问题{_uid()}", "status": "待交办",
         "responsible_unit": units.active_names(s)[0], "due_date": date(2030, 1, 1)},
        today=date(2030, 1, 1), units=units.active_names(s)))),
    ("data.import", "imports.record_import", lambda a, e: _in_session(e, lambda s: imports.record_import(
        s, a, {"file": "台账.xlsx"}, mapping={"signature": f"sig-{_uid()}", "target": "社情民意", "headers": ["标题"],
                                            "columns": {"标题": "title"}, "fixed": {}}))),
    ("data.import", "imports.correct_finding", lambda a, e: _in_session(e, lambda s: imports.correct_finding(
        s, a, (fid := finding_in(e, "整改中")), {"severity": "严重"}, _finding_version(e, fid),
        today=date(2030, 1, 1), units=units.active_names(s)))),
    ("data.export", "exporter.export", lambda a, e: exporter.export(a, BytesIO(), engine=e)),
]


def _ledger_file() -> bytes:
    """A ledger of the office's own layout (a title row, its own headers) with one opinion item."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["2019年社情民意台账"])
    ws.append(["标题", "收集人", "日期", "状态"])
    ws.append([f"社情民意{_uid()}", "民意监督员01", "2019.06.01", "收集"])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _in_session(engine, call):
    with write_session(engine) as s:
        return call(s)


def _finding_version(engine, fid: int) -> int:
    with read_session(engine) as s:
        return s.get(Finding, fid).version


def _pending_extension(engine) -> int:
    """A pending extension request on a fresh 住建局 problem of group A (as if zjj had asked)."""
    fid = finding_in(engine, "整改中")
    with write_session(engine) as s:
        f = s.get(Finding, fid)
        req = ExtensionRequest(finding_id=fid, requested_at=NOW, reason="雨天无法施工", current_due=f.due_date,
                               requested_due=f.due_date + timedelta(days=5), version=1)
        s.add(req)
        s.flush()
        return req.id


def _version(engine, uid):
    with read_session(engine) as s:
        return s.get(User, uid).version


def _ok(report):
    assert report.ok, [e.text() for e in report.errors]
    return report


def _audit_count(engine) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def _draft_count(engine) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(Draft)).scalar_one()


def test_every_matrix_action_has_a_service_call():
    assert {action for action, *_ in SERVICES} == set(MATRIX)


def test_every_write_service_is_in_the_table():
    """A public function in services/ or exchange/ that checks a permission must be listed above."""
    listed = {name.split("[")[0] for _, name, _ in SERVICES}
    modules = [importlib.import_module(f"gangwen_dash.services.{m.name}")
               for m in pkgutil.iter_modules(services_pkg.__path__)]
    modules += [importer, exporter]
    missing, unknown_actions = [], set()
    for module in modules:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            src = inspect.getsource(fn)
            if "require(" in src:
                short = f"{module.__name__.rsplit('.', 1)[1]}.{name}"
                if short not in listed and short != "base.require":
                    missing.append(short)
                unknown_actions |= set(re.findall(r'require\(\s*actor,\s*"([a-z_.]+)"', src)) - set(MATRIX)
    assert not missing, f"write services missing from the permission matrix test: {missing}"
    assert not unknown_actions


@pytest.mark.parametrize("action,name,call", SERVICES, ids=[name for _, name, _ in SERVICES])
def test_role_matrix(demo_engine, photo_dir, action, name, call):
    for role, username in ROLE_USERS.items():
        a = actor(demo_engine, username)
        allowed = role in MATRIX[action]
        before = _audit_count(demo_engine), _draft_count(demo_engine)
        if allowed:
            call(a, demo_engine)
            after = _audit_count(demo_engine), _draft_count(demo_engine)
            assert after != before, f"{role} {name}: allowed but nothing was recorded"
        else:
            with pytest.raises(PermissionDenied):
                call(a, demo_engine)
            # Preparing the target may add rows made by the secretariat; the refused call itself adds none
            # of the actor's: no audit row under the refused user's name.
            with read_session(demo_engine) as s:
                mine = s.execute(select(func.count()).select_from(AuditLog).where(
                    AuditLog.username == username, AuditLog.action.not_like("auth.%"))).scalar_one()
            assert mine == 0, f"{role} {name}: refused but wrote an audit row"
            assert _draft_count(demo_engine) == before[1]


def test_every_role_may_change_its_own_password(demo_engine):
    for role, username in ROLE_USERS.items():
        a = actor(demo_engine, username)
        auth.change_password(a, "gangwen-2019", f"new-{role}-password", f"new-{role}-password", engine=demo_engine)
        assert auth.authenticate(username, f"new-{role}-password", engine=demo_engine).actor.role == role


def _finding_state(engine, fid):
    with read_session(engine) as s:
        f = s.get(Finding, fid)
        return f.status, f.version, f.due_date, f.replied_at, f.closed_at


def test_group_b_cannot_touch_group_a_inspection_or_problem(demo_engine, photo_dir):
    group_a_id = group_a(demo_engine)
    for username in ("inspector2", "leader2"):
        other = actor(demo_engine, username)
        assert other.group_id != group_a_id
        audit_before = _audit_count(demo_engine)
        with read_session(demo_engine) as s:
            inspections_before = s.execute(select(func.count()).select_from(Inspection)).scalar_one()
        # Record an inspection in group A's name.
        cmd, _ = command(demo_engine, group_a_id)
        with pytest.raises(PermissionDenied, match="本督查组"):
            record_inspection(other, cmd, now=NOW, engine=demo_engine)
        # Act on group A's problems at each step of their lifecycle.
        new, rectifying, awaiting = (finding_in(demo_engine, s) for s in ("待交办", "整改中", "待复查"))
        states = {fid: _finding_state(demo_engine, fid) for fid in (new, rectifying, awaiting)}
        audit_before = _audit_count(demo_engine)
        with pytest.raises(PermissionDenied, match="本督查组"):
            findings.hand_over(other, {"finding_id": new, "expected_version": 1, "responsible_unit": "城管局",
                                       "due_date": date(2019, 11, 20)}, now=NOW, engine=demo_engine)
        with pytest.raises(PermissionDenied, match="本督查组"):
            findings.reply(other, {"finding_id": rectifying, "expected_version": 1, "text": "已整改到位",
                                   "photos": _site_photo(demo_engine, rectifying), "confirm_flagged_photos": True},
                           now=NOW, engine=demo_engine)
        with pytest.raises(PermissionDenied):
            findings.recheck(other, {"finding_id": awaiting, "expected_version": 1, "passed": True},
                             now=NOW, engine=demo_engine)
        assert {fid: _finding_state(demo_engine, fid) for fid in states} == states
        assert _audit_count(demo_engine) == audit_before
        with read_session(demo_engine) as s:
            assert s.execute(select(func.count()).select_from(Inspection)).scalar_one() == inspections_before
    # The same calls by group A's own leader go through.
    leader = actor(demo_engine, "leader1")
    fid = finding_in(demo_engine, "待复查")
    findings.recheck(leader, {"finding_id": fid, "expected_version": 1, "passed": True,
                              "no_photo_reason": domain.NO_AFTER_PHOTO_REASONS[0]},
                     now=datetime(2019, 11, 12, 16), engine=demo_engine)
    assert _finding_state(demo_engine, fid)[0] == "已销号"
