"""cockpit rollups keyed by street (and category for findings): any period × group/street filter sums days × few rows

Revision ID: 0007_i14
Revises: 0004
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

from gangwen_dash.models import OPEN_DUE_ID_COLUMNS, UNSETTLED_COLUMNS, unsettled_sql
from migrations import rollup_triggers

revision = "0007_i14"
down_revision = "0006_i16_ledger"
branch_labels = None
depends_on = None

TABLES = ("inspection_days", "finding_days", "open_due_days")  # of migration 0002, given a new key


def _counts(*names):
    return [sa.Column(n, sa.Integer(), server_default="0", nullable=False) for n in names]


def _keys(*names):
    types = {"day": sa.Date(), "category": sa.String(10)}
    return [sa.Column(n, types.get(n, sa.Integer()), nullable=False) for n in names]


def upgrade() -> None:
    bind = op.get_bind()
    rollup_triggers.drop(bind)  # the day × group triggers of migration 0002 (same names)
    for table in TABLES:
        op.drop_table(table)
    for table in rollup_triggers.KEYS:
        keys = rollup_triggers.KEYS[table]
        op.create_table(table, *_keys(*keys), *_counts(*rollup_triggers.COUNTS[table]),
                        sa.PrimaryKeyConstraint(*keys, name=op.f(f"pk_{table}")), sqlite_with_rowid=False)
    op.create_index("ix_findings_unsettled", "findings", [*UNSETTLED_COLUMNS], unique=False,
                    sqlite_where=sa.text(unsettled_sql("sqlite")), postgresql_where=sa.text(unsettled_sql("postgresql")))
    op.drop_index("ix_findings_open_due", table_name="findings")
    op.create_index("ix_findings_open_due_id", "findings", [*OPEN_DUE_ID_COLUMNS], unique=False,
                    sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL"))
    rollup_triggers.rebuild(bind)
    rollup_triggers.create(bind)


def downgrade() -> None:
    # Back to migration 0002's tables (day × group), without triggers (0002's definitions are gone).
    op.drop_index("ix_findings_unsettled", table_name="findings")
    op.drop_index("ix_findings_open_due_id", table_name="findings")
    op.create_index("ix_findings_open_due", "findings", ["due_date", "category"], unique=False,
                    sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL"))
    rollup_triggers.drop(op.get_bind())
    for table in rollup_triggers.KEYS:
        op.drop_table(table)
    for table in TABLES:
        op.create_table(table, *_keys("day", "group_id"), *_counts(*rollup_triggers.COUNTS[table]),
                        sa.PrimaryKeyConstraint("day", "group_id", name=op.f(f"pk_{table}")))
