"""map site cards from indexes: open findings by site; a group's latest inspection of a site

Revision ID: 0008_i14_maps
Revises: 0007_i14
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from gangwen_dash.models import OPEN_SITE_COLUMNS

revision = "0008_i14_maps"
down_revision = "0007_i14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_findings_open_site", "findings", [*OPEN_SITE_COLUMNS], unique=False,
                    sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL"))
    op.create_index("ix_inspections_site_group_time", "inspections", ["site_id", "group_id", "inspected_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_inspections_site_group_time", table_name="inspections")
    op.drop_index("ix_findings_open_site", table_name="findings")
