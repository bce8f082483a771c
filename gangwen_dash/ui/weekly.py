"""Reads and downloads for the weekly meeting page (会议模式)."""

from __future__ import annotations

import streamlit as st

from gangwen_dash.config import get_settings
from gangwen_dash.db import get_engine
from gangwen_dash.queries import weekly as weekly_queries
from gangwen_dash.reports import render
from gangwen_dash.reports.weekly import WeeklyPack, build_pack
from gangwen_dash.ui.reads import cached

load_latest_week = cached(max_entries=8)(weekly_queries.latest_week_with_data)  # Monday of the latest week with data
load_note = cached(max_entries=32)(weekly_queries.weekly_note)


@cached(max_entries=16)
def load_pack(session, iso_week: str) -> tuple[WeeklyPack, str]:
    """(pack, HTML fragment) of ``iso_week``; the fragment is the same template as the PNG/PDF."""
    pack = build_pack(session, iso_week)
    return pack, render.render_fragment(pack)


DOWNLOADS = (
    ("png", "下载 PNG（1920×1080）", "image/png"),
    ("pdf", "下载 PDF（A4 横版）", "application/pdf"),
    ("xlsx", "下载 Excel 附表", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
FORMAT_NAMES = {"png": "PNG 图片", "pdf": "PDF 文件", "xlsx": "Excel 附表"}


def week_file(iso_week: str, fmt: str) -> tuple[str, bytes]:
    """(file name, content) of one format of ``iso_week``'s pack, built now (not cached: 下周安排 may change)."""
    from gangwen_dash.reports.export import week_file_bytes

    return week_file_bytes(iso_week, fmt, engine=get_engine(get_settings().database_url))


def auto_save(button_key: str, nonce: int) -> None:
    """Click the download button with ``button_key`` once, in the browser, so a file built on a click is
    saved without a second click. Fixed script, no user data in it; ``nonce`` (one per built file) makes
    it a new element, which the browser runs again (an unchanged element is kept and not re-run)."""
    css = "st-key-" + button_key
    st.html(f"""<script data-build="{int(nonce)}">
(function () {{
  let tries = 0;
  function go() {{
    const b = document.querySelector(".{css} button");
    if (b) {{ b.click(); }} else if (tries++ < 50) {{ setTimeout(go, 100); }}
  }}
  go();
}})();
</script>""", unsafe_allow_javascript=True)
