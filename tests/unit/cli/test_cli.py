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


def test_production_path_as_readme_writes_it_gets_no_demo(fresh_url, tmp_path):
    """README's production path with GANGWEN_SEED_DEMO unset: init-db, create-user admin, bootstrap (make run)."""
    from sqlalchemy import create_engine, func, select

    from gangwen_dash.models import AppState, Inspection, Member, Site, User

    env = {"GANGWEN_SECRETS_FILE": str(tmp_path / "none.toml")}
    os.environ.pop("GANGWEN_SEED_DEMO", None)
    assert run("init-db", url=fresh_url, **env).returncode == 0
    made = subprocess.run([sys.executable, "-m", "gangwen_dash", "create-user", "--username", "admin",
                           "--role", "secretariat"], input="a-strong-password\n", capture_output=True, text=True,
                          env={**os.environ, "GANGWEN_DATABASE_URL": fresh_url, **env}, cwd=PROJECT_ROOT, timeout=120)
    assert made.returncode == 0, made.stderr
    booted = run("bootstrap", url=fresh_url, **env)
    assert booted.returncode == 0 and "演示数据" not in booted.stdout, booted.stdout + booted.stderr
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert conn.execute(select(User.username)).scalars().all() == ["admin"]
        for model in (Member, Site, Inspection):
            assert conn.execute(select(func.count()).select_from(model)).scalar_one() == 0
        assert conn.execute(select(AppState.demo_loaded)).scalar_one() is False
    engine.dispose()
    # seed-demo refuses too: the demo's public passwords never sit beside real accounts.
    again = run("seed-demo", url=fresh_url, **env)
    assert again.returncode == 2 and "Traceback" not in again.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("secret", ["a long random string", "short", ""])
def test_weak_oidc_cookie_secret_refuses_to_start(backend, fresh_url, tmp_path, secret):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[auth]\nredirect_uri = "http://x/oauth2callback"\ncookie_secret = "{secret}"\n')
    out = run("bootstrap", url=fresh_url, GANGWEN_SECRETS_FILE=str(secrets))
    assert out.returncode == 2 and "cookie_secret" in out.stderr and "Traceback" not in out.stderr
    secrets.write_text('[auth]\ncookie_secret = "' + "k" * 48 + '"\n')
    assert run("bootstrap", url=fresh_url, GANGWEN_SECRETS_FILE=str(secrets), GANGWEN_SEED_DEMO="0").returncode == 0
