"""The weekly pack's Excel attachment: sheets 本周督查 (inspections), 本周问题 (problems) and 逾期清单 (overdue).

Rows are exactly the week's inspections and problems (``queries.weekly``) and the full overdue list as
of the week's end (``queries.findings.overdue_list``), so each sheet's row count equals the matching
KPI. Chinese headers, frozen header row, set column widths. Text that a spreadsheet would read as a
formula (starting with = + - @, or a tab/CR) is stored as a string with a leading apostrophe, so a
hostile description such as ``=HYPERLINK(...)`` stays inert in Excel and WPS.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries import findings as finding_queries
from gangwen_dash.queries import weekly as weekly_queries

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# (field, header, width in characters)
INSPECTION_SHEET = (
    ("id", "督查编号", 10), ("inspected_at", "督查时间", 18), ("site", "工地", 30), ("street", "所属街道", 14),
    ("group", "督查组", 14), ("kind", "督查方式", 12), ("members", "参与委员（人）", 14), ("findings", "发现问题（个）", 14),
)
PROBLEM_SHEET = (
    ("id", "问题编号", 10), ("found_at", "发现时间", 18), ("site", "工地", 30), ("street", "所属街道", 14),
    ("group", "督查组", 14), ("category", "问题类别", 24), ("severity", "严重程度", 10), ("description", "问题描述", 48),
    ("responsible_unit", "责任单位", 14), ("due_date", "整改期限", 12), ("status", "状态", 10),
    ("closed_at", "销号时间", 18),
)
OVERDUE_SHEET = (
    ("finding_id", "问题编号", 10), ("site", "工地", 30), ("street", "所属街道", 14), ("group", "督查组", 14),
    ("category", "问题类别", 24), ("severity", "严重程度", 10), ("description", "问题描述", 48),
    ("responsible_unit", "责任单位", 14), ("due_date", "整改期限", 12), ("days_overdue", "逾期天数", 10),
)
SHEET_TITLES = ("本周督查", "本周问题", "逾期清单")  # Chinese, like every word the office reads
OVERDUE_TITLE = SHEET_TITLES[2]

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="FDE2E1")


def safe_text(value: str) -> str:
    """Neutralise spreadsheet formulas: '=1+1' → "'=1+1" (shown as text, never evaluated)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _cell_value(value):
    if isinstance(value, str):
        return safe_text(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _sheet(wb: Workbook, title: str, columns, rows: list[dict], first: bool) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    for col, (_, header, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, row in enumerate(rows, start=2):
        for col, (key, _, _) in enumerate(columns, start=1):
            value = _cell_value(row.get(key))
            if key == "category" and isinstance(value, str):
                value = finding_queries.category_label(value)
            cell = ws.cell(row=r, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def build_workbook(session: Session, period: Period) -> Workbook:
    inspections = weekly_queries.week_inspections(session, period)
    problems = weekly_queries.week_findings(session, period)
    overdue = finding_queries.overdue_list(session, period.end, Filters()).to_dict(orient="records")
    wb = Workbook()
    _sheet(wb, SHEET_TITLES[0], INSPECTION_SHEET, inspections, first=True)
    _sheet(wb, SHEET_TITLES[1], PROBLEM_SHEET, problems, first=False)
    _sheet(wb, SHEET_TITLES[2], OVERDUE_SHEET, overdue, first=False)
    wb.properties.title = f"扬尘管控民主监督工作周报附表 {period.start}—{period.end}"
    wb.properties.creator = "港闻督查看板"
    # Fixed document dates: the same week and data give the same workbook content.
    fixed = datetime.combine(period.end, datetime.min.time())
    wb.properties.created = fixed
    wb.properties.modified = fixed
    return wb


def workbook_bytes(session: Session, period: Period) -> bytes:
    buf = io.BytesIO()
    build_workbook(session, period).save(buf)
    return buf.getvalue()


def write_workbook(session: Session, period: Period, path: Path) -> Path:
    build_workbook(session, period).save(path)
    return path
