"""Apply Alembic migrations programmatically (``init-db``, ``make run``, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from gangwen_dash.config import PROJECT_ROOT, get_settings
from gangwen_dash.db import get_engine


def alembic_config() -> Config:
    return Config(str(PROJECT_ROOT / "alembic.ini"))


def upgrade(url: str | None = None, revision: str = "head") -> None:
    engine = get_engine(url or get_settings().database_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    engine = get_engine(url or get_settings().database_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
