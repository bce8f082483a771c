"""The import's rows as service calls: ``Importer`` resolves a row's names to ids (records of the
database or of earlier sheets of the same file), maps it to a command and hands it to a service
(``services.records`` for reference records, ``services.imports`` for streets, inspections and problems),
within the import's one transaction. A refusal becomes the row's errors under the columns they concern.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.exchange import problems
from gangwen_dash.exchange.mapping import normalize_name
from gangwen_dash.exchange.report import NEW, SAME, UPDATE, RowInvalid
from gangwen_dash.exchange.schema import Sheet
from gangwen_dash.models import (
    ConsultationRoom,
    DutyActivity,
    Inspection,
    InspectionGroup,
    LivelihoodProject,
    Member,
    OpinionItem,
    Proposal,
    Site,
    Street,
)
from gangwen_dash.services import imports, record_kinds, records
from gangwen_dash.services.base import Actor, StaleEdit, ValidationFailed
from gangwen_dash.services.units import active_names as active_unit_names


class Importer:
    """Writes rows as they pass, within the import's one transaction. Each handler returns what happened
    to its row (``NEW``, ``UPDATE``, ``SAME``) and leaves an update's fields in ``self.change``.

    ``ledger``: rows come from a ledger of the secretariat's own (not the template), so a problem's
    inspection is implied by site, time and group, an unknown site is created at its street's centre,
    and a deadline or status the ledger leaves out is derived.
    """

    def __init__(self, session: Session, actor: Actor, today: date, *, ledger: bool = False,
                 expected: dict[tuple[str, int], int] | None = None) -> None:
        self.s = session
        self.actor = actor
        self.today = today
        self.ledger = ledger
        self.expected = expected or {}
        self.versions: dict[tuple[str, int], int] = {}
        self.located: list[str] = []
        self.change: list[tuple[str, Any, Any]] = []  # the current row's update: (label, old, new)
        self.stored: dict[str, Any] = {}  # the current row's values as derived by its handler (preview)
        self.units = active_unit_names(session)  # 责任单位名录 (issue 15)
        self.ids: dict[str, dict[str, int]] = {
            kind: {normalize_name(name): id_ for name, id_ in session.execute(select(model.name, model.id))}
            for kind, model in (("street", Street), ("group", InspectionGroup), ("member", Member), ("site", Site),
                                ("room", ConsultationRoom))
        }

    # -- helpers

    def known(self, kind: str, name: str) -> int | None:
        return self.ids[kind].get(normalize_name(name))

    def ref(self, kind: str, name: str | None, header: str, sheet_hint: str) -> int | None:
        if name is None:
            return None
        found = self.known(kind, name)
        if found is None:
            raise RowInvalid([(header, f"{record_kinds.REF_LABELS.get(kind, kind)}“{name}”不存在"
                                        f"（系统中没有，本文件“{sheet_hint}”表中也没有）")])
        return found

    def member_ids(self, names: list[str] | None, header: str) -> list[int]:
        missing = [n for n in names or [] if self.known("member", n) is None]
        if missing:
            raise RowInvalid([(header, "委员" + "、".join(f"“{n}”" for n in missing) +
                                "不存在（系统中没有，本文件“委员”表中也没有）")])
        return [self.known("member", n) for n in names or []]

    def command(self, sheet: Sheet, entity: str, data: dict[str, Any]) -> record_kinds.Command:
        try:
            return records.validate(entity, data, today=self.today)
        except ValidationFailed as exc:
            raise RowInvalid([(header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None

    def upsert(self, sheet: Sheet, entity: str, found: int | None, data: dict[str, Any],
               defaults: dict[str, Any] | None = None, extra: dict[str, Any] | None = None):
        """Create the record, or update the fields the row gives (None: not given) of the one ``found``.
        Returns (outcome, the record's id)."""
        try:
            if found is None:
                cmd = self.command(sheet, entity, {**(defaults or {}),
                                                   **{k: v for k, v in data.items() if v is not None}})
                obj = records.create_in(self.s, self.actor, entity, cmd, action=f"{entity}.import", extra=extra)
                return NEW, obj.id
            spec = record_kinds.spec(entity)
            obj = self.s.get(spec.model, found)
            current = record_kinds.record_snapshot(obj)
            merged = {f.name: current.get(f.name) for f in spec.fields}
            merged.update({k: v for k, v in data.items() if v is not None})
            cmd = self.command(sheet, entity, merged)
            self.versions[(entity, found)] = obj.version
            expected = self.expected.get((entity, found), obj.version)
            _, changes = records.update_in(self.s, self.actor, entity, found, cmd, expected,
                                           action=f"{entity}.import_update", extra=extra)
        except ValidationFailed as exc:
            raise RowInvalid([(header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None
        except StaleEdit as exc:
            raise RowInvalid([("（整行）", str(exc))]) from None
        labels = record_kinds.field_labels(entity)
        self.change = [(labels.get(k, k), old, new) for k, (old, new) in changes.items()]
        return (UPDATE if changes else SAME), found

    def exists(self, stmt) -> int | None:
        return self.s.execute(stmt.limit(1)).scalar()

    def call(self, sheet: Sheet, command, *args, **kwargs):
        """Run an import command (``services.imports``) in the import's transaction; a refusal becomes the
        row's errors, each under the column its field is read from."""
        try:
            return command(self.s, self.actor, *args, **kwargs)
        except ValidationFailed as exc:
            raise RowInvalid([(header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None

    # -- one method per sheet

    def street(self, sheet, v) -> str:
        if self.known("street", v["name"]) is not None:
            return SAME  # streets are reference geography, not corrected by a ledger
        street_id = self.call(sheet, imports.import_street, {"name": v["name"], "lat": v["lat"], "lon": v["lon"]})
        self.ids["street"][normalize_name(v["name"])] = street_id
        return NEW

    def group(self, sheet, v) -> str:
        outcome, id_ = self.upsert(sheet, "group", self.known("group", v["name"]),
                                   {"name": v["name"], "sort_order": v["sort_order"]}, {"sort_order": 0})
        self.ids["group"][normalize_name(v["name"])] = id_
        return outcome

    def member(self, sheet, v) -> str:
        found = self.known("member", v["name"])
        group_id = self.ref("group", v["group"], "督查组", "督查组")
        outcome, id_ = self.upsert(sheet, "member", found, {
            "name": v["name"] if found is None else None, "sector": v["sector"], "group_id": group_id,
            "phone": v["phone"], "is_active": v["is_active"]}, {"is_active": True})
        self.ids["member"][normalize_name(v["name"])] = id_
        return outcome

    def street_centre(self, street_id: int) -> tuple[float, float]:
        street = self.s.get(Street, street_id)
        return street.lat, street.lon

    def site(self, sheet, v) -> str:
        found = self.known("site", v["name"])
        street_id = self.ref("street", v["street"], "所属街道", "街道")
        lat, lon, extra = v["lat"], v["lon"], None
        if (lat is None) != (lon is None):
            raise RowInvalid([("纬度", "纬度和经度须同时填写或同时留空")])
        if lat is None and found is None:  # 位置待核: at the street's centre until someone places it
            lat, lon = self.street_centre(street_id)
            extra = {"location_unverified": True}
            self.located.append(v["name"])
        data = {"name": v["name"] if found is None else None, "street_id": street_id, "address": v["address"],
                "lat": lat, "lon": lon, "builder": v["builder"], "status": v["status"]}
        outcome, id_ = self.upsert(sheet, "site", found, data, {"address": "", "builder": "", "status": "在建"},
                                   extra)
        self.ids["site"][normalize_name(v["name"])] = id_
        return outcome

    def room(self, sheet, v) -> str:
        found = self.known("room", v["name"])
        street_id = self.ref("street", v["street"], "所属街道", "街道")
        outcome, id_ = self.upsert(sheet, "room", found, {
            "name": v["name"] if found is None else None, "street_id": street_id, "kind": v["kind"],
            "lat": v["lat"], "lon": v["lon"], "established_on": v["established_on"], "is_pilot": v["is_pilot"]},
            {"is_pilot": False})
        self.ids["room"][normalize_name(v["name"])] = id_
        return outcome

    def project(self, sheet, v) -> str:
        room_id = self.ref("room", v["room"], "协商议事室", "协商议事室")
        found = self.exists(select(LivelihoodProject.id).where(LivelihoodProject.room_id == room_id,
                                                               LivelihoodProject.title == v["title"]))
        return self.upsert(sheet, "project", found, {
            "room_id": room_id, "title": v["title"], "status": v["status"], "raised_on": v["raised_on"],
            "solved_on": v["solved_on"]})[0]

    def proposal(self, sheet, v) -> str:
        found = self.exists(select(Proposal.id).where(Proposal.number == v["number"]))
        data = {k: v[k] for k in ("number", "title", "proposer", "submitted_on", "stage", "assigned_on",
                                  "replied_on", "result_code", "satisfaction", "lead_chair", "handling_unit",
                                  "progress", "is_key", "is_excellent")}
        return self.upsert(sheet, "proposal", found, data,
                           {"handling_unit": "", "progress": "", "is_key": False, "is_excellent": False})[0]

    def opinion(self, sheet, v) -> str:
        found = self.exists(select(OpinionItem.id).where(OpinionItem.title == v["title"],
                                                         OpinionItem.submitted_on == v["submitted_on"]))
        return self.upsert(sheet, "opinion", found, {
            "title": v["title"], "collector": v["collector"], "submitted_on": v["submitted_on"],
            "status": v["status"], "instructed": v["instructed"]}, {"instructed": False})[0]

    def activity(self, sheet, v) -> str:
        found = self.exists(select(DutyActivity.id).where(DutyActivity.title == v["title"],
                                                          DutyActivity.held_on == v["held_on"]))
        member_ids = self.member_ids(v["members"], "参加委员") if v["members"] is not None else None
        return self.upsert(sheet, "activity", found, {"title": v["title"], "kind": v["kind"],
                                                      "held_on": v["held_on"], "member_ids": member_ids})[0]

    def _inspection_id(self, v) -> tuple[int, int, int | None]:
        site_id = self.ref("site", v["site"], "工地名称", "工地")
        group_id = self.ref("group", v["group"], "督查组", "督查组")
        found = self.exists(select(Inspection.id).where(
            Inspection.site_id == site_id, Inspection.inspected_at == v["inspected_at"],
            Inspection.group_id == group_id))
        return site_id, group_id, found

    def inspection(self, sheet, v) -> str:
        site_id, group_id, found = self._inspection_id(v)
        if found:
            return SAME  # an inspection as recorded on site is not rewritten by a ledger
        member_ids = self.member_ids(v["members"], "参与委员")
        given = {k: v[k] for k in ("kind", "lat", "lon", "location_source", "notes") if v[k] is not None}
        checklist = {code: v[f"check_{code}"] for code in domain.CHECKLIST_ITEMS if v.get(f"check_{code}")}
        self.call(sheet, imports.import_inspection, {
            "site_id": site_id, "group_id": group_id, "inspected_at": v["inspected_at"], "member_ids": member_ids,
            "checklist": checklist, **given}, today=self.today)
        return NEW

    def finding(self, sheet, v) -> str:
        return problems.import_row(self, sheet, v)


def header_for(sheet: Sheet, field_name: str, message: str) -> str:
    """The column a service validation message belongs to."""
    key = {"group_id": "group", "street_id": "street", "room_id": "room", "member_ids": "members"}.get(
        field_name, field_name)
    for col in sheet.columns:
        if col.key == key:
            return col.header
    for col in sheet.columns:  # a whole-record rule: the first column its message names
        if col.header in message:
            return col.header
    if "坐标" in message:
        return "纬度"
    return "（整行）"
