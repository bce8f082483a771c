"""One cell of an imported sheet as a Python value (``parse_cell``), or a ValueError with a Chinese reason."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from openpyxl.cell.cell import ERROR_CODES

from gangwen_dash import domain
from gangwen_dash.domain.dates import DateFormatError, parse_date, parse_datetime
from gangwen_dash.exchange.mapping import normalize_name
from gangwen_dash.exchange.schema import Column, unneutralise

_SPLIT = re.compile(r"[、,，;；\n]+")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", "×", ""}
MAX_INT = 2**31 - 1  # INTEGER columns on both engines


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value).strip()


def cell_text(value: Any) -> str:
    try:
        return as_text(value)[:50]
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
        return as_text(value)
    if kind == "int":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"应为整数，实际为“{as_text(value)}”") from None
        if not number.is_integer():
            raise ValueError(f"应为整数，实际为“{as_text(value)}”")
        if abs(number) > MAX_INT:
            raise ValueError(f"整数“{as_text(value)}”超出范围")
        return int(number)
    if kind == "float":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"应为数字，实际为“{as_text(value)}”") from None
        if not math.isfinite(number):
            raise ValueError(f"应为数字，实际为“{as_text(value)}”")
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
        text = as_text(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"应为“是”或“否”，实际为“{as_text(value)}”")
    if kind == "choice":
        text = as_text(value)
        allowed = col.choices
        if text in allowed:
            return text
        found = _choice(col, normalize_name(text))
        if found is None:
            raise ValueError(f"“{text}”不是可选值（可选：{'/'.join(allowed)}）")
        return found
    if kind == "names":
        names = [n.strip() for n in _SPLIT.split(as_text(value)) if n.strip()]
        return list(dict.fromkeys(names))
    raise AssertionError(kind)
