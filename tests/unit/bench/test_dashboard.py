"""The dashboard benchmark's synthetic database and its output format (tiny sizes; SQLite only).

The benchmark itself prints figures (README); these tests only check that what it measures is sound.
"""

import json
import sqlite3
from datetime import date

from gangwen_dash import cli
from gangwen_dash.bench import dashboard
from gangwen_dash.db import get_engine, read_session
from gangwen_dash.domain.periods import Period
from gangwen_dash.queries import rollup
from gangwen_dash.queries.kpis import kpis
from migrations import rollup_triggers


def test_synthetic_database_is_valid_and_its_rollups_exact(tmp_path):
    path = tmp_path / "b.db"
    dashboard.build_database(path, 2000)
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT count(*) FROM inspections").fetchone()[0] == 2000
        findings = con.execute("SELECT count(*) FROM findings").fetchone()[0]
        assert 3000 < findings < 5000  # ≈ 2 per inspection
        # The CHECK constraints skipped during the load hold for every row.
        assert con.execute("SELECT count(*) FROM findings WHERE (status = '已销号') != (closed_at IS NOT NULL)"
                           ).fetchone()[0] == 0
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rollup_%'"
                           ).fetchone()[0] == len(rollup_triggers.SQLITE_TRIGGERS)
    finally:
        con.close()
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    with read_session(engine) as s:
        for period in (Period(date(2025, 12, 22), date(2025, 12, 28)), Period(date(2025, 1, 1), date(2025, 12, 28))):
            expected = kpis(s, period).as_dict()
            assert rollup.card_figures(s, period) == {k: expected[k] for k in rollup.CARD_KEYS}
    engine.dispose()


def test_bench_prints_the_documented_json_keys(tmp_path, capsys):
    code = cli.main(["bench", "dashboard", "--inspections", "300", "--runs", "1", "--naive-runs", "1", "--json",
                     "--db-dir", str(tmp_path)])
    assert code == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [set(r) for r in rows] == [{"inspections", "naive_ms", "query_ms", "page_ms", "page_cold_ms",
                                       "peak_rss_mb"}]
    row = rows[0]
    assert row["inspections"] == 300
    assert all(row[k] > 0 for k in ("naive_ms", "query_ms", "page_ms", "page_cold_ms", "peak_rss_mb"))


def test_bench_refuses_bad_sizes(capsys):
    assert cli.main(["bench", "dashboard", "--inspections", "abc"]) == 2
    assert "--inspections" in capsys.readouterr().err


def test_matrix_times_every_view_and_filter_on_both_engines_with_the_same_rows(tmp_path, capsys):
    """``--matrix`` on SQLite and a throwaway PostgreSQL loaded from the same file: one row per view ×
    filter × engine, and the PostgreSQL copy gives the same cockpit figures as the SQLite file."""
    from gangwen_dash.bench import matrix
    from gangwen_dash.pgcluster import PgCluster

    code = cli.main(["bench", "dashboard", "--matrix", "--inspections", "300", "--engine", "sqlite,postgresql",
                     "--runs", "1", "--naive-runs", "1", "--json", "--db-dir", str(tmp_path)])
    assert code == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    cells = {(r["engine"], r["view"], r["filter"]) for r in rows}
    filters = ("none", "group", "street", "group+street")  # the four: no filter, a group, a street, both
    assert cells == {(e, v, f) for e in matrix.ENGINES for v in matrix.VIEWS for f in filters}
    assert all(r["ms"] > 0 for r in rows)
    assert [r["engine"] for r in rows if r["naive_ms"]] == ["sqlite", "postgresql"]  # the year view's
    cluster = PgCluster().start()
    try:
        url = cluster.create_database("copy")
        matrix.load_postgresql(tmp_path / "bench-dashboard-300.db", url)
        period = Period(date(2025, 1, 1), date(2025, 12, 28))
        figures = []
        for engine in (get_engine(f"sqlite:///{tmp_path / 'bench-dashboard-300.db'}"), get_engine(url)):
            with read_session(engine) as s:
                figures.append((kpis(s, period).as_dict(), rollup.card_figures(s, period)))
            engine.dispose()
        assert figures[0] == figures[1] and figures[0][0]["findings"] > 0
    finally:
        cluster.stop()
