"""`map-html` and `bench map` end to end in subprocesses (as an operator runs them)."""

import json
import os
import re
import subprocess
import sys
from datetime import date

import pytest

from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.db import read_session
from gangwen_dash.domain.periods import Filters
from gangwen_dash.queries.sites import site_cards


def run(*args, url: str = "sqlite:///:memory:", **env):
    full_env = {**os.environ, "GANGWEN_DATABASE_URL": url, "GANGWEN_SECRETS_FILE": "/nonexistent.toml"}
    full_env.pop("GANGWEN_TILES", None)
    full_env.pop("GANGWEN_TIANDITU_TK", None)
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "gangwen_dash", *args], capture_output=True, text=True,
                          env=full_env, cwd=PROJECT_ROOT, timeout=180)


def _rows(page: str) -> list:
    """One list per site (the page holds the sites column by column)."""
    columns = json.loads(re.search(r"var data = (\[.*?\]);\n", page, re.S).group(1))
    return [list(r) for r in zip(*columns, strict=True)]


def test_map_html_writes_a_standalone_page_of_the_period(demo_url, tmp_path):
    out = tmp_path / "map.html"
    done = run("map-html", "--out", str(out), "--from", "2019-11-01", "--to", "2019-11-30", "--tiles", "none",
               url=demo_url)
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>港闻区督查地图 2019-11-01 至 2019-11-30</title>" in page
    assert not re.search(r'<script[^>]+src=', page) and not re.search(r'<link[^>]+stylesheet', page)
    with read_session() as s:
        cards = site_cards(s, date(2019, 11, 30))
    rows = _rows(page)
    assert len(rows) == len(cards) and "48 个工地" in done.stdout
    red = int((cards["card"] == "red").sum())
    assert sum(1 for r in rows if r[2] == 0) == red  # card index 0 = red, as of the period's end
    assert "L.tileLayer" not in page


def test_map_html_defaults_to_the_latest_year_and_honours_filters(demo_url, tmp_path):
    out = tmp_path / "street.html"
    with read_session() as s:
        from gangwen_dash.queries.reference import streets

        street_id = int(streets(s).iloc[0]["id"])
        expected = site_cards(s, date(2019, 12, 31), Filters(street_id=street_id))
    done = run("map-html", "--out", str(out), "--street", str(street_id), url=demo_url)
    assert done.returncode == 0, done.stderr
    assert "牌色截至 2019-12-31" in done.stdout and "OpenStreetMap" in done.stdout
    page = out.read_text(encoding="utf-8")
    assert len(_rows(page)) == len(expected) > 0
    assert "tile.openstreetmap.org" in page


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("args", "env", "message"), [
    (("--tiles", "tianditu"), {}, "天地图需要密钥"),
    (("--from", "2019-11-01"), {}, "需要同时提供"),
    (("--from", "2019-12-01", "--to", "2019-11-01"), {}, "晚于"),
    (("--tiles", "custom"), {}, "url 和 attribution"),
])
def test_map_html_bad_input_is_one_line(backend, demo_url, tmp_path, args, env, message):
    done = run("map-html", "--out", str(tmp_path / "x.html"), *args, url=demo_url, **env)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_map_html_tianditu_key_from_environment(backend, demo_url, tmp_path):
    out = tmp_path / "tdt.html"
    done = run("map-html", "--out", str(out), "--tiles", "tianditu", url=demo_url, GANGWEN_TIANDITU_TK="demo-key")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("L.tileLayer") == 2 and "tk=demo-key" in page and "天地图" in done.stdout


def test_bench_map_prints_json_per_size():
    done = run("bench", "map", "--sites", "200,1000", "--repeat", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [r["sites"] for r in result] == [200, 1000]
    assert all(set(r) == {"sites", "build_ms", "html_bytes"} for r in result)
    assert all(r["build_ms"] > 0 for r in result)
    assert result[1]["html_bytes"] > result[0]["html_bytes"] > 10_000
    text = run("bench", "map", "--sites", "100", "--repeat", "1")
    assert text.returncode == 0 and "build_ms" in text.stdout
    bad = run("bench", "map", "--sites", "ten")
    assert bad.returncode == 2 and "--sites" in bad.stderr
