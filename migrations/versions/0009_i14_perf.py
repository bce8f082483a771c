"""speed (issue 14): a per-day findings rollup without the category for the trend, and an index for
督查整改's repeat problems (one seek per finding instead of a scan of the site's last 90 days)

Revision ID: 0009_i14_perf
Revises: 0008_i14_maps
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations import rollup_triggers

revision = "0009_i14_perf"
down_revision = "0008_i14_maps"
branch_labels = None
depends_on = None

TABLE = "finding_day_totals"


def upgrade() -> None:
    bind = op.get_bind()
    # Migration 0007 creates every table of rollup_triggers.KEYS, so a database migrated from scratch
    # has it already; one at 0007 gets it here.
    if TABLE not in sa.inspect(bind).get_table_names():
        keys, counts = rollup_triggers.KEYS[TABLE], rollup_triggers.COUNTS[TABLE]
        types = {"day": sa.Date()}
        op.create_table(TABLE, *[sa.Column(k, types.get(k, sa.Integer()), nullable=False) for k in keys],
                        *[sa.Column(c, sa.Integer(), server_default="0", nullable=False) for c in counts],
                        sa.PrimaryKeyConstraint(*keys, name=op.f(f"pk_{TABLE}")), sqlite_with_rowid=False)
    op.create_index("ix_findings_site_category_found", "findings",
                    ["site_id", "category", "found_at", "inspection_id"], unique=False)
    rollup_triggers.drop(bind)
    rollup_triggers.rebuild(bind)
    rollup_triggers.create(bind)


def downgrade() -> None:
    # The table stays: migration 0007 (written from rollup_triggers.KEYS, as its downgrade drops them)
    # has it too when run from scratch, and the triggers keep it.
    op.drop_index("ix_findings_site_category_found", table_name="findings")
