"""Map build benchmark: synthetic districts of N sites, build the folium map and render it to HTML.

Per size it prints ``build_ms`` (median over ``--repeat`` runs of ``maps.build_map`` + ``render_html``, i.e.
the Python side of a map page rerun without cache, with assets served by the app) and ``html_bytes``
(the rendered page, UTF-8). Targets at 10,000 sites: build_ms ≤ 150, html_bytes ≤ 1,500,000.
Synthetic data: sites spread over the district box with realistic Chinese names, 8 streets, 70/15/15 %
green/yellow/red, 75 rooms with 78 projects, and one heat point per four sites. No database involved.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gangwen_dash.config import DISTRICT_BBOX

if TYPE_CHECKING:  # folium and pandas load only when the bench runs, not for every CLI call
    from gangwen_dash import maps
    from gangwen_dash.queries.sites import MapData

TARGETS = {10_000: {"build_ms": 150, "html_bytes": 1_500_000}}
STREETS = ("唐闸镇街道", "天生港镇街道", "秦灶街道", "陈桥街道", "幸福街道", "永兴街道", "港闻经济开发区", "市北新城")
PREFIX = ("唐闸", "天生港", "秦灶", "陈桥", "幸福", "永兴", "港闻", "北城", "城港", "长江", "濠西", "钟秀")
KIND = ("住宅项目", "商业综合体", "安置房", "道路改造工程", "学校扩建工程", "厂房项目", "管网改造工程")


def add_arguments(parser) -> None:
    parser.add_argument("--sites", default="1000,10000,50000", help="逗号分隔的工地数，如 1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=5, help="每个规模重复次数（取中位数）")
    parser.add_argument("--tiles", default="osm", choices=("osm", "gaode", "none"), help="底图（gaode 含坐标偏移）")
    parser.add_argument("--json", action="store_true", help="输出 JSON 列表")


def synthetic_data(n: int, seed: int = 7) -> MapData:
    import pandas as pd

    from gangwen_dash.queries.sites import SITE_COLUMNS, MapData

    rng = random.Random(seed)
    b = DISTRICT_BBOX
    start = datetime(2019, 1, 1, 9, 0)
    rows = []
    for i in range(n):
        card = rng.choices(("green", "yellow", "red"), weights=(70, 15, 15))[0]
        open_count = 0 if card == "green" else rng.randint(1, 4)
        rows.append((
            i + 1, f"{rng.choice(PREFIX)}{rng.choice(('锦园', '华府', '新苑', '名邸'))}{rng.choice(KIND)}{i + 1}号",
            i % 8 + 1, STREETS[i % 8], rng.uniform(b["lat_min"], b["lat_max"]), rng.uniform(b["lon_min"], b["lon_max"]),
            "在建", start + timedelta(days=rng.randint(0, 360)) if rng.random() < 0.8 else None,
            rng.choice(("日常督查", "抽查暗访")), open_count, 1 if card == "red" else 0, 0, card,
        ))
    sites = pd.DataFrame(rows, columns=SITE_COLUMNS)
    sites["last_inspected_at"] = pd.to_datetime(sites["last_inspected_at"])
    rooms = pd.DataFrame([
        (r + 1, f"{STREETS[r % 8]}第{r + 1}协商议事室", STREETS[r % 8], "村社区", rng.uniform(b["lat_min"], b["lat_max"]),
         rng.uniform(b["lon_min"], b["lon_max"]), r < 16, 0, 0) for r in range(75)
    ], columns=["id", "name", "street", "kind", "lat", "lon", "is_pilot", "projects_solved", "projects_in_progress"])
    projects = pd.DataFrame([(p % 75 + 1, f"民生项目{p + 1}", p < 46) for p in range(78)],
                            columns=["room_id", "title", "solved"])
    for room_id, solved in zip(projects["room_id"], projects["solved"], strict=True):
        rooms.loc[rooms["id"] == room_id, "projects_solved" if solved else "projects_in_progress"] += 1
    heat = sites.iloc[:: 4][["lat", "lon"]].assign(weight=2.0, findings=1).reset_index(drop=True)
    streets = pd.DataFrame([(i + 1, s, 32.06, 120.83) for i, s in enumerate(STREETS)],
                           columns=["id", "name", "lat", "lon"])
    return MapData(sites, rooms, projects, heat, streets, f"基准：{n} 个工地")


def measure(n: int, repeat: int, tiles: maps.Tiles) -> tuple[dict, float]:
    """({sites, build_ms, html_bytes}, cpu_ms): wall-clock and this process's CPU time, medians."""
    from gangwen_dash import maps

    data = synthetic_data(n)
    times, cpu, size = [], [], 0
    for _ in range(max(1, repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        page = maps.render_html(maps.build_map(data, tiles, maps.Assets.served()))
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        size = len(page.encode("utf-8"))
    return {"sites": n, "build_ms": round(statistics.median(times), 1), "html_bytes": size}, \
        round(statistics.median(cpu), 1)


def run(args) -> int:
    from gangwen_dash import maps
    from gangwen_dash.cli import CliError

    try:
        sizes = [int(s) for s in str(args.sites).split(",") if s.strip()]
    except ValueError:
        raise CliError(f"--sites 应为逗号分隔的整数，而不是“{args.sites}”") from None
    if not sizes or any(n < 0 for n in sizes):
        raise CliError("--sites 至少给一个非负整数")
    tiles = maps.resolve_tiles({}, args.tiles)
    measured = [measure(n, args.repeat, tiles) for n in sizes]
    results = [r for r, _ in measured]
    if args.json:
        print(json.dumps(results))
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"地图构建基准（底图 {tiles.label}，每个规模 {args.repeat} 次取中位数；机器负载 {load:.1f}，"
          f"{os.cpu_count()} 核；cpu_ms 为本进程 CPU 时间）")
    print(f"{'sites':>8} {'build_ms':>10} {'cpu_ms':>8} {'html_bytes':>12}  目标")
    for r, cpu_ms in measured:
        target = TARGETS.get(r["sites"])
        verdict = ""
        if target:
            ok = r["build_ms"] <= target["build_ms"] and r["html_bytes"] <= target["html_bytes"]
            verdict = f"{'达标' if ok else '未达标'}（≤{target['build_ms']} ms，≤{target['html_bytes']:,} B）"
        print(f"{r['sites']:>8} {r['build_ms']:>10.1f} {cpu_ms:>8.1f} {r['html_bytes']:>12,}  {verdict}")
    return 0
