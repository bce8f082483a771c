"""audit_log is append-only on both engines, including the ways round UPDATE/DELETE triggers:
SQLite's INSERT OR REPLACE / REPLACE / upsert, PostgreSQL's INSERT … ON CONFLICT DO UPDATE."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from gangwen_dash import migrate
from gangwen_dash.models import AuditLog
from migrations import audit_triggers

ROW = {"at": datetime(2019, 1, 1), "username": "u", "action": "a", "entity": "e"}


def _rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditLog.id, AuditLog.action).order_by(AuditLog.id))]


@pytest.fixture
def logged(engine):
    with engine.begin() as conn:
        conn.execute(insert(AuditLog).values(**ROW))
        conn.execute(insert(AuditLog).values(**ROW, user_id=7))
    return _rows(engine)


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite syntax; PostgreSQL's upsert is the next test
@pytest.mark.parametrize("verb", ["INSERT OR REPLACE INTO", "REPLACE INTO", "INSERT OR IGNORE INTO"])
def test_sqlite_replace_cannot_overwrite_an_entry(backend, engine, logged, verb):
    stmt = text(f"{verb} audit_log (id, at, username, action, entity) VALUES (1, '2019-01-02', 'x', 'forged', 'e')")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(stmt)
    assert _rows(engine) == logged


def test_upsert_on_the_id_is_refused_on_both_engines(engine, logged):
    stmt = text("INSERT INTO audit_log (id, at, username, action, entity) VALUES (1, '2019-01-02', 'x', 'forged', 'e') "
                "ON CONFLICT (id) DO UPDATE SET action = excluded.action")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(stmt)
    assert _rows(engine) == logged


def test_ordinary_and_explicit_new_ids_still_append(engine, logged):
    with engine.begin() as conn:
        conn.execute(insert(AuditLog).values(**ROW))
        conn.execute(insert(AuditLog).values(id=100, **ROW))
        conn.execute(insert(AuditLog).values(**ROW))
    ids = [i for i, _ in _rows(engine)]
    assert len(ids) == 5 and 100 in ids and ids[:2] == [1, 2]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_refuses_ids_below_one(backend, engine, logged):
    """Else a row with id -1 would make every later insert look like a replacement (NEW.id reads -1)."""
    for bad in (0, -1):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(insert(AuditLog).values(id=bad, **ROW))
    with engine.begin() as conn:
        conn.execute(insert(AuditLog).values(**ROW))
    assert len(_rows(engine)) == 3


def test_migration_0004_installs_and_removes_the_guard(engine, db_url):
    def names():
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                q = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            else:
                q = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
            return set(conn.exec_driver_sql(q).scalars())

    expected = set(audit_triggers.expected_triggers(engine.dialect.name))
    assert names() == expected
    migrate.downgrade(db_url, "0003")
    assert names() == expected - set(audit_triggers.SQLITE_REPLACE_GUARD)
    if engine.dialect.name == "sqlite":  # the hole 0004 closes: REPLACE overwrote without a trigger firing
        with engine.begin() as conn:
            conn.execute(insert(AuditLog).values(**ROW))
            conn.execute(text("INSERT OR REPLACE INTO audit_log (id, at, username, action, entity) "
                              "VALUES (1, '2019-01-02', 'x', 'forged', 'e')"))
        assert _rows(engine) == [(1, "forged")]
    migrate.upgrade(db_url)
    assert names() == expected
