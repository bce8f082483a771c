"""驾驶舱 benchmark: naive pandas vs the query layer vs the page (warm and cold caches), per data size.

``python -m gangwen_dash bench dashboard --inspections 10000,100000,1000000 [--json]``

For each size it builds a synthetic SQLite database with the real schema (Alembic migrations, so
the real indexes): ≈2,000 sites in 8 streets, 10 groups, 200 members, N inspections spread evenly
over 2024-01-01..2025-12-24 (20 % 抽查暗访, 1–3 members each), 2N findings (11 categories, deadline
1–15 days, 75 % rectified, the rest never). Rows go in with sqlite3 ``executemany`` in one
transaction, generated in chunks. Then, each variant in a fresh process (so its peak RSS is its own):

- ``naive_ms``: ``pandas.read_sql`` of the inspections and findings tables (and the small ones), then
  the cockpit's figures with pandas;
- ``query_ms``: ``gangwen_dash.queries.cockpit.cockpit`` — everything the page shows — uncached;
- ``page_ms``: ``AppTest`` run of ``pages/dashboard.py`` with warm caches;
- ``page_cold_ms``: the same after ``st.cache_data.clear()``;
- ``peak_rss_mb``: ru_maxrss of the query-layer process.

Medians of ``--runs`` runs (the first, cold run of a process is not counted for query/page).
The period is what the page opens on: the ISO week of the latest inspection, no filters.

Length: the synthetic data generator and the timed variants belong together (the variants time exactly what
the generator built); the matrix mode lives in ``bench/matrix.py``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

KEYS = ("inspections", "naive_ms", "query_ms", "page_ms", "page_cold_ms", "peak_rss_mb")
START = date(2024, 1, 1)
# 2024-01-01 .. 2025-12-24: the latest week with data is 2025-W52, so 年累计 covers (almost) a whole year.
DAYS = 724
N_SITES, N_GROUPS, N_MEMBERS = 2000, 10, 200
STREETS = ("唐闸镇街道", "天生港镇街道", "秦灶街道", "陈桥街道", "幸福街道", "永兴街道", "港闻经济开发区", "市北新城")
CHUNK = 50_000


def add_arguments(parser) -> None:
    parser.add_argument("--inspections", default="10000,100000,1000000",
                        help="comma-separated sizes (number of inspections), e.g. 10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median), default 5")
    parser.add_argument("--naive-runs", type=int, default=3, help="runs of the naive pandas variant, default 3")
    parser.add_argument("--db-dir", help="keep the databases here and reuse them on the next run")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="which measurements, default naive,query,page (the others print null)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of objects")
    parser.add_argument("--matrix", action="store_true",
                        help="views (week, month, year, 90 days, 督查整改, map) × filters × engines, one row per cell")
    parser.add_argument("--engine", default="sqlite",
                        help="with --matrix: sqlite, postgresql or both (comma-separated); PostgreSQL is a "
                             "throwaway local cluster loaded from the SQLite database")


# --------------------------------------------------------------------------- synthetic database


BULK_TABLES = ("inspections", "inspection_members", "findings")


def build_database(path: Path, n: int, seed: int = 7) -> float:
    """Create ``path`` with the real schema and ``n`` inspections (+≈2n findings); returns seconds.

    The secondary indexes and the rollup triggers of the three big tables are dropped for the load and
    recreated afterwards (index builds by sorting are much faster than row-by-row maintenance), then
    the rollups are rebuilt from the loaded rows: the same end state as inserting through the app.
    """
    import numpy as np

    from gangwen_dash import domain, migrate
    from gangwen_dash.db import get_engine
    from migrations import rollup_triggers

    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    get_engine(url).dispose()
    rng = random.Random(seed)
    npr = np.random.default_rng(seed)
    con = sqlite3.connect(path, isolation_level=None)
    # A throwaway file: no journal during the load (the app's engine switches it back to WAL).
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
    con.execute("PRAGMA cache_size=-200000")
    # The generator only produces valid rows; skipping the CHECKs during the load saves ~3/4 of the
    # findings' insert time (the constraints stay in the schema and apply to every later write).
    con.execute("PRAGMA ignore_check_constraints=ON")
    marks = ",".join("?" * len(BULK_TABLES))
    indexes = con.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                          f"AND tbl_name IN ({marks})", BULK_TABLES).fetchall()
    con.execute("BEGIN")
    for name in rollup_triggers.SQLITE_TRIGGERS:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    con.executemany("INSERT INTO streets (id, name, lat, lon) VALUES (?, ?, ?, ?)",
                    [(i + 1, name, 32.0 + i * 0.01, 120.8 + i * 0.01) for i, name in enumerate(STREETS)])
    con.executemany("INSERT INTO inspection_groups (id, name, sort_order) VALUES (?, ?, ?)",
                    [(g, f"第{g}督查组", g) for g in range(1, N_GROUPS + 1)])
    con.executemany("INSERT INTO members (id, name, sector, group_id) VALUES (?, ?, ?, ?)",
                    [(m, f"委员{m:03d}", "经济界", (m - 1) % N_GROUPS + 1) for m in range(1, N_MEMBERS + 1)])
    con.executemany(
        "INSERT INTO sites (id, name, street_id, lat, lon) VALUES (?, ?, ?, ?, ?)",
        [(s, f"工地{s:04d}", (s - 1) % len(STREETS) + 1, 32.0 + rng.random() * 0.1, 120.75 + rng.random() * 0.15)
         for s in range(1, N_SITES + 1)])
    per_group = N_MEMBERS // N_GROUPS  # member m belongs to group (m - 1) % N_GROUPS + 1
    day_names = [(START + timedelta(days=d)).isoformat() for d in range(DAYS + 30)]
    clock = [f"{m // 60:02d}:{m % 60:02d}:00.000000" for m in range(24 * 60)]
    categories = np.array(domain.FINDING_CATEGORIES, dtype=object)
    severities = np.array(domain.SEVERITIES, dtype=object)
    units = np.array(domain.RESPONSIBLE_UNITS, dtype=object)
    kinds = np.array((domain.KIND_ROUTINE, domain.KIND_SPOT), dtype=object)
    insp_sql = ("INSERT INTO inspections (id, site_id, group_id, kind, inspected_at, location_source, notes) "
                "VALUES (?, ?, ?, ?, ?, '工地坐标', '')")
    memb_sql = "INSERT INTO inspection_members (inspection_id, member_id) VALUES (?, ?)"
    find_sql = ("INSERT INTO findings (id, inspection_id, site_id, group_id, found_at, category, severity, "
                "description, responsible_unit, due_date, first_due_date, status, handed_over_at, replied_at, "
                "rechecked_at, closed_at, recheck_failures) VALUES (?, ?, ?, ?, ?, ?, ?, '扬尘问题', ?, ?, ?, ?, ?, ?, ?, ?, 0)")
    fid = 0
    for lo in range(0, n, CHUNK):
        ids = np.arange(lo + 1, min(n, lo + CHUNK) + 1)
        k = len(ids)
        day = (ids - 1) * DAYS // n
        minute = 480 + npr.integers(0, 540, k)
        site = npr.integers(1, N_SITES + 1, k)
        group = npr.integers(1, N_GROUPS + 1, k)
        spot = (npr.random(k) < 0.2).astype(int)
        at = [f"{day_names[d]} {clock[m]}" for d, m in zip(day.tolist(), minute.tolist(), strict=True)]
        con.executemany(insp_sql, zip(ids.tolist(), site.tolist(), group.tolist(), kinds[spot].tolist(), at,
                                      strict=True))
        # 1–3 distinct members of the inspection's group (2 on average).
        size = npr.integers(1, 4, k)
        first = npr.integers(0, per_group, k)
        memb = [(i, g + ((f + j) % per_group) * N_GROUPS)
                for i, g, f, s_ in zip(ids.tolist(), group.tolist(), first.tolist(), size.tolist(), strict=True)
                for j in range(s_)]
        con.executemany(memb_sql, memb)
        # 1 or 3 findings per inspection (2 on average).
        per = np.where(npr.random(k) < 0.5, 1, 3)
        owner = np.repeat(np.arange(k), per)
        m = len(owner)
        f_ids = np.arange(fid + 1, fid + m + 1)
        fid += m
        f_day = day[owner]
        due_days = np.array((1, 3, 7, 15))[npr.integers(0, 4, m)]
        due = f_day + due_days
        closed = npr.random(m) < 0.75
        reply = f_day + (npr.random(m) * (due_days + 6)).astype(int)
        close = reply + npr.integers(1, 4, m)
        at_f = [at[o] for o in owner.tolist()]
        handed = [f"{day_names[d]} {clock[min(mm + 60, 1439)]}" for d, mm in
                  zip(f_day.tolist(), minute[owner].tolist(), strict=True)]
        rows = []
        for idx, (fi, o, c, dd, rd, cd) in enumerate(zip(f_ids.tolist(), owner.tolist(), closed.tolist(),
                                                            due.tolist(), reply.tolist(), close.tolist(),
                                                            strict=True)):
            replied = f"{day_names[rd]} 10:00:00.000000" if c else None
            closed_at = f"{day_names[cd]} 10:00:00.000000" if c else None
            rows.append((fi, int(ids[o]), int(site[o]), int(group[o]), at_f[idx], None, None, None,
                         day_names[dd], day_names[dd], domain.ST_CLOSED if c else domain.ST_RECTIFYING,
                         handed[idx], replied, closed_at, closed_at))
        cats, sevs, us = (npr.integers(0, len(x), m) for x in (categories, severities, units))
        cats, sevs, us = categories[cats].tolist(), severities[sevs].tolist(), units[us].tolist()
        con.executemany(find_sql, [(r[0], r[1], r[2], r[3], r[4], cats[x], sevs[x], us[x], *r[8:])
                                   for x, r in enumerate(rows)])
    phases["rows"] = time.perf_counter() - t0
    for _, sql in indexes:
        con.execute(sql)
    phases["indexes"] = time.perf_counter() - t0
    for stmt in rollup_triggers.rebuild_statements("sqlite"):
        con.execute(stmt)
    for stmt in rollup_triggers.sqlite_statements():
        con.execute(stmt)
    con.execute("COMMIT")
    con.execute("PRAGMA ignore_check_constraints=OFF")
    phases["rollups"] = time.perf_counter() - t0
    con.execute("PRAGMA analysis_limit=2000")  # sampled statistics: enough for the planner, seconds faster
    con.execute("ANALYZE")
    con.execute("PRAGMA locking_mode=NORMAL")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    if os.environ.get("GANGWEN_BENCH_VERBOSE"):
        print("build phases (cumulative s):", {k: round(v, 1) for k, v in phases.items()}, file=sys.stderr)
    return time.perf_counter() - t0


def parse_sizes(text) -> list[int]:
    """``--inspections 10000,100000`` as sizes; a ``CliError`` in Chinese for anything else."""
    from gangwen_dash.cli import CliError

    try:
        sizes = [int(s.replace("_", "")) for s in str(text).split(",") if s.strip()]
    except ValueError:
        raise CliError(f"--inspections 应为逗号分隔的整数，例如 10000,100000：{text}") from None
    if not sizes or min(sizes) < 100:
        raise CliError("--inspections 每个规模至少 100")
    return sizes


def work_dir(db_dir) -> tuple[Path | None, Path]:
    """(the kept directory or None, the directory the databases go in: ``--db-dir`` or a temporary one)."""
    keep = Path(db_dir) if db_dir else None
    workdir = keep or Path(tempfile.mkdtemp(prefix="gangwen-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    return keep, workdir


def ensure_database(path: Path, n: int, keep: bool) -> float | None:
    """The n-inspection bench database at ``path``: reused when kept from an earlier run with n inspections,
    else built. Returns the build time in seconds (None when reused)."""
    if keep and path.exists() and inspection_count(path) == n:
        return None
    return build_database(path, n)


def inspection_count(path: Path) -> int:
    try:
        con = sqlite3.connect(path)
        try:
            return con.execute("SELECT count(*) FROM inspections").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


# --------------------------------------------------------------------------- variants (child processes)


def _default_period(url: str):
    from gangwen_dash.db import get_engine, read_session
    from gangwen_dash.domain import periods
    from gangwen_dash.queries.kpis import latest_data_date

    with read_session(get_engine(url)) as session:
        return periods.week_of(latest_data_date(session)).period


def naive_once(url: str, period=None) -> None:
    """The common pattern: load the tables into pandas, then compute the cockpit's figures there
    (for ``period``, default the ISO week of the latest inspection)."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        insp = pd.read_sql("SELECT * FROM inspections", conn, parse_dates=["inspected_at"])
        find = pd.read_sql("SELECT * FROM findings", conn,
                           parse_dates=["found_at", "closed_at", "replied_at", "due_date", "first_due_date"])
        members = pd.read_sql("SELECT * FROM inspection_members", conn)
        sites = pd.read_sql("SELECT id, street_id FROM sites", conn)
        streets = pd.read_sql("SELECT id, name FROM streets", conn)
    engine.dispose()
    if period is None:
        end_day = insp["inspected_at"].max().normalize()
        start = end_day - pd.Timedelta(days=end_day.weekday())
        end = start + pd.Timedelta(days=7)
    else:
        start, end = pd.Timestamp(period.start), pd.Timestamp(period.end) + pd.Timedelta(days=1)

    def figures(lo, hi):
        i = insp[(insp["inspected_at"] >= lo) & (insp["inspected_at"] < hi)]
        f = find[(find["found_at"] >= lo) & (find["found_at"] < hi)]
        closed = f["closed_at"].notna() & (f["closed_at"] < hi)
        open_at_end = find["closed_at"].isna() | (find["closed_at"] >= hi)
        overdue = find[(find["found_at"] < hi) & open_at_end & (find["due_date"] < hi - pd.Timedelta(days=1))]
        on_time = closed & (f["first_due_date"] < hi) & (f["replied_at"].dt.normalize() <= f["first_due_date"])
        return {"inspections": len(i), "spot": int((i["kind"] == "抽查暗访").sum()),
                "participations": int(members["inspection_id"].isin(i["id"]).sum()),
                "sites": i["site_id"].nunique(), "findings": len(f), "closed": int(closed.sum()),
                "overdue": len(overdue), "on_time": int(on_time.sum()), "by_category": f.groupby("category").size(),
                "overdue_rows": overdue}

    week = figures(start, end)
    figures(start - (end - start), start)
    figures(pd.Timestamp(start.year, 1, 1), end)
    trend_lo = min(start, end - pd.Timedelta(weeks=12))
    t = insp[(insp["inspected_at"] >= trend_lo) & (insp["inspected_at"] < end)]
    t.groupby(t["inspected_at"].dt.to_period("W")).size()
    f = find[(find["found_at"] >= start) & (find["found_at"] < end)]
    f.merge(sites, left_on="site_id", right_on="id").merge(streets, left_on="street_id", right_on="id").groupby(
        "name").size()
    f.groupby("group_id").size()
    week["overdue_rows"].sort_values("due_date").head(100)


def _query_once(url: str, period) -> None:
    from gangwen_dash.db import get_engine, read_session
    from gangwen_dash.queries import reference
    from gangwen_dash.queries.cockpit import cockpit
    from gangwen_dash.queries.kpis import latest_data_date

    with read_session(get_engine(url)) as session:
        latest_data_date(session)
        reference.groups(session)
        reference.streets(session)
        cockpit(session, period)


def _peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which belongs to the address space and starts afresh at exec.

    (``ru_maxrss`` is not usable here: Linux carries it over an execve, so a child spawned by the
    driver after it built a large database would report the driver's size.)
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(variant: str, url: str, runs: int) -> dict:
    times = []
    if variant == "naive":
        import pandas  # noqa: F401  (imports are not part of the measurement)
        import sqlalchemy  # noqa: F401

        for _ in range(runs):
            t0 = time.perf_counter()
            naive_once(url)
            times.append((time.perf_counter() - t0) * 1000)
        return {"ms": statistics.median(times), "rss": _peak_rss_mb()}
    if variant == "query":
        period = _default_period(url)
        _query_once(url, period)  # opens the connection pool and warms SQLite's page cache
        for _ in range(runs):
            t0 = time.perf_counter()
            _query_once(url, period)
            times.append((time.perf_counter() - t0) * 1000)
        return {"ms": statistics.median(times), "rss": _peak_rss_mb()}
    # page: AppTest of pages/dashboard.py, warm (caches kept) and cold (caches cleared before each run)
    os.environ["GANGWEN_DATABASE_URL"] = url
    from gangwen_dash.config import reset_settings

    reset_settings()
    from gangwen_dash.ui.page_timing import time_page

    warm, cold = time_page("pages/dashboard.py", runs)
    return {"warm": warm, "cold": cold, "rss": _peak_rss_mb()}


def _spawn(variant: str, url: str, runs: int) -> dict:
    from gangwen_dash.config import PROJECT_ROOT

    out = subprocess.run([sys.executable, "-m", "gangwen_dash.bench.dashboard", variant, url, str(runs)],
                         capture_output=True, text=True, cwd=PROJECT_ROOT,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    if out.returncode != 0:
        raise RuntimeError(f"bench {variant} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- driver


VARIANTS = ("naive", "query", "page")


def measure(path: Path, n: int, runs: int, naive_runs: int, variants=VARIANTS) -> dict:
    url = f"sqlite:///{path}"
    none = {"ms": None, "rss": None, "warm": None, "cold": None}
    naive = _spawn("naive", url, naive_runs) if "naive" in variants else none
    query = _spawn("query", url, runs) if "query" in variants else none
    page = _spawn("page", url, runs) if "page" in variants else none

    def r(value):
        return None if value is None else round(value, 1)

    return {
        "inspections": n,
        "naive_ms": r(naive["ms"]),
        "query_ms": r(query["ms"]),
        "page_ms": r(page["warm"]),
        "page_cold_ms": r(page["cold"]),
        "peak_rss_mb": r(query["rss"]),
        "_naive_rss_mb": r(naive["rss"]),
    }


def run(args) -> int:
    from gangwen_dash.cli import CliError

    if args.matrix:
        from gangwen_dash.bench import matrix

        return matrix.run(args)

    sizes = parse_sizes(args.inspections)
    variants = tuple(v.strip() for v in str(args.variants).split(",") if v.strip())
    if not variants or set(variants) - set(VARIANTS):
        raise CliError(f"--variants 只能取 {','.join(VARIANTS)} 中的若干个：{args.variants}")
    keep, workdir = work_dir(args.db_dir)
    results = []
    try:
        for n in sizes:
            path = workdir / f"bench-dashboard-{n}.db"
            build_s = ensure_database(path, n, keep is not None)
            row = measure(path, n, args.runs, args.naive_runs, variants)
            row["_build_s"] = None if build_s is None else round(build_s, 1)
            results.append(row)
            built = "复用已有数据库" if build_s is None else f"建库 {build_s:.1f} s"
            naive_rss = "—" if row["_naive_rss_mb"] is None else f"{row['_naive_rss_mb']:.0f} MB"
            print(f"[{n:,} 次督查] {built}，数据库 {path.stat().st_size / 1e6:.0f} MB，naive 进程峰值内存 {naive_rss}",
                  file=sys.stderr)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps([{k: r[k] for k in KEYS} for r in results]))
    else:
        print("| inspections | naive_ms | query_ms | naive/query | page_ms | page_cold_ms | peak_rss_mb | naive rss MB |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in results:
            ratio = (f"{r['naive_ms'] / r['query_ms']:,.0f}×" if r["naive_ms"] and r["query_ms"] else "—")
            cells = [_cell(r[k]) for k in ("naive_ms", "query_ms")] + [ratio] + [
                _cell(r[k]) for k in ("page_ms", "page_cold_ms", "peak_rss_mb", "_naive_rss_mb")]
            print(f"| {r['inspections']:,} | " + " | ".join(cells) + " |")
    return 0


def _cell(value) -> str:
    return "—" if value is None else f"{value:,.1f}"


if __name__ == "__main__":  # child process: python -m gangwen_dash.bench.dashboard VARIANT URL RUNS
    print(json.dumps(worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
