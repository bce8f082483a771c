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

import warnings
from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from gangwen_dash.config import local_now, local_today
from gangwen_dash.db import write_session
from gangwen_dash.exchange import ledger, mapping
from gangwen_dash.exchange.cells import as_text, cell_text, parse_cell
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
from gangwen_dash.exchange.rows import Importer
from gangwen_dash.exchange.schema import SHEET_BY_NAME, SHEETS, Column, Sheet
from gangwen_dash.services import imports
from gangwen_dash.services.base import Actor, require

MAX_ERRORS = 2000
# openpyxl warns (in English, on stderr) and reads such a cell as "#VALUE!"; the report says it in Chinese.
warnings.filterwarnings("ignore", message=r"Cell .* is marked as a date but the serial value", category=UserWarning)




class _Rollback(Exception):
    pass


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
        text = as_text(text)
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
            imports.record_import(session, actor, {"file": name, "created": report.created, "updated": report.updated,
                                                   "skipped": report.skipped})
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
                errors.append((col.header, f"无法识别的值“{cell_text(raw.get(col.key))}”"))
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
            imports.record_import(session, actor, {
                "file": name, "sheet": sheet, "target": chosen.target, "mapping": chosen.columns,
                "fixed": chosen.fixed, "created": report.created, "updated": report.updated,
                "skipped": report.skipped}, at=now, mapping={
                "signature": mapping.signature(chosen.target, table.headers), "target": chosen.target,
                "headers": table.headers, "columns": chosen.columns, "fixed": chosen.fixed})
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
                if sheet.columns[0].header in [as_text(v) for v in first]:
                    return True
        return False
    finally:
        wb.close()
