"""Writing the ledger workbook: the instructions sheet, one sheet per kind with Chinese headers,
drop-down lists (data validation) for enumerations and references, date formats, and rows.

Every text cell passes through ``schema.neutralise`` so that no exported value can run as a formula
in Excel or WPS (CSV/Excel formula injection).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gangwen_dash.config import get_settings
from gangwen_dash.exchange.schema import (
    INSTRUCTIONS_SHEET,
    NAME_SEPARATOR,
    SHEETS,
    Column,
    Sheet,
    neutralise,
)

MAX_ROWS = 20000  # rows covered by the drop-down lists
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _choices(col: Column, units: tuple[str, ...] | None) -> tuple[str, ...]:
    """A column's drop-down values; 责任单位 from the units table when the caller read it (``units``)."""
    if col.key == "responsible_unit":
        return tuple(units) if units else tuple(get_settings().responsible_units)
    return col.choices


def instructions(units: tuple[str, ...] | None = None) -> list[str]:
    lines = [
        "港闻区政协 督查与履职台账 —— 导入模板说明",
        "",
        "1. 每类数据一张表，表头（第 1 行）请勿修改；红色表头为必填列。一行一条记录，从第 2 行开始填写。",
        "2. 导入是“全部或全不”：任何一行有错，整个文件都不会写入；系统会列出每个错误所在的表、行、列和原因。",
        "3. 同一文件可重复导入：已存在的记录（按下列“唯一标识”判断）不会重复新增；其中填写了且与系统不同的内容会更新"
        "（导入前列出“字段：旧 → 新”），留空的单元格不改动原有内容，导入不会删除任何数据。",
        "4. 日期可填 Excel 日期单元格，或文本 2019-11-14、2019/11/14、2019.11.14、2019年11月14日；时间可加在日期后，"
        "如 2019-11-14 09:30。",
        "   日期不能晚于今天（整改期限除外）。",
        f"5. 多个委员姓名用“{NAME_SEPARATOR}”分隔；姓名须与“委员”表或系统中已有委员一致。",
        "6. 带下拉箭头的列只能填列表中的值；“是/否”列留空视为“否”（“委员”表的“在职”留空视为“是”）。",
        "7. 表中引用的街道、督查组、工地、协商议事室，须在本文件前面的表中或系统中已经存在。",
        "8. 以 = + - @ 开头的文本在导出时前面加了英文单引号（'），以免被 Excel/WPS 当作公式执行；导入时会自动去掉。",
        "",
        "各表说明（唯一标识）：",
    ]
    for sheet in SHEETS:
        key = " + ".join(sheet.column(k).header for k in sheet.key)
        lines.append(f"· {sheet.name}：{sheet.note}（唯一标识：{key}）")
        for col in sheet.columns:
            extra = []
            if col.required:
                extra.append("必填")
            if _choices(col, units):
                extra.append("可选值：" + "/".join(_choices(col, units)))
            if col.note:
                extra.append(col.note)
            if extra:
                lines.append(f"    {col.header}：{'；'.join(extra)}")
    return lines


def _sheet_ref(name: str, rows: int) -> str:
    return f"'{name}'!$A$2:$A${rows + 1}"


def _add_validations(ws, sheet: Sheet, units: tuple[str, ...] | None) -> None:
    for idx, col in enumerate(sheet.columns, start=1):
        letter = get_column_letter(idx)
        cells = f"{letter}2:{letter}{MAX_ROWS}"
        formula = None
        choices = _choices(col, units)
        if choices:
            formula = '"' + ",".join(choices) + '"'
        elif col.ref_sheet:
            formula = _sheet_ref(col.ref_sheet, MAX_ROWS)
        if formula and len(formula) <= 255:
            dv = DataValidation(type="list", formula1=formula, allow_blank=not col.required,
                                showErrorMessage=bool(choices), errorTitle="输入有误",
                                error=f"{col.header}请从下拉列表中选择")
            dv.add(cells)
            ws.add_data_validation(dv)
        elif col.kind in ("date", "datetime"):
            dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=not col.required,
                                showErrorMessage=False, prompt="日期，如 2019-11-14", showInputMessage=True)
            dv.add(cells)
            ws.add_data_validation(dv)


def _cell_value(col: Column, value):
    if value is None:
        return None
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind == "names":
        return neutralise(NAME_SEPARATOR.join(value)) if not isinstance(value, str) else neutralise(value)
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        return neutralise(value)
    return value


def build(rows: dict[str, Iterable[list]] | None = None, *, units: tuple[str, ...] | None = None) -> Workbook:
    """The workbook: instructions, then each sheet with headers, drop-downs and the given rows.

    ``rows`` maps a sheet name to rows of Python values in the sheet's column order (booleans,
    dates, datetimes, lists of names for "names" columns, plain text). ``units``: the active responsible
    units (记录管理 → 责任单位) for the 责任单位 drop-down; without them, the configured list.
    """
    rows = rows or {}
    wb = Workbook()
    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    for i, line in enumerate(instructions(units), start=1):
        ws.cell(row=i, column=1, value=neutralise(line))
    ws.column_dimensions["A"].width = 120
    ws["A1"].font = Font(bold=True, size=14)

    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        for idx, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=idx, value=col.header)
            cell.font = REQUIRED_FONT if col.required else HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center")
            if col.note:
                cell.comment = Comment(col.note, "港闻督查看板")
            ws.column_dimensions[get_column_letter(idx)].width = col.width
        ws.freeze_panes = "A2"
        _add_validations(ws, sheet, units)
        for r, values in enumerate(rows.get(sheet.name, ()), start=2):
            for idx, (col, value) in enumerate(zip(sheet.columns, values, strict=True), start=1):
                cell = ws.cell(row=r, column=idx, value=_cell_value(col, value))
                if col.kind == "date" and value is not None:
                    cell.number_format = DATE_FORMAT
                elif col.kind == "datetime" and value is not None:
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
    return wb


def save(wb: Workbook, target: str | Path | BytesIO) -> None:
    if isinstance(target, str | Path):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


def template_bytes(units: tuple[str, ...] | None = None) -> bytes:
    buf = BytesIO()
    save(build(units=units), buf)
    return buf.getvalue()
