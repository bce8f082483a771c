"""Server-side drafts: the entry form is saved as the user types, so a reload, a dropped connection
or a page switch brings it back. One row per (user, form) in ``drafts``; the payload is JSON.

Drafts are the user's own scratch data: saving needs ``draft.save``; loading and clearing only ever
touch the actor's own row. No audit row (a draft is not a business record; the submission is).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from gangwen_dash.config import local_now
from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import Draft
from gangwen_dash.services.base import Actor, ValidationFailed, require

MAX_PAYLOAD_CHARS = 200_000


def encode_value(value):
    """A widget value as JSON (dates and times tagged); TypeError for what a draft cannot hold (uploads)."""
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, time):
        return {"__time__": value.isoformat()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float | bool) for v in value):
        return list(value)
    if isinstance(value, list) and all(isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
                                       for v in value):
        return [dict(v) for v in value]
    raise TypeError


def decode_value(value):
    """The widget value ``encode_value`` wrote."""
    if isinstance(value, dict):
        if "__date__" in value:
            return date.fromisoformat(value["__date__"])
        if "__time__" in value:
            return time.fromisoformat(value["__time__"])
        if "__datetime__" in value:
            return datetime.fromisoformat(value["__datetime__"])
    return value


def save_draft(actor: Actor, form: str, payload: dict, *, now: datetime | None = None, engine=None) -> None:
    require(actor, "draft.save")
    if not form or len(form) > 40:
        raise ValidationFailed({"form": "草稿表单名无效"})
    text = json.dumps(payload, ensure_ascii=False, default=str)
    if len(text) > MAX_PAYLOAD_CHARS:
        raise ValidationFailed({"form": "草稿内容过大，未能保存"})
    data = json.loads(text)
    now = (now or local_now()).replace(microsecond=0)
    for attempt in range(2):
        try:
            with write_session(engine) as session:
                row = session.execute(
                    select(Draft).where(Draft.owner == actor.username, Draft.form == form)
                ).scalar_one_or_none()
                if row is None:
                    session.add(Draft(owner=actor.username, form=form, payload=data, updated_at=now))
                else:
                    row.payload = data
                    row.updated_at = now
            return
        except IntegrityError:  # two saves raced to insert: the second becomes an update
            if attempt:
                raise


def load_draft(actor: Actor, form: str, *, engine=None) -> dict | None:
    with read_session(engine) as session:
        return session.execute(
            select(Draft.payload).where(Draft.owner == actor.username, Draft.form == form)
        ).scalar_one_or_none()


def clear_draft(actor: Actor, form: str, *, engine=None) -> None:
    with write_session(engine) as session:
        session.execute(delete(Draft).where(Draft.owner == actor.username, Draft.form == form))
