"""ledger import (issue 16): remembered column mappings, and sites whose location awaits checking

Revision ID: 0006_i16_ledger
Revises: 0005_i15_units
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_i16_ledger"
down_revision = "0005_i15_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A site imported without coordinates stands at its street's centre until someone places it (位置待核).
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("location_unverified", sa.Boolean(), server_default='0', nullable=False))
    op.create_table(
        "import_mappings",
        # sha256 of the target kind and the file's normalised headers: files with the same headers share it
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),  # file header -> our column key
        sa.Column("fixed", sa.JSON(), nullable=False),  # our column key -> value for every row
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_import_mappings")),
    )


def downgrade() -> None:
    op.drop_table("import_mappings")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("location_unverified")
