"""The one-row ``app_state``: the data version (caches of every process follow it) and the demo flag."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash.models import AppState


def read(session: Session) -> tuple[int, bool]:
    """(data_version, demo_loaded); (0, False) on a database without the row."""
    row = session.execute(select(AppState.data_version, AppState.demo_loaded).where(AppState.id == 1)).first()
    return (int(row[0]), bool(row[1])) if row else (0, False)
