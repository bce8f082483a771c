"""驾驶舱 benchmark matrix: every view × every filter × both engines, uncached.

``python -m gangwen_dash bench dashboard --matrix --inspections 1000000 --engine sqlite,postgresql [--json]``

The data is ``bench dashboard``'s synthetic database (built once, reused with ``--db-dir``). For
PostgreSQL a throwaway local cluster (``gangwen_dash.pgcluster``, as the tests use) gets the real
schema by the migrations and the same rows by ``COPY`` (triggers off during the load, then the
indexes and the rollups rebuilt and ``ANALYZE``), and is removed afterwards.

Views, anchored on the latest inspection as the page is: 本周 (its ISO week), 本月, 本年, a 90-day custom
range ending that day — each ``queries.cockpit.cockpit`` (everything the cockpit page shows) — plus
督查整改 (what its page loads) and 地图 (``queries.sites.map_data``) for the week. Filters: none, a group,
a street, both. Each cell: median of ``--runs`` runs in one process after a warm-up run (no
Streamlit cache involved). ``naive_ms``: loading the tables into pandas and computing the year view there,
once per engine.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ENGINES = ("sqlite", "postgresql")
VIEWS = ("week", "month", "year", "90d", "rectification", "map")
BUDGET_MS = 300
# Copied in this order (foreign keys); the columns are those of the SQLite database.
COPY_TABLES = ("streets", "inspection_groups", "members", "sites", "inspections", "inspection_members", "findings")


def _periods(latest):
    from gangwen_dash.domain import periods
    from gangwen_dash.domain.periods import Period

    return {"week": periods.week_of(latest).period, "month": periods.month_of(latest).period,
            "year": periods.year_of(latest).period, "90d": Period(latest - timedelta(days=89), latest)}


def _filters(session):
    """A group and a street that have data: the first of each."""
    from sqlalchemy import func, select

    from gangwen_dash.domain.periods import Filters
    from gangwen_dash.models import InspectionGroup, Street

    g = session.execute(select(func.min(InspectionGroup.id))).scalar_one()
    s = session.execute(select(func.min(Street.id))).scalar_one()
    return {"none": Filters(), "group": Filters(group_id=g), "street": Filters(street_id=s),
            "group+street": Filters(group_id=g, street_id=s)}


def _view(session, view: str, period, filters) -> None:
    from gangwen_dash.queries import cockpit, rectification, sites

    if view == "rectification":
        rectification.page_data(session, period, filters)
    elif view == "map":
        sites.map_data(session, period, filters)
    else:
        cockpit.cockpit(session, period, filters)


def worker(url: str, runs: int, naive: bool) -> dict:
    """Child process: {"cells": {view/filter: ms}, "naive_ms": ms or None}."""
    from gangwen_dash.bench.dashboard import naive_once
    from gangwen_dash.db import get_engine, read_session
    from gangwen_dash.queries.kpis import latest_data_date

    engine = get_engine(url)
    with read_session(engine) as session:
        spans = _periods(latest_data_date(session))
        filters = _filters(session)
    cells = {}
    for view in VIEWS:
        period = spans.get(view, spans["week"])
        for name, flt in filters.items():
            times = []
            for i in range(runs + 1):
                with read_session(engine) as session:
                    t0 = time.perf_counter()
                    _view(session, view, period, flt)
                    if i:  # the first run warms the connection, the statement cache and the page cache
                        times.append((time.perf_counter() - t0) * 1000)
            cells[f"{view}/{name}"] = round(statistics.median(times), 1)
    naive_ms = None
    if naive:
        t0 = time.perf_counter()
        naive_once(url, spans["year"])
        naive_ms = round((time.perf_counter() - t0) * 1000, 1)
    return {"cells": cells, "naive_ms": naive_ms}


def _spawn(url: str, runs: int, naive: bool) -> dict:
    from gangwen_dash.config import PROJECT_ROOT

    out = subprocess.run([sys.executable, "-m", "gangwen_dash.bench.matrix", url, str(runs), "1" if naive else "0"],
                         capture_output=True, text=True, cwd=PROJECT_ROOT,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    if out.returncode != 0:
        raise RuntimeError(f"bench matrix failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_postgresql(sqlite_path: Path, url: str) -> float:
    """Give the empty database at ``url`` the real schema and the rows of ``sqlite_path``; seconds."""
    import psycopg
    from sqlalchemy import create_engine, text

    from gangwen_dash import migrate
    from migrations import rollup_triggers

    t0 = time.perf_counter()
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        rollup_triggers.drop(conn)
        indexes = conn.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename IN ('inspections', 'inspection_members', 'findings') AND i.indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))")).all()
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    src = sqlite3.connect(sqlite_path)
    try:
        with psycopg.connect(dsn) as pg:
            pg.execute("SET session_replication_role = replica")  # no triggers (audit, FK checks) while copying
            for table in COPY_TABLES:
                cur = src.execute(f"SELECT * FROM {table}")
                cols = ", ".join(d[0] for d in cur.description)
                with pg.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    while rows := cur.fetchmany(20_000):
                        for row in rows:
                            copy.write_row(row)
            pg.commit()
    finally:
        src.close()
    with engine.begin() as conn:
        for _, sql in indexes:
            conn.execute(text(sql))
        rollup_triggers.rebuild(conn)
        rollup_triggers.create(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t0


def run(args) -> int:
    from gangwen_dash.bench.dashboard import ensure_database, parse_sizes, work_dir
    from gangwen_dash.cli import CliError
    from gangwen_dash.pgcluster import PgCluster

    sizes = parse_sizes(args.inspections)
    engines = [e.strip() for e in str(args.engine).split(",") if e.strip()]
    if not engines or set(engines) - set(ENGINES):
        raise CliError(f"--engine 只能取 {','.join(ENGINES)}")
    keep, workdir = work_dir(args.db_dir)
    rows = []
    try:
        for n in sizes:
            path = workdir / f"bench-dashboard-{n}.db"
            if (build_s := ensure_database(path, n, keep is not None)) is not None:
                print(f"[{n:,}] 建库 {build_s:.1f} s", file=sys.stderr)
            for engine in engines:
                if engine == "sqlite":
                    result = _spawn(f"sqlite:///{path}", args.runs, args.naive_runs > 0)
                else:
                    cluster = PgCluster().start()
                    try:
                        url = cluster.create_database("bench")
                        print(f"[{n:,}] PostgreSQL 装载 {load_postgresql(path, url):.1f} s", file=sys.stderr)
                        result = _spawn(url, args.runs, args.naive_runs > 0)
                    finally:
                        cluster.stop()
                for cell, ms in result["cells"].items():
                    view, flt = cell.split("/")
                    rows.append({"inspections": n, "engine": engine, "view": view, "filter": flt, "ms": ms,
                                 "naive_ms": result["naive_ms"] if (view, flt) == ("year", "none") else None})
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        print("| inspections | engine | view | filter | ms | naive ms |")
        print("|---:|---|---|---|---:|---:|")
        for r in rows:
            flag = "" if r["ms"] <= BUDGET_MS else " ⚠"
            naive = "" if r["naive_ms"] is None else f"{r['naive_ms']:,.0f}"
            print(f"| {r['inspections']:,} | {r['engine']} | {r['view']} | {r['filter']} | {r['ms']:,.1f}{flag} | {naive} |")
    return 0


if __name__ == "__main__":  # child process: python -m gangwen_dash.bench.matrix URL RUNS NAIVE
    print(json.dumps(worker(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1")))
