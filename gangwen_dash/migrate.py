"""Apply Alembic migrations programmatically (``init-db``, ``make run``, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from gangwen_dash.config import PROJECT_ROOT, get_settings
from gangwen_dash.db import get_engine


def alembic_config() -> Config:
    return Config(str(PROJECT_ROOT / "alembic.ini"))


def _run(url: str | None, step) -> None:
    """Run ``step(cfg)`` in one transaction. On SQLite, foreign keys are off meanwhile (SQLite's own
    procedure for a table rebuild: a batch migration drops and re-creates a table, which would otherwise
    cascade to the rows that refer to it) and checked before the commit."""
    engine = get_engine(url or get_settings().database_url)
    cfg = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # outside a transaction, else SQLite ignores it
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                step(cfg)
                if sqlite:
                    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if bad:
                        raise RuntimeError(f"迁移后外键检查失败：{bad[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def upgrade(url: str | None = None, revision: str = "head") -> None:
    _run(url, lambda cfg: command.upgrade(cfg, revision))


def downgrade(url: str | None = None, revision: str = "base") -> None:
    _run(url, lambda cfg: command.downgrade(cfg, revision))
