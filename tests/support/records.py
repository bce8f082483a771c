"""Reading a record as the records page's edit form does (the form's starting values and version)."""

from __future__ import annotations

from typing import Any

from gangwen_dash.db import read_session
from gangwen_dash.queries import records as record_queries


def load_for_edit(entity: str, record_id: int, *, engine) -> dict[str, Any]:
    with read_session(engine) as session:
        return record_queries.load_for_edit(session, entity, record_id)
