"""One call from an ISO week to the pack's files: PNG (1920×1080), PDF (A4 landscape) and XLSX.

Used by the CLI (``python -m gangwen_dash report``) and by the app's download buttons, so both give
the same files. The database is read in one session; Chromium runs after the session is closed.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from gangwen_dash.db import read_session
from gangwen_dash.reports import render, xlsx
from gangwen_dash.reports.weekly import WeeklyPack, build_pack

FORMATS = ("png", "pdf", "xlsx")


@dataclass(frozen=True)
class Exported:
    pack: WeeklyPack
    files: dict[str, Path]
    seconds: float


def export_week(iso_week: str, out_dir: Path, formats: tuple[str, ...] = FORMATS, *,
                engine: Engine | None = None) -> Exported:
    """Write ``weekly-<week>.{png,pdf,xlsx}`` into ``out_dir``; raises DateFormatError / RenderError."""
    started = time.perf_counter()
    if "png" in formats or "pdf" in formats:
        render.check_chromium()  # before writing anything: no partial pack
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with read_session(engine) as session:
        pack = build_pack(session, iso_week)
        html = render.render_document(pack)
        files: dict[str, Path] = {}
        if "xlsx" in formats:
            files["xlsx"] = xlsx.write_workbook(session, pack.period, out_dir / f"{pack.file_stem}.xlsx")
    png = out_dir / f"{pack.file_stem}.png" if "png" in formats else None
    pdf = out_dir / f"{pack.file_stem}.pdf" if "pdf" in formats else None
    if png or pdf:
        render.export_png_pdf(html, png, pdf)
        files.update({k: v for k, v in (("png", png), ("pdf", pdf)) if v is not None})
    return Exported(pack, {k: files[k] for k in FORMATS if k in files}, time.perf_counter() - started)


def week_file_bytes(iso_week: str, fmt: str, *, engine: Engine | None = None) -> tuple[str, bytes]:
    """(file name, content) of one format, for a download button."""
    with tempfile.TemporaryDirectory(prefix="gangwen-weekly-") as tmp:
        done = export_week(iso_week, Path(tmp), (fmt,), engine=engine)
        path = done.files[fmt]
        return path.name, path.read_bytes()
