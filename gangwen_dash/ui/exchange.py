"""Streamlit helpers for the Excel exchange page: the uploaded file's preview and the report tables."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pandas as pd
from openpyxl import load_workbook

from gangwen_dash.exchange.importer import ImportReport
from gangwen_dash.exchange.schema import SHEETS

PREVIEW_ROWS = 20


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def preview(data: bytes) -> dict[str, tuple[pd.DataFrame, int]]:
    """First rows of each known sheet of the uploaded workbook (as text) and its row count."""
    out: dict[str, tuple[pd.DataFrame, int]] = {}
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=False)
    except Exception:  # the import report explains unreadable files
        return out
    try:
        for sheet in SHEETS:
            if sheet.name not in wb.sheetnames:
                continue
            rows = list(wb[sheet.name].iter_rows(values_only=True))
            if not rows:
                continue
            header = [str(h) if h is not None else "" for h in rows[0]]
            body = [r for r in rows[1:] if any(v not in (None, "") for v in r)]
            frame = pd.DataFrame([["" if v is None else str(v) for v in r[:len(header)]]
                                  for r in body[:PREVIEW_ROWS]], columns=header)
            out[sheet.name] = (frame, len(body))
    finally:
        wb.close()
    return out


def error_table(report: ImportReport) -> pd.DataFrame:
    return pd.DataFrame([(e.sheet, e.row, e.column, e.reason) for e in report.errors],
                        columns=["表", "行", "列", "原因"])


def count_table(report: ImportReport) -> pd.DataFrame:
    names = [s.name for s in SHEETS if s.name in report.created or s.name in report.skipped]
    return pd.DataFrame([(n, report.created.get(n, 0), report.skipped.get(n, 0)) for n in names],
                        columns=["表", "新增", "已存在（跳过）"])
