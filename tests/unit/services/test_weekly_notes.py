"""下周安排 service (both engines): permission, validation, version check, audit row, nothing half-saved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gangwen_dash.db import read_session
from gangwen_dash.models import AuditLog, WeeklyNote
from gangwen_dash.queries.weekly import weekly_note
from gangwen_dash.reports import render
from gangwen_dash.reports.weekly import build_pack
from gangwen_dash.services.base import Actor, PermissionDenied, StaleEdit, ValidationFailed
from gangwen_dash.services.weekly_notes import MAX_LENGTH, save_weekly_note

SECRETARIAT = Actor(1, "admin", "secretariat", display_name="机关管理员")
CHAIR = Actor(2, "chair", "chair")


def _audits(engine) -> list[AuditLog]:
    with read_session(engine) as s:
        return list(s.execute(select(AuditLog).where(AuditLog.entity == "weekly_note").order_by(AuditLog.id)).scalars())


def test_create_then_edit_with_version_and_audit(engine):
    assert save_weekly_note(SECRETARIAT, "2019-w46", "1. 回头看逾期问题", 0, engine=engine) == 1
    with read_session(engine) as s:
        note = weekly_note(s, "2019-W46")  # stored under the canonical week label
    assert (note.text, note.version) == ("1. 回头看逾期问题", 1)
    assert save_weekly_note(SECRETARIAT, "2019-W46", "1. 回头看\n2. 抽查暗访 2 次", 1, engine=engine) == 2
    audits = _audits(engine)
    assert [a.action for a in audits] == ["weekly_note.save", "weekly_note.save"]
    assert audits[0].before is None and audits[0].after["next_week_plan"] == "1. 回头看逾期问题"
    assert audits[1].before["version"] == 1 and audits[1].after["version"] == 2
    assert audits[1].username == "admin"
    with read_session(engine) as s:
        pack = build_pack(s, "2019-W46")
    assert pack.next_week_plan == "1. 回头看\n2. 抽查暗访 2 次"
    assert "2. 抽查暗访 2 次" in render.render_fragment(pack)


def test_stale_edit_is_refused_and_nothing_changes(engine):
    save_weekly_note(SECRETARIAT, "2019-W46", "第一版", 0, engine=engine)
    save_weekly_note(SECRETARIAT, "2019-W46", "第二版", 1, engine=engine)
    with pytest.raises(StaleEdit, match="已被他人修改：下周安排：第一版 → 第二版（修改人：admin；") as info:
        save_weekly_note(SECRETARIAT, "2019-W46", "基于第一版的修改", 1, engine=engine)
    assert info.value.changes == {"next_week_plan": ("第一版", "第二版")}
    with pytest.raises(StaleEdit, match="已被他人修改：下周安排：（空） → 第二版（修改人：admin；您打开时尚无内容"):
        save_weekly_note(SECRETARIAT, "2019-W46", "以为还没有", 0, engine=engine)
    with read_session(engine) as s:
        rows = s.execute(select(WeeklyNote)).scalars().all()
    assert [(r.next_week_plan, r.version) for r in rows] == [("第二版", 2)]
    assert len(_audits(engine)) == 2


def test_chair_may_not_save(engine):
    with pytest.raises(PermissionDenied, match="无权编辑周报下周安排"):
        save_weekly_note(CHAIR, "2019-W46", "主席意见", 0, engine=engine)
    assert _audits(engine) == []


@pytest.mark.parametrize("week,text,field", [
    ("2019-W60", "内容", "iso_week"),
    ("下周", "内容", "iso_week"),
    ("2019-W46", "长" * (MAX_LENGTH + 1), "text"),
])
def test_bad_input_gets_a_message_per_field(engine, week, text, field):
    with pytest.raises(ValidationFailed) as info:
        save_weekly_note(SECRETARIAT, week, text, 0, engine=engine)
    assert set(info.value.errors) == {field}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.errors[field])
    with read_session(engine) as s:
        assert s.execute(select(WeeklyNote)).first() is None
