"""Weekly pack benchmark: time each stage of ``report --week W`` on the configured database.

Per run it prints ``data_ms`` (queries + HTML), ``xlsx_ms``, ``chromium_ms`` (launch, PNG, PDF) and
``total_ms``; then ``cli_wall_s``, the wall-clock time of one ``python -m gangwen_dash report`` process
(imports included), which is what a scheduled job waits for. Target: cli_wall_s ≤ 20.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_CLI_S = 20.0


def add_arguments(parser) -> None:
    parser.add_argument("--week", default="2019-W46", help="ISO 周，如 2019-W46")
    parser.add_argument("--repeat", type=int, default=3, help="重复次数（取中位数）")
    parser.add_argument("--json", action="store_true", help="输出 JSON")


def _once(week: str, out: Path) -> dict:
    from gangwen_dash.db import read_session
    from gangwen_dash.reports import render, xlsx
    from gangwen_dash.reports.weekly import build_pack

    t0 = time.perf_counter()
    with read_session() as session:
        pack = build_pack(session, week)
        html = render.render_document(pack)
        t1 = time.perf_counter()
        xlsx.write_workbook(session, pack.period, out / f"{pack.file_stem}.xlsx")
        t2 = time.perf_counter()
    render.export_png_pdf(html, out / f"{pack.file_stem}.png", out / f"{pack.file_stem}.pdf")
    t3 = time.perf_counter()
    return {"data_ms": (t1 - t0) * 1000, "xlsx_ms": (t2 - t1) * 1000, "chromium_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000}


def run(args) -> int:
    from gangwen_dash.cli import CliError
    from gangwen_dash.config import PROJECT_ROOT
    from gangwen_dash.db import check_connection
    from gangwen_dash.domain.dates import DateFormatError, parse_iso_week

    try:
        parse_iso_week(args.week)
    except DateFormatError as exc:
        raise CliError(str(exc)) from None
    check_connection()
    runs = []
    with tempfile.TemporaryDirectory(prefix="gangwen-bench-weekly-") as tmp:
        for _ in range(max(1, args.repeat)):
            runs.append(_once(args.week, Path(tmp)))
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "gangwen_dash", "report", "--week", args.week, "--out", tmp],
                              capture_output=True, text=True, cwd=PROJECT_ROOT, env=dict(os.environ))
        wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise CliError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "report 失败")
    result = {k: round(statistics.median(r[k] for r in runs), 1) for k in runs[0]}
    result.update({"week": args.week, "runs": len(runs), "cli_wall_s": round(wall, 2),
                   "target_cli_s": TARGET_CLI_S, "ok": wall <= TARGET_CLI_S, "load_avg_1m": os.getloadavg()[0]})
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"周报 {args.week}（{len(runs)} 次中位数）：数据+HTML {result['data_ms']:.0f} ms，xlsx {result['xlsx_ms']:.0f} ms，"
              f"Chromium（PNG+PDF）{result['chromium_ms']:.0f} ms，合计 {result['total_ms']:.0f} ms")
        print(f"report 命令整体用时 {wall:.1f} s（目标 ≤ {TARGET_CLI_S:.0f} s：{'达标' if result['ok'] else '未达标'}；"
              f"1 分钟负载 {result['load_avg_1m']:.1f}）")
    return 0
