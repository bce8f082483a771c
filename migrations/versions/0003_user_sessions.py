"""server-side sign-in sessions (a hashed token per browser, named by an HttpOnly cookie); data version

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        # sha256 of the browser's token (or, until the cookie is set, of the one-time hand-off code)
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("handoff_hash", sa.String(64), nullable=True),
        sa.Column("handoff_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("idle_expires_at", sa.DateTime(), nullable=False),
        sa.Column("absolute_expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(20), nullable=True),
        # the user's credential version when signed in: a password change or reset ends the session
        sa.Column("user_version", sa.Integer(), nullable=False),
        sa.Column("user_agent", sa.String(200), server_default="", nullable=False),
        sa.Column("method", sa.String(10), server_default="password", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
        sa.UniqueConstraint("handoff_hash", name=op.f("uq_user_sessions_handoff_hash")),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    # One row. data_version is bumped in every business write's transaction and read on every rerun, so
    # several app processes drop their cached reads as soon as any of them (or the CLI) has written;
    # demo_loaded makes every page show the 演示数据 badge.
    op.create_table(
        "app_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("demo_loaded", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_state")),
    )
    op.execute("INSERT INTO app_state (id, data_version, demo_loaded) VALUES (1, 0, false)")
    op.add_column("users", sa.Column("credentials_version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("credentials_version")
    op.drop_table("app_state")
    op.drop_index("ix_user_sessions_user_id", table_name="user_sessions")
    op.drop_table("user_sessions")
