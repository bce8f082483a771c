"""The CLI end to end in subprocesses, as an operator would run it."""

import json
import os
import subprocess
import sys

import pytest

from gangwen_dash.config import PROJECT_ROOT


def run(*args, url: str, **env):
    full_env = {**os.environ, "GANGWEN_DATABASE_URL": url, **env}
    return subprocess.run([sys.executable, "-m", "gangwen_dash", *args], capture_output=True, text=True,
                          env=full_env, cwd=PROJECT_ROOT, timeout=120)


@pytest.fixture
def fresh_url(backend, tmp_path, request):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.db'}"
    return request.getfixturevalue("pg_cluster").create_database(f"cli_{os.getpid()}_{tmp_path.name[-8:]}")


def test_init_seed_and_kpis_json(fresh_url):
    assert run("init-db", url=fresh_url).returncode == 0
    seeded = run("seed-demo", url=fresh_url)
    assert seeded.returncode == 0, seeded.stderr
    out = run("kpis", "--from", "2019-01-01", "--to", "2019-12-31", "--json", url=fresh_url)
    assert out.returncode == 0, out.stderr
    k = json.loads(out.stdout)
    expected = {"inspections": 32, "members": 68, "groups": 2, "rooms": 75, "projects": 78, "projects_solved": 46,
                "projects_in_progress": 32, "proposals": 136, "proposals_key": 11, "proposals_excellent": 14,
                "opinions": 46}
    assert {key: k[key] for key in expected} == expected
    assert k["spot_checks"] + k["routine_inspections"] == k["inspections"]
    assert 0 <= k["rectification_rate"] <= 1 and 0 <= k["on_time_rate"] <= 1
    again = run("seed-demo", url=fresh_url)
    assert again.returncode == 2 and "--reset" in again.stderr and "Traceback" not in again.stderr
    text = run("kpis", "--from", "2019/01/01", "--to", "2019年12月31日", url=fresh_url)
    assert text.returncode == 0 and "督查次数: 32" in text.stdout


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "args,message",
    [
        (("--from", "2019-13-01", "--to", "2019-12-31"), "无法识别的日期"),
        (("--from", "yesterday", "--to", "2019-12-31"), "无法识别的日期"),
        (("--from", "2019-12-01", "--to", "2019-01-31"), "晚于"),
    ],
)
def test_bad_dates_get_one_line_error(backend, tmp_path, args, message):
    out = run("kpis", *args, url=f"sqlite:///{tmp_path / 'x.db'}")
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_unreachable_database_gets_one_line_error(backend):
    out = run("kpis", "--from", "2019-01-01", "--to", "2019-12-31",
              url="postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    assert out.returncode == 2
    assert "无法连接数据库" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_bootstrap_seeds_only_when_allowed(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    out = run("bootstrap", url=url, GANGWEN_SEED_DEMO="0")
    assert out.returncode == 0 and "数据库已就绪" in out.stdout
    k = json.loads(run("kpis", "--from", "2019-01-01", "--to", "2019-12-31", "--json", url=url).stdout)
    assert k["inspections"] == 0 and k["members"] == 0
    out = run("bootstrap", url=url)
    assert out.returncode == 0 and "演示数据" in out.stdout
    k = json.loads(run("kpis", "--from", "2019-01-01", "--to", "2019-12-31", "--json", url=url).stdout)
    assert k["inspections"] == 32
