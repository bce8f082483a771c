"""Import a ledger workbook: all-or-nothing, idempotent, with a per-row Chinese error report.

- All sheets are read and every row validated inside ONE transaction; rows are written as they pass
  (so later sheets can refer to earlier ones by name). If any row is invalid — or on a dry run — the
  transaction is rolled back: nothing is written, and the report lists sheet, row, column and reason.
- A row whose natural key (``schema.Sheet.key``) already exists is skipped, so importing the same
  file twice adds nothing. Two rows with the same key in one file are an error.
- Reference records (members, sites, rooms, projects, proposals, opinions, activities) are validated
  by the same commands as the records page (``services.records``); inspections and problems by the
  rules here (no future dates, deadline not before the inspection, status consistent with its times).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.dates import DateFormatError, parse_date
from gangwen_dash.db import write_session
from gangwen_dash.exchange.schema import SHEETS, Column, Sheet, unneutralise
from gangwen_dash.models import (
    ChecklistResult,
    ConsultationRoom,
    DutyActivity,
    Finding,
    FindingEvent,
    Inspection,
    InspectionGroup,
    LivelihoodProject,
    Member,
    OpinionItem,
    Proposal,
    Site,
    Street,
)
from gangwen_dash.services import records
from gangwen_dash.services.base import Actor, ValidationFailed, audit, require, snapshot
from gangwen_dash.services.units import active_names as active_unit_names

_SPLIT = re.compile(r"[、,，;；\n]+")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", "×", ""}
MAX_ERRORS = 2000
# Excel's date serials (1900 system): 1 is 1900-01-01, 2958465 is 9999-12-31; 0 and fractions are times only.
MIN_SERIAL, MAX_SERIAL = 1, 2958465
MAX_INT = 2**31 - 1  # INTEGER columns on both engines
# openpyxl warns (in English, on stderr) and reads such a cell as "#VALUE!"; the report says it in Chinese.
warnings.filterwarnings("ignore", message=r"Cell .* is marked as a date but the serial value", category=UserWarning)


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    reason: str

    def text(self) -> str:
        return f"“{self.sheet}”表第 {self.row} 行【{self.column}】：{self.reason}"


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> str:
        if self.errors:
            return f"发现 {len(self.errors)} 处错误，整个文件未导入（没有写入任何数据）。"
        verb = "将新增" if self.dry_run else "已新增"
        parts = [f"{name} {n} 条" for name, n in self.created.items() if n]
        skipped = sum(self.skipped.values())
        text = f"{verb}：" + ("，".join(parts) if parts else "无")
        if skipped:
            text += f"；已存在而跳过 {skipped} 条"
        if self.dry_run:
            text += "（试导入，未写入）"
        return text


class _RowInvalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors  # (column header, reason)


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


def _from_serial(value: int | float) -> datetime:
    """An Excel date serial number as a datetime, or DateFormatError (out of range, time only, NaN)."""
    if not math.isfinite(value):
        raise DateFormatError(f"“{value}”不是有效的日期")
    if value < MIN_SERIAL:
        raise DateFormatError(f"“{_as_text(value)}”不是有效的 Excel 日期（只有时间或早于 1900-01-01），"
                              "请填写 2019-11-14 这样的日期")
    if value > MAX_SERIAL:
        raise DateFormatError(f"“{_as_text(value)}”超出 Excel 日期范围（最晚 9999-12-31），请填写 2019-11-14 这样的日期")
    try:
        result = from_excel(value)
    except (ValueError, OverflowError, TypeError):
        raise DateFormatError(f"“{_as_text(value)}”不是有效的 Excel 日期") from None
    if not isinstance(result, datetime):
        raise DateFormatError(f"“{_as_text(value)}”不是有效的 Excel 日期")
    return result


def _cell_text(value: Any) -> str:
    try:
        return _as_text(value)[:50]
    except Exception:  # a value that cannot even be shown
        return type(value).__name__


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        try:
            return (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        except OverflowError:  # 9999-12-31 23:59:59.5 rounds past the last datetime
            return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    if isinstance(value, time):
        raise DateFormatError(f"“{value:%H:%M}”只有时间，没有日期，请填写 2019-11-14 09:30 这样的时间")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _parse_datetime(_from_serial(value))
    text = str(value).strip().replace("T", " ")
    day_part, _, time_part = text.partition(" ")
    day = parse_date(day_part)
    time_part = time_part.strip()
    if not time_part:
        return datetime.combine(day, time.min)
    m = _TIME.match(time_part)
    if not m:
        raise DateFormatError(f"无法识别的时间“{text}”，请使用 2019-11-14 09:30 这样的格式")
    try:
        return datetime.combine(day, time(int(m[1]), int(m[2]), int(m[3] or 0)))
    except ValueError:
        raise DateFormatError(f"无法识别的时间“{text}”") from None


def parse_cell(col: Column, value: Any) -> Any:
    """Python value of one cell, or ValueError with a Chinese reason. Blank → None."""
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
            if isinstance(value, int | float) and not isinstance(value, bool):
                return _from_serial(value).date()
            if isinstance(value, time):
                raise DateFormatError(f"“{value:%H:%M}”只有时间，没有日期，请填写 2019-11-14 这样的日期")
            return parse_date(value)
        except DateFormatError as exc:
            raise ValueError(str(exc)) from None
    if kind == "datetime":
        try:
            return _parse_datetime(value)
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
        if text not in allowed:
            raise ValueError(f"“{text}”不是可选值（可选：{'/'.join(allowed)}）")
        return text
    if kind == "names":
        names = [n.strip() for n in _SPLIT.split(_as_text(value)) if n.strip()]
        return list(dict.fromkeys(names))
    raise AssertionError(kind)


# --------------------------------------------------------------------------- the import


class _Importer:
    def __init__(self, session: Session, actor: Actor, today: date) -> None:
        self.s = session
        self.actor = actor
        self.today = today
        self.units = active_unit_names(session)  # 责任单位名录 (issue 15)
        self.ids: dict[str, dict[str, int]] = {
            "street": dict(session.execute(select(Street.name, Street.id)).all()),
            "group": dict(session.execute(select(InspectionGroup.name, InspectionGroup.id)).all()),
            "member": dict(session.execute(select(Member.name, Member.id)).all()),
            "site": dict(session.execute(select(Site.name, Site.id)).all()),
            "room": dict(session.execute(select(ConsultationRoom.name, ConsultationRoom.id)).all()),
        }

    # -- helpers

    def ref(self, kind: str, name: str | None, header: str, sheet_hint: str) -> int | None:
        if name is None:
            return None
        found = self.ids[kind].get(name)
        if found is None:
            raise _RowInvalid([(header, f"{records.REF_LABELS.get(kind, kind)}“{name}”不存在"
                                        f"（系统中没有，本文件“{sheet_hint}”表中也没有）")])
        return found

    def member_ids(self, names: list[str] | None, header: str) -> list[int]:
        missing = [n for n in names or [] if n not in self.ids["member"]]
        if missing:
            raise _RowInvalid([(header, "委员" + "、".join(f"“{n}”" for n in missing) +
                                "不存在（系统中没有，本文件“委员”表中也没有）")])
        return [self.ids["member"][n] for n in names or []]

    def not_future(self, value, header: str) -> None:
        day = value.date() if isinstance(value, datetime) else value
        if day is not None and day > self.today:
            raise _RowInvalid([(header, f"{day} 晚于今天（{self.today}），不能是将来的日期")])

    def command(self, sheet: Sheet, entity: str, data: dict[str, Any]) -> records.Command:
        try:
            return records.validate(entity, data, today=self.today)
        except ValidationFailed as exc:
            raise _RowInvalid([(_header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None

    def create_record(self, sheet: Sheet, entity: str, data: dict[str, Any]):
        cmd = self.command(sheet, entity, data)
        try:
            return records.create_in(self.s, self.actor, entity, cmd, action=f"{entity}.import")
        except ValidationFailed as exc:
            raise _RowInvalid([(_header_for(sheet, f, msg), msg) for f, msg in exc.errors.items()]) from None

    def exists(self, stmt) -> int | None:
        return self.s.execute(stmt.limit(1)).scalar()

    # -- one method per sheet: returns True when created, False when skipped (already there)

    def street(self, sheet, v) -> bool:
        if v["name"] in self.ids["street"]:
            return False
        try:
            if len(v["name"]) > 40:
                raise ValueError("街道名称不能超过 40 字")
            records._in_district(v["lat"], v["lon"])
        except ValueError as exc:
            raise _RowInvalid([("纬度" if "坐标" in str(exc) else "街道名称", str(exc))]) from None
        obj = Street(name=v["name"], lat=v["lat"], lon=v["lon"])
        self.s.add(obj)
        self.s.flush()
        audit(self.s, self.actor, "street.import", "street", obj.id, None, snapshot(obj))
        self.ids["street"][obj.name] = obj.id
        return True

    def group(self, sheet, v) -> bool:
        if v["name"] in self.ids["group"]:
            return False
        obj = self.create_record(sheet, "group", {"name": v["name"], "sort_order": v["sort_order"] or 0})
        self.ids["group"][obj.name] = obj.id
        return True

    def member(self, sheet, v) -> bool:
        if v["name"] in self.ids["member"]:
            return False
        group_id = self.ref("group", v["group"], "督查组", "督查组")
        obj = self.create_record(sheet, "member", {
            "name": v["name"], "sector": v["sector"], "group_id": group_id, "phone": v["phone"],
            "is_active": True if v["is_active"] is None else v["is_active"]})
        self.ids["member"][obj.name] = obj.id
        return True

    def site(self, sheet, v) -> bool:
        if v["name"] in self.ids["site"]:
            return False
        street_id = self.ref("street", v["street"], "所属街道", "街道")
        obj = self.create_record(sheet, "site", {
            "name": v["name"], "street_id": street_id, "address": v["address"] or "", "lat": v["lat"],
            "lon": v["lon"], "builder": v["builder"] or "", "status": v["status"] or "在建"})
        self.ids["site"][obj.name] = obj.id
        return True

    def room(self, sheet, v) -> bool:
        if v["name"] in self.ids["room"]:
            return False
        street_id = self.ref("street", v["street"], "所属街道", "街道")
        obj = self.create_record(sheet, "room", {
            "name": v["name"], "street_id": street_id, "kind": v["kind"], "lat": v["lat"], "lon": v["lon"],
            "established_on": v["established_on"], "is_pilot": bool(v["is_pilot"])})
        self.ids["room"][obj.name] = obj.id
        return True

    def project(self, sheet, v) -> bool:
        room_id = self.ref("room", v["room"], "协商议事室", "协商议事室")
        if self.exists(select(LivelihoodProject.id).where(LivelihoodProject.room_id == room_id,
                                                          LivelihoodProject.title == v["title"])):
            return False
        self.create_record(sheet, "project", {"room_id": room_id, "title": v["title"], "status": v["status"],
                                              "raised_on": v["raised_on"], "solved_on": v["solved_on"]})
        return True

    def proposal(self, sheet, v) -> bool:
        if self.exists(select(Proposal.id).where(Proposal.number == v["number"])):
            return False
        data = {k: v[k] for k in ("number", "title", "proposer", "submitted_on", "stage", "assigned_on",
                                  "replied_on", "result_code", "satisfaction", "lead_chair")}
        data.update(handling_unit=v["handling_unit"] or "", progress=v["progress"] or "",
                    is_key=bool(v["is_key"]), is_excellent=bool(v["is_excellent"]))
        self.create_record(sheet, "proposal", data)
        return True

    def opinion(self, sheet, v) -> bool:
        if self.exists(select(OpinionItem.id).where(OpinionItem.title == v["title"],
                                                    OpinionItem.submitted_on == v["submitted_on"])):
            return False
        self.create_record(sheet, "opinion", {"title": v["title"], "collector": v["collector"],
                                              "submitted_on": v["submitted_on"], "status": v["status"],
                                              "instructed": bool(v["instructed"])})
        return True

    def activity(self, sheet, v) -> bool:
        if self.exists(select(DutyActivity.id).where(DutyActivity.title == v["title"],
                                                     DutyActivity.held_on == v["held_on"])):
            return False
        member_ids = self.member_ids(v["members"], "参加委员")
        self.create_record(sheet, "activity", {"title": v["title"], "kind": v["kind"], "held_on": v["held_on"],
                                               "member_ids": member_ids})
        return True

    def _inspection_id(self, v) -> tuple[int, int, int | None]:
        site_id = self.ref("site", v["site"], "工地名称", "工地")
        group_id = self.ref("group", v["group"], "督查组", "督查组")
        found = self.exists(select(Inspection.id).where(
            Inspection.site_id == site_id, Inspection.inspected_at == v["inspected_at"],
            Inspection.group_id == group_id))
        return site_id, group_id, found

    def inspection(self, sheet, v) -> bool:
        site_id, group_id, found = self._inspection_id(v)
        if found:
            return False
        self.not_future(v["inspected_at"], "督查时间")
        member_ids = self.member_ids(v["members"], "参与委员")
        if (v["lat"] is None) != (v["lon"] is None):
            raise _RowInvalid([("纬度", "纬度和经度须同时填写或同时留空")])
        if v["lat"] is not None:
            try:
                records._in_district(v["lat"], v["lon"])
            except ValueError as exc:
                raise _RowInvalid([("纬度", str(exc))]) from None
        members = list(self.s.execute(select(Member).where(Member.id.in_(member_ids))).scalars())
        obj = Inspection(site_id=site_id, group_id=group_id, kind=v["kind"], inspected_at=v["inspected_at"],
                         lat=v["lat"], lon=v["lon"], location_source=v["location_source"] or "工地坐标",
                         notes=v["notes"] or "", created_by=self.actor.user_id, members=members, version=1)
        for code in domain.CHECKLIST_ITEMS:
            if v[f"check_{code}"]:
                obj.checklist.append(ChecklistResult(item=code, result=v[f"check_{code}"]))
        self.s.add(obj)
        self.s.flush()
        after = snapshot(obj) | {"member_ids": sorted(member_ids)}
        audit(self.s, self.actor, "inspection.import", "inspection", obj.id, None, after)
        return True

    def finding(self, sheet, v) -> bool:
        site_id, group_id, inspection_id = self._inspection_id(v)
        if inspection_id is None:
            raise _RowInvalid([("督查时间", f"找不到对应的督查记录（工地“{v['site']}”、{v['inspected_at']:%Y-%m-%d %H:%M}、"
                                        f"“{v['group']}”），请先在“督查记录”表中登记这次督查")])
        if self.exists(select(Finding.id).where(Finding.inspection_id == inspection_id,
                                                Finding.category == v["category"],
                                                Finding.description == v["description"])):
            return False
        found_at = v["inspected_at"]
        errors: list[tuple[str, str]] = []
        if v["responsible_unit"] not in self.units:
            errors.append(("责任单位", f"“{v['responsible_unit']}”不是可选值（可选：{'/'.join(self.units)}）"))
        first_due = v["first_due_date"] or v["due_date"]
        if v["due_date"] < found_at.date():
            errors.append(("整改期限", f"整改期限 {v['due_date']} 早于督查日期 {found_at.date()}"))
        if v["first_due_date"] is not None and first_due < found_at.date():
            errors.append(("首次整改期限", f"首次整改期限 {first_due} 早于督查日期 {found_at.date()}"))
        for key, header in (("handed_over_at", "交办时间"), ("replied_at", "整改回复时间"),
                            ("rechecked_at", "复查时间"), ("closed_at", "销号时间")):
            t = v[key]
            if t is None:
                continue
            if t.date() > self.today:
                errors.append((header, f"{t.date()} 晚于今天（{self.today}），不能是将来的日期"))
            elif t < found_at:
                errors.append((header, f"{header} {t:%Y-%m-%d %H:%M} 早于督查时间 {found_at:%Y-%m-%d %H:%M}"))
        status = v["status"]
        if status == domain.ST_CLOSED and v["closed_at"] is None:
            errors.append(("销号时间", "状态为已销号时须填写销号时间"))
        if status != domain.ST_CLOSED and v["closed_at"] is not None:
            errors.append(("状态", f"填写了销号时间，状态应为已销号（现为{status}）"))
        if status == domain.ST_AWAITING_RECHECK and v["replied_at"] is None:
            errors.append(("整改回复时间", "状态为待复查时须填写整改回复时间"))
        if status != domain.ST_NEW and v["handed_over_at"] is None:
            errors.append(("交办时间", f"状态为{status}时须填写交办时间"))
        if (v["recheck_failures"] or 0) < 0:
            errors.append(("复查未通过次数", "不能为负数"))
        if len(v["description"]) > 5000:
            errors.append(("问题描述", "不能超过 5000 字"))
        if errors:
            raise _RowInvalid(errors)
        obj = Finding(
            inspection_id=inspection_id, site_id=site_id, group_id=group_id, found_at=found_at,
            category=v["category"], severity=v["severity"], description=v["description"],
            responsible_unit=v["responsible_unit"], due_date=v["due_date"], first_due_date=first_due,
            status=status, handed_over_at=v["handed_over_at"], replied_at=v["replied_at"],
            rechecked_at=v["rechecked_at"], closed_at=v["closed_at"], recheck_failures=v["recheck_failures"] or 0,
            reply_text=v["reply_text"] or "", verified_on_site=bool(v["verified_on_site"]), version=1,
        )
        obj.events.append(FindingEvent(action="发现", at=found_at, note=v["description"], user_id=self.actor.user_id))
        if v["handed_over_at"]:
            obj.events.append(FindingEvent(action="交办", at=v["handed_over_at"], responsible_unit=obj.responsible_unit,
                                           due_date=first_due, note="Excel导入", user_id=self.actor.user_id))
        if v["replied_at"]:
            obj.events.append(FindingEvent(action="整改回复", at=v["replied_at"], note=obj.reply_text,
                                           user_id=self.actor.user_id))
        if v["closed_at"]:
            obj.events.append(FindingEvent(action="复查通过", at=v["closed_at"], note="Excel导入",
                                           user_id=self.actor.user_id))
        self.s.add(obj)
        self.s.flush()
        audit(self.s, self.actor, "finding.import", "finding", obj.id, None, snapshot(obj))
        return True


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
                    today: date | None = None, filename: str | None = None, engine=None) -> ImportReport:
    """Import ``source`` (.xlsx); returns the report. Writes only when every row is valid and not ``dry_run``."""
    require(actor, "data.import")
    report = ImportReport(dry_run=dry_run)
    today = today or date.today()
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
            imp = _Importer(session, actor, today)
            known = [s for s in SHEETS if s.name in wb.sheetnames]
            if not known:
                report.errors.append(RowError("（文件）", 0, "—", "文件中没有可识别的表（请使用导入模板）"))
            for sheet in known:
                _import_sheet(imp, wb[sheet.name], sheet, report)
                if len(report.errors) >= MAX_ERRORS:
                    break
            if report.errors or dry_run:
                raise _Rollback
            audit(session, actor, "data.import", "exchange", None, None,
                  {"file": name, "created": report.created, "skipped": report.skipped})
    except _Rollback:
        pass
    finally:
        wb.close()
    return report


def _import_sheet(imp: _Importer, ws, sheet: Sheet, report: ImportReport) -> None:
    handler = getattr(imp, sheet.entity)
    seen: dict[tuple, int] = {}
    created = skipped = 0
    for r, raw in _read_rows(ws, sheet, report):
        values, errors = {}, []
        for col in sheet.columns:
            try:
                values[col.key] = parse_cell(col, raw[col.key])
            except ValueError as exc:
                errors.append((col.header, str(exc)))
            except Exception:  # whatever a cell holds, the report says so in Chinese
                errors.append((col.header, f"无法识别的值“{_cell_text(raw[col.key])}”"))
        if errors:
            report.errors.extend(RowError(sheet.name, r, h, m) for h, m in errors)
            continue
        key = tuple(values[k] for k in sheet.key)
        if key in seen:
            headers = "、".join(sheet.column(k).header for k in sheet.key)
            report.errors.append(RowError(sheet.name, r, sheet.column(sheet.key[-1]).header,
                                          f"与第 {seen[key]} 行重复（{headers}相同）"))
            continue
        seen[key] = r
        try:
            with imp.s.begin_nested():
                if handler(sheet, values):
                    created += 1
                else:
                    skipped += 1
        except _RowInvalid as exc:
            report.errors.extend(RowError(sheet.name, r, h, m) for h, m in exc.errors)
        if len(report.errors) >= MAX_ERRORS:
            break
    report.created[sheet.name] = created
    report.skipped[sheet.name] = skipped
