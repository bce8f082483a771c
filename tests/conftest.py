"""Shared fixtures: every database test runs against SQLite and a real, throwaway PostgreSQL 15.

Databases are cloned from migrated templates (a file copy for SQLite, ``CREATE DATABASE … TEMPLATE``
for PostgreSQL), so each test gets its own fresh database in milliseconds while the migrations
themselves are exercised once per engine per session.
"""

from __future__ import annotations

import os
import time

import pytest

from gangwen_dash import config, db, demo, migrate
from tests.support.databases import clone, fast_hash

# Tests run on the district's clock (the default ``timezone``): a test's date.today()/datetime.now() then
# agree with the services' local_today()/local_now() at any hour the suite runs; servers started by the
# tests inherit it. The machine itself may be on UTC (8 hours behind: another date after 16:00).
os.environ["TZ"] = "Asia/Shanghai"
time.tzset()

BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser):
    parser.addoption("--backends", default=",".join(BACKENDS), help="comma-separated: sqlite,postgresql")


def pytest_generate_tests(metafunc):
    explicit = any("backend" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize"))
    if "backend" in metafunc.fixturenames and not explicit:
        wanted = [b for b in metafunc.config.getoption("--backends").split(",") if b]
        metafunc.parametrize("backend", wanted, scope="session")


@pytest.fixture(scope="session")
def pg_cluster():
    from tests.support.pg import PgCluster

    cluster = PgCluster().start()
    yield cluster
    db.dispose_engines()
    cluster.stop()


@pytest.fixture(scope="session")
def _templates(request, tmp_path_factory):
    """Per backend: (empty-migrated template, demo-seeded template), built lazily once."""
    built: dict[str, dict[str, str]] = {}

    def get(backend: str, kind: str) -> str:
        if backend not in built:
            built[backend] = {}
        if kind in built[backend]:
            return built[backend][kind]
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("tmpl") / f"{kind}.db"
            url = f"sqlite:///{path}"
        else:
            cluster = request.getfixturevalue("pg_cluster")
            url = cluster.create_database(f"tmpl_{kind}")
        migrate.upgrade(url)
        if kind == "demo":
            with db.write_session(db.get_engine(url)) as session:
                demo.load(session, password_hasher=fast_hash)
        db.get_engine(url).dispose()
        built[backend][kind] = url if backend == "postgresql" else str(path)
        return built[backend][kind]

    return get


@pytest.fixture
def photo_dir(tmp_path, monkeypatch):
    path = tmp_path / "photos"
    monkeypatch.setenv("GANGWEN_PHOTO_DIR", str(path))
    config.reset_settings()
    return path


def _as_app_database(kind, backend, templates, tmp_path, request, monkeypatch):
    """A fresh copy of the ``kind`` template (empty / demo), set as the app's database for one test."""
    url = clone(backend, templates(backend, kind), tmp_path, request)
    monkeypatch.setenv("GANGWEN_DATABASE_URL", url)
    config.reset_settings()
    yield url
    db.get_engine(url).dispose()
    config.reset_settings()


@pytest.fixture
def db_url(backend, _templates, tmp_path, request, monkeypatch, photo_dir):
    """A fresh, migrated, empty database of the parametrized backend, set as the app's database."""
    yield from _as_app_database("empty", backend, _templates, tmp_path, request, monkeypatch)


@pytest.fixture
def demo_url(backend, _templates, tmp_path, request, monkeypatch, photo_dir):
    """A fresh database holding the 2019 demo data."""
    yield from _as_app_database("demo", backend, _templates, tmp_path, request, monkeypatch)


@pytest.fixture
def engine(db_url):
    return db.get_engine(db_url)


@pytest.fixture
def demo_engine(demo_url):
    return db.get_engine(demo_url)


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """AppTest shares st.cache_data between tests in one process: start each test cold."""
    yield
    import sys

    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
