"""Streamlit helpers for the Excel exchange page: the uploaded file's preview, the ledger's sheet as read,
the mapping offered for its headers, the report tables and the 位置待核 list."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pandas as pd
import streamlit as st
from openpyxl import load_workbook

from gangwen_dash.exchange import ledger, mapping
from gangwen_dash.exchange.report import EMPTY, ImportReport
from gangwen_dash.exchange.schema import SHEETS
from gangwen_dash.queries import sites as site_queries
from gangwen_dash.ui.reads import cached, read
from gangwen_dash.ui.usertext import md

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


@st.cache_data(max_entries=4, show_spinner=False)
def _sheets(data: bytes) -> list[str]:
    return ledger.sheet_names(ledger.open_book(data))


@st.cache_data(max_entries=16, show_spinner=False)
def _table(data: bytes, sheet: str, header_row: int | None) -> ledger.LedgerSheet:
    return ledger.read_sheet(ledger.open_book(data), sheet, header_row)


def ledger_sheets(data: bytes) -> list[str]:
    """Visible sheet names; raises ``ledger.LedgerError`` for an unreadable file."""
    return _sheets(data)


def ledger_table(data: bytes, sheet: str, header_row: int | None = None) -> ledger.LedgerSheet:
    return _table(data, sheet, header_row)


def best_sheet(data: bytes, names: list[str]) -> int:
    """Index of the sheet that reads most like a ledger (most known headers)."""
    scores = [mapping.known_header_count(ledger_table(data, n).headers) for n in names]
    return scores.index(max(scores)) if scores else 0


def offered_mapping(headers: list[str], target: str) -> tuple[mapping.Mapping, bool]:
    """The remembered mapping for these headers, else the suggestion (not cached: another office's
    import may have just saved one)."""
    return read(mapping.initial, headers, target)


def sample(table: ledger.LedgerSheet, header: str) -> str:
    """The first non-blank value under ``header``, as text, for the mapping step."""
    i = table.headers.index(header)
    for _, cells in table.rows:
        if cells[i] not in (None, ""):
            return str(cells[i])[:30]
    return ""


def error_table(report: ImportReport) -> pd.DataFrame:
    return pd.DataFrame([(e.sheet, e.row, e.column, e.reason) for e in report.errors],
                        columns=["表", "行", "列", "原因"])


def count_table(report: ImportReport) -> pd.DataFrame:
    names = [s.name for s in SHEETS if s.name in report.created or s.name in report.skipped]
    return pd.DataFrame([(n, report.created.get(n, 0), report.updated.get(n, 0), report.skipped.get(n, 0))
                         for n in names], columns=["表", "新增", "更新", "未变化（跳过）"])


def change_table(report: ImportReport) -> pd.DataFrame:
    return pd.DataFrame([(c.row, c.record, c.text()) for c in report.changes], columns=["行", "记录", "字段：旧 → 新"])


def preview_tables(report: ImportReport) -> dict[str, pd.DataFrame]:
    """Per sheet, the first rows as they will be stored, what happens to each, and every problem of the row
    (columns the file does not fill are left out)."""
    out: dict[str, pd.DataFrame] = {}
    for sheet in dict.fromkeys(p.sheet for p in report.preview):
        rows = [{"行": p.row, "处理": p.action, **p.values, "问题": "；".join(p.problems)}
                for p in report.preview if p.sheet == sheet]
        frame = pd.DataFrame(rows)
        empty = [c for c in frame.columns if c not in ("行", "处理", "问题") and (frame[c] == EMPTY).all()]
        out[sheet] = frame.drop(columns=empty)
    return out


load_unverified_sites = cached(max_entries=4)(site_queries.unverified_sites)


def fixed_choices(col) -> list[str]:
    """What one value for every row may be, for a column the file lacks."""
    from gangwen_dash.ui.loaders import load_groups, load_streets

    if col.key == "group":
        return list(load_groups()["name"])
    if col.key == "street":
        return list(load_streets()["name"])
    if col.key == "responsible_unit":
        from gangwen_dash.ui.units import load_unit_names

        return list(load_unit_names())
    return list(col.choices)


NOT_IMPORTED = "（不导入）"
PER_ROW = 4


def _grid(n: int) -> list:
    """``n`` cells in rows of PER_ROW columns (on a phone the cells stack in file order)."""
    cells: list = []
    for _ in range(0, n, PER_ROW):
        cells.extend(st.columns(PER_ROW))
    return cells[:n]


def draw_mapping(table: ledger.LedgerSheet, offered: mapping.Mapping, prefix: str) -> mapping.Mapping:
    """One picker per file column (our column, or not imported), then one value for every row for the
    required columns the file lacks; returns what the user settled."""
    target = offered.target
    ours = {c.key: c.header for c in mapping.columns(target)}
    options = ["", *ours]
    chosen: dict[str, str] = {}
    for i, (cell, header) in enumerate(zip(_grid(len(table.headers)), table.headers, strict=True)):
        key = offered.columns.get(header, "")
        with cell:
            chosen[header] = st.selectbox(
                md(header), options, index=options.index(key) if key in options else 0, key=f"{prefix}.col.{i}",
                format_func=lambda k: ours.get(k, NOT_IMPORTED), help=f"示例：{md(sample(table, header)) or '（空）'}")
    mapped = set(chosen.values())
    fixed: dict[str, str] = {}
    lacking = [c for c in mapping.fixable(target) if c.key not in mapped
               and (c in mapping.needs_value(target) or c.key in ("street", "kind") or c.key in offered.fixed)]
    if lacking:
        st.markdown("**文件中没有的列：取统一值**")
        for cell, col in zip(_grid(len(lacking)), lacking, strict=True):
            values = ["", *fixed_choices(col)]
            current = offered.fixed.get(col.key, "")
            with cell:
                fixed[col.key] = st.selectbox(
                    col.header + ("" if col in mapping.needs_value(target) else "（选填）"), values,
                    index=values.index(current) if current in values else 0, key=f"{prefix}.fixed.{col.key}",
                    format_func=lambda v: v or "（请选择）")
    return mapping.Mapping(target, chosen, {k: v for k, v in fixed.items() if v})


def place_unverified_site(actor, unverified: pd.DataFrame) -> None:
    """Pick a 位置待核 site, tap its place on the map, save: through ``records.update`` (version check,
    audit row), which clears the flag once the coordinates move."""
    from streamlit_folium import st_folium

    from gangwen_dash import maps
    from gangwen_dash.services import record_kinds, records
    from gangwen_dash.services.base import ServiceError
    from gangwen_dash.ui import reads
    from gangwen_dash.ui.maps import asset_base_url, map_tiles
    from gangwen_dash.ui.records import load_for_edit

    names = dict(zip(unverified["id"], unverified["name"], strict=True))
    site_id = st.selectbox("在地图上放置", list(names), format_func=lambda i: f"#{i} {names[i]}",
                           key="exchange.place_site")
    row = unverified[unverified["id"] == site_id].iloc[0]
    point_key = f"exchange.place_point.{site_id}"
    point = st.session_state.get(point_key, (float(row["lat"]), float(row["lon"])))
    tiles, warning = map_tiles()
    if warning:
        st.caption(warning)
    picked = st_folium(maps.build_pick_map(point, tiles, maps.Assets.served(asset_base_url()), zoom=15),
                       key=f"exchange.place_map.{site_id}", height=320, returned_objects=["last_clicked"],
                       use_container_width=True)
    clicked = maps.click_to_wgs((picked or {}).get("last_clicked"), tiles)
    if clicked and clicked != st.session_state.get(point_key):
        st.session_state[point_key] = clicked
        st.rerun()
    st.caption(f"在地图上点一下工地的位置；当前：{point[0]:.6f}, {point[1]:.6f}（WGS-84）")
    if st.button("保存此位置", key="exchange.place_save", disabled=point_key not in st.session_state):
        try:
            opened = load_for_edit("site", site_id)
            form = {f.name: opened[f.name] for f in record_kinds.spec("site").fields}
            records.update(actor, "site", site_id, form | {"lat": point[0], "lon": point[1]}, opened["version"],
                           original=opened)
        except ServiceError as exc:
            st.error(md(exc))
            return
        reads.clear()
        st.session_state.pop(point_key, None)
        st.session_state["exchange.notice"] = f"已保存工地“{names[site_id]}”的位置，不再标记位置待核"
        st.rerun()
