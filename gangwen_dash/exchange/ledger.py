"""Reading the secretariat's own ledgers (台账) as they are: any sheet name, title rows and merged cells
above the headers, their own column names, dates as people type them.

``open_book`` loads the file once; ``read_sheet`` finds the header row (the row that reads most like
column headers among the first rows; title rows above it are skipped), spreads every merged cell's value
over the cells it covers (a date or site merged down over several problem rows belongs to each of them)
and returns the rows below. ``rows_for`` turns them into the target sheet's columns with a ``Mapping``;
the importer (``importer.import_ledger``) validates and writes them like template rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from gangwen_dash.domain.dates import year_in_text
from gangwen_dash.exchange.mapping import Mapping, columns, known_header_count

HEADER_SCAN_ROWS = 20  # the header row is looked for among the first rows
MAX_ROWS = 50_000
MAX_COLUMNS = 80


class LedgerError(ValueError):
    """The file or sheet cannot be read as a ledger; the message is Chinese."""


@dataclass
class LedgerSheet:
    name: str
    header_row: int  # 1-based, as Excel numbers it
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (Excel row number, values under the headers)
    title: str  # the text above the header row (merged title rows), for the reader and the year
    year: int | None  # the year the title or the sheet name gives (2019年11月督查台账 → 2019)


def open_book(source: str | Path | BytesIO | bytes) -> Workbook:
    if isinstance(source, bytes):
        source = BytesIO(source)
    try:
        # Not read-only: merged ranges are needed. Cached formula results, not the formulas.
        return load_workbook(source, data_only=True)
    except Exception as exc:  # any unreadable file gets one Chinese message
        raise LedgerError(f"无法读取该文件，请确认是 .xlsx 格式（{type(exc).__name__}）") from None


def sheet_names(wb: Workbook) -> list[str]:
    return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]


def _grid(ws) -> list[list[Any]]:
    n_rows = min(ws.max_row or 0, MAX_ROWS)
    n_cols = min(ws.max_column or 0, MAX_COLUMNS)
    grid = [list(r) for r in ws.iter_rows(min_row=1, max_row=n_rows, max_col=n_cols, values_only=True)]
    for rng in ws.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= n_rows and rng.min_col <= n_cols else None
        for r in range(rng.min_row, min(rng.max_row, n_rows) + 1):
            for c in range(rng.min_col, min(rng.max_col, n_cols) + 1):
                grid[r - 1][c - 1] = top
    return grid


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def detect_header_row(grid: list[list[Any]]) -> int:
    """1-based row of the headers: the most known column names among the first rows (ties: the first);
    without any, the first row with two or more filled cells."""
    best, best_score = 0, 0
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        distinct = list(dict.fromkeys(v for v in row if not _blank(v)))  # a merged title counts once
        score = known_header_count(distinct) if len(distinct) >= 2 else 0
        if score > best_score:
            best, best_score = i, score
    if best_score:
        return best + 1
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        if len({v for v in row if not _blank(v)}) >= 2:
            return i + 1
    return 1


def read_sheet(wb: Workbook, name: str, header_row: int | None = None) -> LedgerSheet:
    if name not in wb.sheetnames:
        raise LedgerError(f"文件中没有名为“{name}”的工作表（有：{'、'.join(sheet_names(wb))}）")
    grid = _grid(wb[name])
    if not grid:
        raise LedgerError(f"工作表“{name}”是空的")
    header_row = header_row or detect_header_row(grid)
    if not 1 <= header_row <= len(grid):
        raise LedgerError(f"表头行 {header_row} 超出工作表“{name}”的范围（共 {len(grid)} 行）")
    raw_headers = grid[header_row - 1]
    last = max((i for i, v in enumerate(raw_headers) if not _blank(v)), default=-1)
    headers: list[str] = []
    for i, value in enumerate(raw_headers[:last + 1]):
        text = _text(value) or f"第{i + 1}列"
        while text in headers:  # two columns with one name (a merged header): keep them apart
            text += "'"
        headers.append(text)
    rows = []
    for r, values in enumerate(grid[header_row:], start=header_row + 1):
        cells = (list(values) + [None] * len(headers))[:len(headers)]
        if all(_blank(v) for v in cells):
            continue
        rows.append((r, cells))
    title_lines = list(dict.fromkeys(_text(v) for row in grid[:header_row - 1] for v in row if not _blank(v)))
    title = " ".join(title_lines)
    return LedgerSheet(name, header_row, headers, rows, title, year_in_text(title, name))


def rows_for(sheet: LedgerSheet, mapping: Mapping) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row, {our column key: raw cell}) for every data row; fixed values fill unmapped or blank cells."""
    index = {key: sheet.headers.index(h) for h, key in mapping.columns.items() if key and h in sheet.headers}
    keys = [c.key for c in columns(mapping.target)]
    for r, cells in sheet.rows:
        raw: dict[str, Any] = {}
        for key in keys:
            value = cells[index[key]] if key in index else None
            if _blank(value) and mapping.fixed.get(key):
                value = mapping.fixed[key]
            raw[key] = value
        if all(_blank(raw[k]) for k in index):  # a row with nothing in the mapped columns (a note, a total)
            continue
        yield r, raw
