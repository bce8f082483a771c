"""A site's history in time order: inspections, the problems they found and each problem's lifecycle steps.

``site_timeline(session, site_id)`` returns one row per event with columns
``at, kind, title, detail, finding_id, inspection_id`` (stable: the map page and the rectification
page both use it). ``kind`` is one of:

- ``督查`` (an inspection: title = 日常督查/抽查暗访, detail = group and notes),
- ``发现`` (a finding: title = category and severity, detail = description),
- a later finding event (``交办``, ``整改回复``, ``复查通过``, ``复查未通过``: title = the action and the
  problem's category, detail = the note, the responsible unit and the deadline when set).

A finding's own ``发现`` event is not repeated (the finding row stands for it). Rows sort by ``at``;
at the same instant an inspection comes before what it found, and a finding before its later steps.
The query reads only the one site's rows through the ``(site_id, …)`` indexes.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.models import Finding, FindingEvent, Inspection, InspectionGroup

COLUMNS = ["at", "kind", "title", "detail", "finding_id", "inspection_id"]
KIND_INSPECTION = "督查"
KIND_FINDING = "发现"
_RANK = {KIND_INSPECTION: 0, KIND_FINDING: 1}


def _category_label(code: str) -> str:
    label = domain.CHECKLIST_ITEMS.get(code)
    return f"{code} {label}" if label else code


def site_timeline(session: Session, site_id: int) -> pd.DataFrame:
    rows: list[tuple] = []
    inspections = session.execute(
        select(Inspection.id, Inspection.inspected_at, Inspection.kind, Inspection.notes, InspectionGroup.name)
        .join(InspectionGroup, InspectionGroup.id == Inspection.group_id)
        .where(Inspection.site_id == site_id)
    ).all()
    for insp_id, at, kind, notes, group in inspections:
        detail = group + (f"；{notes}" if notes else "")
        rows.append((at, KIND_INSPECTION, kind, detail, None, insp_id))

    findings = session.execute(
        select(Finding.id, Finding.inspection_id, Finding.found_at, Finding.category, Finding.severity,
               Finding.description, Finding.responsible_unit).where(Finding.site_id == site_id)
    ).all()
    category_of: dict[int, str] = {}
    for fid, insp_id, at, category, severity, description, _unit in findings:
        category_of[fid] = category
        rows.append((at, KIND_FINDING, f"{_category_label(category)}（{severity}）", description, fid, insp_id))

    events = session.execute(
        select(FindingEvent.id, FindingEvent.finding_id, FindingEvent.at, FindingEvent.action, FindingEvent.note,
               FindingEvent.responsible_unit, FindingEvent.due_date, Finding.inspection_id)
        .join(Finding, Finding.id == FindingEvent.finding_id)
        .where(Finding.site_id == site_id, FindingEvent.action != KIND_FINDING)
    ).all()
    for _eid, fid, at, action, note, unit, due, insp_id in events:
        parts = [p for p in (note, f"责任单位：{unit}" if unit else "", f"期限：{due:%Y-%m-%d}" if due else "") if p]
        rows.append((at, action, f"{action} · {_category_label(category_of.get(fid, ''))}", "；".join(parts),
                     fid, insp_id))

    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame.astype({"finding_id": "Int64", "inspection_id": "Int64"})
    frame["_rank"] = frame["kind"].map(_RANK).fillna(2)
    frame = frame.sort_values(["at", "_rank", "finding_id"], kind="stable", na_position="first")
    frame = frame.drop(columns="_rank").reset_index(drop=True)
    frame["at"] = pd.to_datetime(frame["at"])
    return frame.astype({"finding_id": "Int64", "inspection_id": "Int64"})
