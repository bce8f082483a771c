"""audit_log: on SQLite refuse INSERT OR REPLACE (it overwrote an entry without firing the DELETE trigger)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""

from migrations.audit_triggers import create_replace_guard, drop_replace_guard

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_replace_guard()


def downgrade() -> None:
    drop_replace_guard()
