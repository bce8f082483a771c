"""cockpit rollups: daily inspection/finding counts kept exact by triggers, indexes for as-of corrections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 05:40:00
"""

import sqlalchemy as sa
from alembic import op

from migrations import rollup_triggers

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FOUND_COVER = ("found_at", "group_id", "site_id", "category", "closed_at", "due_date", "first_due_date",
               "replied_at")
CLOSED_COVER = ("closed_at", "found_at", "due_date", "first_due_date", "replied_at", "group_id")
FIRST_DUE_COVER = ("first_due_date", "found_at", "closed_at", "replied_at", "group_id")


def _counts(*names):
    return [sa.Column(n, sa.Integer(), server_default="0", nullable=False) for n in names]


def upgrade() -> None:
    op.create_table(
        "inspection_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        *_counts("inspections", "spot_checks", "participations"),
        sa.PrimaryKeyConstraint("day", "group_id", name=op.f("pk_inspection_days")),
    )
    op.create_table(
        "finding_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        *_counts("findings", "closed", "on_time"),
        sa.PrimaryKeyConstraint("day", "group_id", name=op.f("pk_finding_days")),
    )
    op.create_table(
        "open_due_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        *_counts("n_open"),
        sa.PrimaryKeyConstraint("day", "group_id", name=op.f("pk_open_due_days")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        # Covering indexes: the cockpit's period scans and as-of corrections read the index only.
        batch_op.drop_index("ix_findings_found_at")
        batch_op.create_index("ix_findings_found_cover", [*FOUND_COVER], unique=False)
        # Partial: the open findings (closed_at IS NULL) are served by ix_findings_open_due.
        batch_op.create_index("ix_findings_closed_at", [*CLOSED_COVER], unique=False,
                              sqlite_where=sa.text("closed_at IS NOT NULL"),
                              postgresql_where=sa.text("closed_at IS NOT NULL"))
        batch_op.create_index("ix_findings_first_due", [*FIRST_DUE_COVER], unique=False)
    # The triggers and the first fill come with migration 0005, which gives these tables their final key
    # (migrations/rollup_triggers.py describes that shape only).


def downgrade() -> None:
    rollup_triggers.drop(op.get_bind())
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_first_due")
        batch_op.drop_index("ix_findings_closed_at", sqlite_where=sa.text("closed_at IS NOT NULL"),
                            postgresql_where=sa.text("closed_at IS NOT NULL"))
        batch_op.drop_index("ix_findings_found_cover")
        batch_op.create_index("ix_findings_found_at", ["found_at"], unique=False)
    op.drop_table("open_due_days")
    op.drop_table("finding_days")
    op.drop_table("inspection_days")
