"""Import a ledger workbook: all-or-nothing, idempotent, with a per-row Chinese error report.

- All sheets are read and every row validated inside ONE transaction; rows are written as they pass
  (so later sheets can refer to earlier ones by name). If any row is invalid — or on a dry run — the
  transaction is rolled back: nothing is written, and the report lists sheet, row, column and reason.
- A row whose natural key (``schema.Sheet.key``) already exists is skipped, so importing the same
  file twice adds nothing. Two rows with the same key in one file are an error.
- This module and ``ledger``/``problems`` only read, parse and map rows (names to ids, a ledger's implied
  values); every row is validated and written by a service in the import's transaction: reference
  records (members, sites, rooms, projects, proposals, opinions, activities) by the records page's
  commands (``services.records``), streets, inspections and problems by the import commands
  (``services.imports``) — one set of limits and messages for the app and for Excel.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import replace
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import ERROR_CODES
from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.config import local_now, local_today
from gangwen_dash.db import write_session
from gangwen_dash.domain.dates import DateFormatError, parse_date, parse_datetime
from gangwen_dash.exchange import ledger, mapping, problems
from gangwen_dash.exchange.mapping import Mapping, normalize_name
from gangwen_dash.exchange.report import (
    INVALID,
    NEW,
    PREVIEW_ROWS,
    SAME,
    UPDATE,
    Change,
    ImportReport,
    PreviewRow,
    RowError,
    RowInvalid,
    show,
)
from gangwen_dash.exchange.schema import SHEET_BY_NAME, SHEETS, Column, Sheet, unneutralise
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
from gangwen_dash.services.base import Actor, StaleEdit, ValidationFailed, audit, require
from gangwen_dash.services.units import active_names as active_unit_names

_SPLIT = re.compile(r"[、,，;；\n]+")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", "×", ""}
MAX_ERRORS = 2000
MAX_INT = 2**31 - 1  # INTEGER columns on both engines
# openpyxl warns (in English, on stderr) and reads such a cell as "#VALUE!"; the report says it in Chinese.
warnings.filterwarnings("ignore", message=r"Cell .* is marked as a date but the serial value", category=UserWarning)


_RowInvalid = RowInvalid


class _Rollback(Exception):
    pass


# --------------------------------------------------------------------------- cell parsing


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value).strip()


def _cell_text(value: Any) -> str:
    try:
        return _as_text(value)[:50]
    except Exception:  # a value that cannot even be shown
        return type(value).__name__


def _choice(col: Column, text: str) -> str | None:
    """A choice written another way: full-width or spaced (“一 般”), a category by its label or “S2 …”."""
    for choice in col.choices:
        if normalize_name(choice) == text:
            return choice
    if col.key == "category":
        for code, label in domain.CHECKLIST_ITEMS.items():
            if text.upper().startswith(code) or normalize_name(label) in text:
                return code
    return None


def parse_cell(col: Column, value: Any, *, year: int | None = None) -> Any:
    """Python value of one cell, or ValueError with a Chinese reason. Blank → None.

    ``year`` completes dates typed without one (11月14日): the ledger's year.
    """
    value = unneutralise(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if col.required:
            raise ValueError("必填项为空")
        return None
    if isinstance(value, str) and value.strip() in ERROR_CODES:
        # openpyxl reads error cells (and date cells whose serial is out of range) as "#VALUE!" etc.
        raise ValueError(f"单元格是 Excel 错误值 {value.strip()}（公式出错或日期超出范围），请改为有效的值")
    kind = col.kind
    if kind in ("text", "longtext"):
        return _as_text(value)
    if kind == "int":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"应为整数，实际为“{_as_text(value)}”") from None
        if not number.is_integer():
            raise ValueError(f"应为整数，实际为“{_as_text(value)}”")
        if abs(number) > MAX_INT:
            raise ValueError(f"整数“{_as_text(value)}”超出范围")
        return int(number)
    if kind == "float":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"应为数字，实际为“{_as_text(value)}”") from None
        if not math.isfinite(number):
            raise ValueError(f"应为数字，实际为“{_as_text(value)}”")
        return number
    if kind == "date":
        try:
            return parse_date(value, year=year)
        except DateFormatError as exc:
            raise ValueError(str(exc)) from None
    if kind == "datetime":
        try:
            return parse_datetime(value, year=year)
        except DateFormatError as exc:
            raise ValueError(str(exc)) from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = _as_text(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"应为“是”或“否”，实际为“{_as_text(value)}”")
    if kind == "choice":
        text = _as_text(value)
        allowed = col.choices
        if text in allowed:
            return text
        found = _choice(col, normalize_name(text))
        if found is None:
            raise ValueError(f"“{text}”不是可选值（可选：{'/'.join(allowed)}）")
        return found
    if kind == "names":
        names = [n.strip() for n in _SPLIT.split(_as_text(value)) if n.strip()]
        return list(dict.fromkeys(names))
    raise AssertionError(kind)


# --------------------------------------------------------------------------- the import


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
            raise _RowInvalid([(header, f"{record_kinds.REF_LABELS.get(kind, kind)}“{name}”不存在"
                                        f"（系统中没有，本文件“{sheet_hint}”表中也没有）")])
        return found

    def member_ids(self, names: list[str] | None, header: str) -> list[int]:
        missing = [n for n in names or [] if self.known("member", n) is None]
        if missing:
            raise _RowInvalid([(header, "委员" + "、".join(f"“{n}”" for n in missing) +
                                "不存在（系统中没有，本文件“委员”表中也没有）")])
        return [self.known("member", n) for n in names or []]

    def command(self, sheet: Sheet, entity: str, data: dict[str, Any]) -> record_kinds.Command:
        try:
            return records.validate(entity, data, today=self.today)
        except ValidationFailed as exc:
            raise _RowInvalid([(_header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None

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
            raise _RowInvalid([(_header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None
        except StaleEdit as exc:
            raise _RowInvalid([("（整行）", str(exc))]) from None
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
            raise _RowInvalid([(_header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None

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
            raise _RowInvalid([("纬度", "纬度和经度须同时填写或同时留空")])
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


def _header_for(sheet: Sheet, field_name: str, message: str) -> str:
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


def _read_rows(ws, sheet: Sheet, report: ImportReport):
    """Yield (row number, {key: raw value}); header problems go to the report."""
    rows = ws.iter_rows(values_only=True)

    def unreadable(row: int, exc: Exception) -> None:
        report.errors.append(RowError(sheet.name, row, "—", f"无法读取此行，文件可能已损坏（{type(exc).__name__}）"))

    try:
        header = next(rows)
    except StopIteration:
        return
    except Exception as exc:  # a damaged sheet is reported, not raised
        unreadable(1, exc)
        return
    positions: dict[str, int] = {}
    for idx, text in enumerate(header or ()):
        text = _as_text(text)
        for col in sheet.columns:
            if col.header == text:
                positions[col.key] = idx
    missing = [c for c in sheet.columns if c.required and c.key not in positions]
    for col in missing:
        report.errors.append(RowError(sheet.name, 1, col.header, "缺少此必填列（请使用导入模板的表头）"))
    if missing:
        return
    r = 1
    while True:
        r += 1
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # as above
            unreadable(r, exc)
            return
        values = values or ()
        raw = {key: (values[idx] if idx < len(values) else None) for key, idx in positions.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values()):
            continue
        for col in sheet.columns:
            raw.setdefault(col.key, None)
        yield r, raw


def import_workbook(actor: Actor, source: str | Path | BytesIO | bytes, *, dry_run: bool = False,
                    today: date | None = None, filename: str | None = None, engine=None,
                    expected: dict[tuple[str, int], int] | None = None) -> ImportReport:
    """Import ``source`` (.xlsx in the template's layout); returns the report. Writes only when every row is
    valid and not ``dry_run``. ``expected``: the versions a dry run saw (``report.versions``); a record
    changed since then refuses its row."""
    require(actor, "data.import")
    report = ImportReport(dry_run=dry_run)
    today = today or local_today()
    if isinstance(source, bytes):
        source = BytesIO(source)
    try:
        wb = load_workbook(source, read_only=True, data_only=False)
    except Exception as exc:  # any unreadable file gets one Chinese message
        report.errors.append(RowError("（文件）", 0, "—", f"无法读取该文件，请确认是 .xlsx 格式（{type(exc).__name__}）"))
        return report
    name = filename or (Path(source).name if isinstance(source, str | Path) else "上传文件")
    try:
        with write_session(engine) as session:
            imp = Importer(session, actor, today, expected=expected)
            known = [s for s in SHEETS if s.name in wb.sheetnames]
            if not known:
                report.errors.append(RowError("（文件）", 0, "—", "文件中没有可识别的表（请使用导入模板，"
                                                                  "或在页面上选择工作表并对应各列）"))
            for sheet in known:
                import_rows(imp, _read_rows(wb[sheet.name], sheet, report), sheet, report)
                if len(report.errors) >= MAX_ERRORS:
                    break
            _finish(imp, report)
            if report.errors or dry_run:
                raise _Rollback
            audit(session, actor, "data.import", "exchange", None, None,
                  {"file": name, "created": report.created, "updated": report.updated, "skipped": report.skipped})
    except _Rollback:
        pass
    finally:
        wb.close()
    return report


def _finish(imp: Importer, report: ImportReport) -> None:
    report.versions = dict(imp.versions)
    report.located = list(imp.located)


def _key_part(value: Any) -> Any:
    return normalize_name(value) if isinstance(value, str) else value


def import_rows(imp: Importer, rows, sheet: Sheet, report: ImportReport, *, columns: tuple[Column, ...] = (),
                year: int | None = None, label: str | None = None, headers: dict[str, str] | None = None) -> None:
    """Validate and write ``rows`` ((row number, {key: raw cell})) as records of ``sheet``.

    ``columns``: the columns to read (default the sheet's); ``label``: the sheet name the report gives
    (a ledger's own); ``headers``: our header → the file's, so a message names the column the user sees.
    """
    handler = getattr(imp, sheet.entity)
    columns = columns or sheet.columns
    label = label or sheet.name
    headers = headers or {}
    seen: dict[tuple, int] = {}
    counts = {NEW: 0, UPDATE: 0, SAME: 0}
    previewed = 0

    def where(header: str) -> str:
        return f"{headers[header]}（{header}）" if header in headers and headers[header] != header else header

    for r, raw in rows:
        values, errors = {}, []
        for col in columns:
            try:
                values[col.key] = parse_cell(col, raw.get(col.key), year=year)
            except ValueError as exc:
                errors.append((col.header, str(exc)))
            except Exception:  # whatever a cell holds, the report says so in Chinese
                errors.append((col.header, f"无法识别的值“{_cell_text(raw.get(col.key))}”"))
        outcome = INVALID
        imp.stored = {}
        if not errors:
            key = tuple(_key_part(values[k]) for k in sheet.key)
            if key in seen:
                names = "、".join(sheet.column(k).header for k in sheet.key)
                errors.append((sheet.column(sheet.key[-1]).header, f"与第 {seen[key]} 行重复（{names}相同）"))
            else:
                seen[key] = r
                imp.change = []
                try:
                    with imp.s.begin_nested():
                        outcome = handler(sheet, values)
                except RowInvalid as exc:
                    errors.extend(exc.errors)
        if errors:
            outcome = INVALID
            report.errors.extend(RowError(label, r, where(h), m) for h, m in errors)
        else:
            counts[outcome] += 1
            if outcome == UPDATE:
                record = f"{sheet.name}“{values[sheet.key[-1]]}”"
                report.changes.append(Change(label, r, record, tuple(imp.change)))
        if previewed < PREVIEW_ROWS:
            previewed += 1
            stored = {**values, **imp.stored}
            report.preview.append(PreviewRow(label, r, outcome, {c.header: show(stored.get(c.key)) for c in columns},
                                             [f"【{where(h)}】{m}" for h, m in errors]))
        if len(report.errors) >= MAX_ERRORS:
            break
    report.created[sheet.name] = report.created.get(sheet.name, 0) + counts[NEW]
    report.updated[sheet.name] = report.updated.get(sheet.name, 0) + counts[UPDATE]
    report.skipped[sheet.name] = report.skipped.get(sheet.name, 0) + counts[SAME]


def import_ledger(actor: Actor, source: str | Path | BytesIO | bytes, chosen: Mapping, *, sheet: str,
                  header_row: int | None = None, dry_run: bool = False, today: date | None = None,
                  filename: str | None = None, engine=None,
                  expected: dict[tuple[str, int], int] | None = None) -> ImportReport:
    """Import one sheet of a ledger in the secretariat's own layout, its columns mapped by ``chosen``.

    All-or-nothing like ``import_workbook``; on success the mapping is remembered for files with the
    same headers. A ledger's year (for dates such as 11月14日) is ``chosen.year`` or its title's.
    """
    require(actor, "data.import")
    report = ImportReport(dry_run=dry_run)
    today = today or local_today()
    try:
        wb = ledger.open_book(source)
        table = ledger.read_sheet(wb, sheet, header_row)
    except ledger.LedgerError as exc:
        report.errors.append(RowError(sheet, 0, "—", str(exc)))
        return report
    for problem in chosen.problems():
        report.errors.append(RowError(sheet, table.header_row, "（列对应）", problem))
    if report.errors:
        return report
    target = SHEET_BY_NAME[chosen.target]
    optional = mapping.LEDGER_OPTIONAL.get(chosen.target, {})
    columns = tuple(replace(c, required=False) if c.key in optional else c for c in mapping.columns(chosen.target))
    ours = {mapping.column(chosen.target, k).header: h for h, k in chosen.columns.items() if k}
    name = filename or (Path(source).name if isinstance(source, str | Path) else "上传文件")
    try:
        with write_session(engine) as session:
            imp = Importer(session, actor, today, ledger=chosen.target == "问题", expected=expected)
            import_rows(imp, ledger.rows_for(table, chosen), target, report, columns=columns,
                        year=chosen.year or table.year, label=sheet, headers=ours)
            _finish(imp, report)
            if report.errors or dry_run:
                raise _Rollback
            now = local_now().replace(microsecond=0)
            mapping.remember(session, chosen, table.headers, actor.username, now)
            audit(session, actor, "data.import", "exchange", None, None,
                  {"file": name, "sheet": sheet, "target": chosen.target, "mapping": chosen.columns,
                   "fixed": chosen.fixed, "created": report.created, "updated": report.updated,
                   "skipped": report.skipped}, at=now)
    except _Rollback:
        pass
    return report


def is_template(source: bytes) -> bool:
    """Whether the workbook has one of the template's sheets with the template's headers."""
    try:
        wb = load_workbook(BytesIO(source), read_only=True)
    except Exception:  # the import reports unreadable files
        return False
    try:
        for sheet in SHEETS:
            if sheet.name in wb.sheetnames:
                first = next(wb[sheet.name].iter_rows(max_row=1, values_only=True), ())
                if sheet.columns[0].header in [_as_text(v) for v in first]:
                    return True
        return False
    finally:
        wb.close()
