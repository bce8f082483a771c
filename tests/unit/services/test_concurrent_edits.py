"""Two saves of the same record at the same moment (both engines, real threads): exactly one wins.

Both threads start together and open the record at the same version. Inside the service, right after
the row is read, each waits for the other (``threading.Barrier``, short timeout): without a row lock
both would then pass the version check and the second write would silently replace the first. With
``SELECT … FOR UPDATE`` (PostgreSQL) or BEGIN IMMEDIATE (SQLite) the second save waits for the first to
commit, then sees the new version and is refused with what changed.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from gangwen_dash.db import read_session
from gangwen_dash.models import AuditLog, Finding, Site, User, WeeklyNote
from gangwen_dash.services import findings, record_kinds, records, users, weekly_notes
from gangwen_dash.services.base import StaleEdit
from gangwen_dash.services.inspections import record_inspection
from tests.support.inspections import NOW, actor, command
from tests.support.records import load_for_edit


def _race(monkeypatch, module, save_a, save_b):
    """Run both saves at once; returns [(outcome, value)] per save: ("ok", version) or ("stale", exc)."""
    inside = threading.Barrier(2)
    check = module.check_version

    def check_when_both_have_read(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            inside.wait(timeout=1.5)  # only reached by both together when nothing locks the row
        return check(*args, **kwargs)

    monkeypatch.setattr(module, "check_version", check_when_both_have_read)
    start = threading.Barrier(2)
    results: list = [None, None]

    def run(i, save):
        start.wait(timeout=10)
        try:
            results[i] = ("ok", save())
        except StaleEdit as exc:
            results[i] = ("stale", exc)
        except Exception as exc:  # reported by the assertion below
            results[i] = ("error", exc)

    threads = [threading.Thread(target=run, args=(i, save)) for i, save in enumerate((save_a, save_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert sorted(r[0] for r in results) == ["ok", "stale"], results
    return results


def _audits(engine, entity) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(AuditLog).where(AuditLog.entity == entity)).scalar_one()


def _winner(results, values):
    (_, version), = [r for r in results if r[0] == "ok"]
    (_, exc), = [r for r in results if r[0] == "stale"]
    return version, values[[r[0] for r in results].index("ok")], exc


def test_weekly_note(demo_engine, monkeypatch):
    admin = actor(demo_engine, "admin")
    weekly_notes.save_weekly_note(admin, "2019-W46", "原安排", 0, engine=demo_engine)
    texts = ("甲的安排", "乙的安排")
    results = _race(monkeypatch, weekly_notes,
                    *(lambda t=t: weekly_notes.save_weekly_note(admin, "2019-W46", t, 1, engine=demo_engine)
                      for t in texts))
    version, won, exc = _winner(results, texts)
    assert version == 2
    assert f"已被他人修改：下周安排：原安排 → {won}" in str(exc)
    with read_session(demo_engine) as s:
        note = s.execute(select(WeeklyNote)).scalar_one()
        assert (note.next_week_plan, note.version) == (won, 2)
    assert _audits(demo_engine, "weekly_note") == 2


def test_weekly_note_first_saves(demo_engine, monkeypatch):
    admin = actor(demo_engine, "admin")
    texts = ("甲先写", "乙先写")
    results = _race(monkeypatch, weekly_notes,
                    *(lambda t=t: weekly_notes.save_weekly_note(admin, "2019-W46", t, 0, engine=demo_engine)
                      for t in texts))
    version, won, exc = _winner(results, texts)
    assert version == 1 and f"已被他人修改：下周安排：（空） → {won}" in str(exc)
    with read_session(demo_engine) as s:
        assert s.execute(select(WeeklyNote.next_week_plan)).scalars().all() == [won]


def test_user_account(demo_engine, monkeypatch):
    admin = actor(demo_engine, "admin")
    with read_session(demo_engine) as s:
        user = s.execute(select(User).where(User.username == "inspector2")).scalar_one()
        uid, version, group_id = user.id, user.version, user.group_id
    names = ("张三", "李四")
    results = _race(monkeypatch, users, *(
        lambda n=n: users.update_user(admin, uid, {"username": "inspector2", "display_name": n, "role": "inspector",
                                                   "group_id": group_id}, version, engine=demo_engine)
        for n in names))
    new_version, won, exc = _winner(results, names)
    assert new_version == version + 1
    assert f"已被他人修改：姓名：第二督查组成员 → {won}" in str(exc)
    with read_session(demo_engine) as s:
        assert (s.get(User, uid).display_name, s.get(User, uid).version) == (won, version + 1)


def test_stale_message_names_roles_and_groups_not_codes(demo_engine):
    """A role or group changed meanwhile reads as people know it (督查组成员 → 督查组组长), not as codes or ids."""
    from gangwen_dash.models import InspectionGroup

    admin = actor(demo_engine, "admin")
    with read_session(demo_engine) as s:
        user = s.execute(select(User).where(User.username == "inspector2")).scalar_one()
        uid, version, group_id = user.id, user.version, user.group_id
        groups = dict(s.execute(select(InspectionGroup.id, InspectionGroup.name)).all())
    other = next(g for g in groups if g != group_id)
    users.update_user(admin, uid, {"username": "inspector2", "display_name": "第二督查组成员", "role": "group_leader",
                                   "group_id": other}, version, engine=demo_engine)
    with pytest.raises(StaleEdit) as info:
        users.update_user(admin, uid, {"username": "inspector2", "display_name": "改名", "role": "inspector",
                                       "group_id": group_id}, version, engine=demo_engine)
    message = str(info.value)
    assert "角色：督查组成员 → 督查组组长" in message, message
    assert f"督查组：{groups[group_id]} → {groups[other]}" in message, message
    assert "group_leader" not in message


def test_finding_hand_over(demo_engine, photo_dir, monkeypatch):
    inspector = actor(demo_engine, "inspector1")
    cmd, _ = command(demo_engine, inspector.group_id)
    fid = record_inspection(inspector, cmd, now=NOW, engine=demo_engine).finding_ids[0]
    due = date.today() + timedelta(days=7)
    units = ("城管局", "生态环境局")
    results = _race(monkeypatch, findings, *(
        lambda u=u: findings.hand_over(inspector, {"finding_id": fid, "expected_version": 1, "responsible_unit": u,
                                                   "due_date": due}, engine=demo_engine)
        for u in units))
    version, won, exc = _winner(results, units)
    assert version == 2
    assert "已被他人修改：状态：待交办 → 整改中" in str(exc) and f"→ {won}" in str(exc)
    with read_session(demo_engine) as s:
        f = s.get(Finding, fid)
        assert (f.status, f.responsible_unit, f.version) == ("整改中", won, 2)
        assert [e.action for e in f.events].count("交办") == 1


def test_reference_record(demo_engine, monkeypatch):
    admin = actor(demo_engine, "admin")
    with read_session(demo_engine) as s:
        sid = s.execute(select(Site.id).order_by(Site.id)).scalars().first()
    opened = load_for_edit("site", sid, engine=demo_engine)
    data = {f.name: opened[f.name] for f in record_kinds.spec("site").fields}
    builders = ("甲建设公司", "乙建设公司")
    results = _race(monkeypatch, records, *(
        lambda b=b: records.update(admin, "site", sid, {**data, "builder": b}, opened["version"], engine=demo_engine)
        for b in builders))
    version, won, exc = _winner(results, builders)
    assert version == opened["version"] + 1 and f"建设单位：{opened['builder']} → {won}" in str(exc)
    with read_session(demo_engine) as s:
        assert s.get(Site, sid).builder == won


@pytest.mark.parametrize("backend", ["postgresql"])
def test_without_the_row_lock_both_saves_would_pass(demo_engine, monkeypatch):
    """The race above is real: drop FOR UPDATE and both threads pass the check (PostgreSQL only: SQLite
    serializes writers at BEGIN IMMEDIATE whatever the query says)."""
    from sqlalchemy.sql import Select

    monkeypatch.setattr(Select, "with_for_update", lambda self, **kw: self)
    admin = actor(demo_engine, "admin")
    weekly_notes.save_weekly_note(admin, "2019-W46", "原安排", 0, engine=demo_engine)
    with pytest.raises(AssertionError, match="'ok', 2.*'ok', 2"):
        _race(monkeypatch, weekly_notes,
              *(lambda t=t: weekly_notes.save_weekly_note(admin, "2019-W46", t, 1, engine=demo_engine)
                for t in ("甲的安排", "乙的安排")))
