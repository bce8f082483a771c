"""Triggers that keep audit_log append-only, on SQLite and PostgreSQL.

- UPDATE, DELETE (and on PostgreSQL TRUNCATE) are refused (migration 0001).
- SQLite only (migration 0004): ``INSERT OR REPLACE`` / ``REPLACE`` would delete the row with the same id
  and insert a new one without firing the DELETE trigger (recursive_triggers is off), i.e. overwrite
  an entry. A BEFORE INSERT trigger refuses an insert whose id exists already. In a BEFORE INSERT
  trigger an id SQLite has yet to assign reads as -1, so a second trigger refuses ids below 1: no
  such row can exist for the first trigger to mistake an ordinary insert for.
  PostgreSQL has no REPLACE; ``INSERT … ON CONFLICT (id) DO UPDATE`` fires the UPDATE trigger and is
  refused by it.

``expected_triggers(dialect)`` names what a database at head must hold (restore checks it).
"""

from alembic import op

MESSAGE = "audit_log is append-only"

SQLITE_BASE = ("audit_log_no_update", "audit_log_no_delete")
SQLITE_REPLACE_GUARD = ("audit_log_no_replace", "audit_log_positive_id")
PG_TRIGGERS = ("audit_log_append_only", "audit_log_no_truncate")


def expected_triggers(dialect: str) -> tuple[str, ...]:
    """The audit_log trigger names a database migrated to head holds."""
    return SQLITE_BASE + SQLITE_REPLACE_GUARD if dialect == "sqlite" else PG_TRIGGERS


def sqlite_base_statements() -> list[str]:
    """Migration 0001's SQLite triggers."""
    return [f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END" for verb in ("UPDATE", "DELETE")]


def sqlite_replace_guard_statements() -> list[str]:
    return [
        "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
        "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        "CREATE TRIGGER audit_log_positive_id AFTER INSERT ON audit_log WHEN NEW.id < 1 "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: id must be positive'); END",
    ]


def create_audit_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for stmt in sqlite_base_statements():
            op.execute(stmt)
        return
    op.execute(
        "CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()"
    )


def drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse()")


def create_replace_guard() -> None:
    """Migration 0004: SQLite only (see the module docstring for PostgreSQL)."""
    if op.get_bind().dialect.name == "sqlite":
        for stmt in sqlite_replace_guard_statements():
            op.execute(stmt)


def drop_replace_guard() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in reversed(SQLITE_REPLACE_GUARD):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
