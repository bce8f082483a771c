"""下周安排: the secretariat's free text for one ISO week's meeting pack (issue 6).

One row per ISO week in ``weekly_notes``. Saving checks ``weekly_note.save``, validates the week and
the text, refuses a stale edit (``expected_version`` is the version the editor was opened at; 0 means
"there was no note yet"), writes and appends an audit row, all in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gangwen_dash.config import local_now
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.dates import DateFormatError, iso_week_label, parse_iso_week
from gangwen_dash.models import WeeklyNote
from gangwen_dash.services import validators
from gangwen_dash.services.base import (
    Actor,
    StaleEdit,
    audit,
    bump_version,
    check_version,
    require,
    snapshot,
    stale_edit,
    validation_errors,
)

MAX_LENGTH = validators.WEEKLY_PLAN
LABELS = {"next_week_plan": "下周安排"}


class SaveWeeklyNote(BaseModel):
    iso_week: str
    text: str
    expected_version: int = 0

    @field_validator("iso_week")
    @classmethod
    def _week(cls, value: str) -> str:
        try:
            monday, _ = parse_iso_week(value)
        except DateFormatError as exc:
            raise ValueError(str(exc)) from None
        return iso_week_label(monday)  # canonical form 2019-W46

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return validators.text((value or "").replace("\r\n", "\n"), "下周安排", MAX_LENGTH, min_len=0)


def _label(iso_week: str) -> str:
    return f"{iso_week} 的下周安排"


def save_weekly_note(actor: Actor, iso_week: str, text: str, expected_version: int = 0, *,
                     now: datetime | None = None, engine=None) -> int:
    """Create or update the note of ``iso_week``; returns the new version.

    The row is read ``FOR UPDATE``, so of two concurrent saves opened at the same version one waits and
    is then refused (``StaleEdit`` listing the other's text: 下周安排：旧 → 新); two concurrent first saves
    meet at UNIQUE(iso_week) and the second is refused the same way.
    """
    require(actor, "weekly_note.save")
    try:
        cmd = SaveWeeklyNote(iso_week=iso_week, text=text, expected_version=expected_version)
    except ValidationError as exc:
        raise validation_errors(exc) from None
    now = (now or local_now()).replace(microsecond=0)
    try:
        with write_session(engine) as session:
            note = session.execute(
                select(WeeklyNote).where(WeeklyNote.iso_week == cmd.iso_week).with_for_update()
            ).scalar_one_or_none()
            if note is None:
                if cmd.expected_version not in (0, None):
                    raise StaleEdit(f"{_label(cmd.iso_week)}已被删除或不存在，请刷新后重试。")
                note = WeeklyNote(iso_week=cmd.iso_week, next_week_plan=cmd.text, updated_at=now, version=1)
                session.add(note)
                session.flush()
                audit(session, actor, "weekly_note.save", "weekly_note", note.id, None, snapshot(note), at=now)
                return note.version
            check_version(session, note, cmd.expected_version, entity="weekly_note", label=_label(cmd.iso_week),
                          labels=LABELS)
            before = snapshot(note)
            note.next_week_plan = cmd.text
            note.updated_at = now
            bump_version(note)
            session.flush()
            audit(session, actor, "weekly_note.save", "weekly_note", note.id, before, snapshot(note), at=now)
            return note.version
    except IntegrityError:
        # Two first saves of the same week raced: the UNIQUE(iso_week) refused this one.
        with read_session(engine) as session:
            note = session.execute(select(WeeklyNote).where(WeeklyNote.iso_week == cmd.iso_week)).scalar_one()
            raise stale_edit(session, "weekly_note", note.id, _label(cmd.iso_week), 0, note.version,
                             snapshot(note), LABELS) from None
