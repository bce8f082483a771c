"""responsible units (责任单位) as records, unit accounts, 交办单 letters, extension requests, reminder outbox

Revision ID: 0005_i15_units
Revises: 0004
Create Date: 2026-12-03 08:00:00

The free-text unit list becomes the ``units`` table: one row for every name configured
(``responsible_units``) or already used by a problem or a hand-over event, so existing problems keep
their unit. ``users.role`` gains ``unit`` (an account bound to one unit); lifecycle events gain the
extension steps. On SQLite the two CHECK changes rebuild ``users`` and ``finding_events`` (batch mode;
``gangwen_dash.migrate`` turns foreign keys off meanwhile and checks them before the commit).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_i15_units"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLES_OLD = "role IN ('chair', 'inspector', 'group_leader', 'secretariat')"
ROLES_NEW = "role IN ('chair', 'inspector', 'group_leader', 'secretariat', 'unit')"
EVENTS_OLD = "action IN ('发现', '交办', '整改回复', '复查通过', '复查未通过')"
EVENTS_NEW = "action IN ('发现', '交办', '整改回复', '复查通过', '复查未通过', '申请延期', '同意延期', '驳回延期')"


def _kind(name: str) -> str:
    if name.endswith("街道"):
        return "街道"
    if name in ("建设单位", "开发商") or name.endswith("公司"):
        return "建设单位"
    return "政府部门"


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), server_default="政府部门", nullable=False),
        sa.Column("contact", sa.String(40), server_default="", nullable=False),
        sa.Column("phone", sa.String(30), server_default="", nullable=False),
        sa.Column("notify_email", sa.String(200), server_default="", nullable=False),
        sa.Column("webhook_url", sa.String(500), server_default="", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("kind IN ('政府部门', '街道', '建设单位', '其他')", name=op.f("ck_units_kind_enum")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("name", name=op.f("uq_units_name")),
    )
    # Map the free-text list and every name in use to unit rows.
    from gangwen_dash.config import get_settings

    bind = op.get_bind()
    names = list(dict.fromkeys(get_settings().responsible_units))
    for sql in ("SELECT DISTINCT responsible_unit FROM findings",
                "SELECT DISTINCT responsible_unit FROM finding_events WHERE responsible_unit IS NOT NULL"):
        for (name,) in bind.execute(sa.text(sql)):
            if name and name not in names:
                names.append(name)
    units = sa.table("units", sa.column("name"), sa.column("kind"))
    if names:
        op.bulk_insert(units, [{"name": n[:40], "kind": _kind(n)} for n in names])

    with op.batch_alter_table("inspection_groups") as b:
        b.add_column(sa.Column("notify_email", sa.String(200), server_default="", nullable=False))
        b.add_column(sa.Column("webhook_url", sa.String(500), server_default="", nullable=False))

    with op.batch_alter_table("users", recreate="auto") as b:
        b.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        b.create_foreign_key(op.f("fk_users_unit_id_units"), "units", ["unit_id"], ["id"])
        b.create_index(op.f("ix_users_unit_id"), ["unit_id"], unique=False)
        b.drop_constraint(op.f("ck_users_role_enum"), type_="check")
        b.create_check_constraint(op.f("ck_users_role_enum"), sa.text(ROLES_NEW))
        b.create_check_constraint(op.f("ck_users_unit_required"), sa.text("(role = 'unit') = (unit_id IS NOT NULL)"))

    with op.batch_alter_table("finding_events") as b:
        b.drop_constraint(op.f("ck_finding_events_action_enum"), type_="check")
        b.create_check_constraint(op.f("ck_finding_events_action_enum"), sa.text(EVENTS_NEW))

    op.create_index("ix_findings_unit_status", "findings", ["responsible_unit", "status", "due_date"])

    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("current_due", sa.Date(), nullable=False),
        sa.Column("requested_due", sa.Date(), nullable=False),
        sa.Column("state", sa.String(4), server_default="待审批", nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("state IN ('待审批', '已同意', '已驳回')", name=op.f("ck_extension_requests_state_enum")),
        sa.CheckConstraint("requested_due > current_due", name=op.f("ck_extension_requests_later_due")),
        sa.CheckConstraint("(state = '待审批') = (decided_at IS NULL)",
                           name=op.f("ck_extension_requests_decided_consistent")),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], name=op.f("fk_extension_requests_finding_id_findings")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_extension_requests_requested_by_users")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_extension_requests_decided_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_requests")),
    )
    op.create_index(op.f("ix_extension_requests_finding_id"), "extension_requests", ["finding_id"])

    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.CheckConstraint("seq > 0", name=op.f("ck_letters_seq_positive")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_letters_unit_id_units")),
        sa.ForeignKeyConstraint(["group_id"], ["inspection_groups.id"],
                                name=op.f("fk_letters_group_id_inspection_groups")),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_letters_issued_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint("number", name=op.f("uq_letters_number")),
        sa.UniqueConstraint("year", "seq", name="uq_letters_year_seq"),
    )
    op.create_index(op.f("ix_letters_unit_id"), "letters", ["unit_id"])
    op.create_table(
        "letter_items",
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"], name=op.f("fk_letter_items_letter_id_letters")),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], name=op.f("fk_letter_items_finding_id_findings")),
        sa.PrimaryKeyConstraint("letter_id", "finding_id", name=op.f("pk_letter_items")),
    )
    op.create_index(op.f("ix_letter_items_finding_id"), "letter_items", ["finding_id"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("digest_date", sa.Date(), nullable=False),
        sa.Column("audience", sa.String(8), nullable=False),
        sa.Column("audience_id", sa.Integer(), nullable=False),
        sa.Column("audience_name", sa.String(60), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(4), server_default="待发送", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('待发送', '已发送', '发送失败')", name=op.f("ck_outbox_state_enum")),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name=op.f("ck_outbox_channel_enum")),
        sa.CheckConstraint("audience IN ('unit', 'group')", name=op.f("ck_outbox_audience_enum")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_attempts_nonneg")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    op.create_index(op.f("ix_outbox_digest_date"), "outbox", ["digest_date"])
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("letter_items")
    op.drop_table("letters")
    op.drop_table("extension_requests")
    op.drop_index("ix_findings_unit_status", table_name="findings")
    op.execute(sa.text("DELETE FROM finding_events WHERE action IN ('申请延期', '同意延期', '驳回延期')"))
    with op.batch_alter_table("finding_events") as b:
        b.drop_constraint(op.f("ck_finding_events_action_enum"), type_="check")
        b.create_check_constraint(op.f("ck_finding_events_action_enum"), sa.text(EVENTS_OLD))
    units_users = "(SELECT id FROM users WHERE role = 'unit')"
    op.execute(sa.text(f"DELETE FROM user_sessions WHERE user_id IN {units_users}"))
    op.execute(sa.text(f"UPDATE finding_events SET user_id = NULL WHERE user_id IN {units_users}"))
    op.execute(sa.text(f"UPDATE inspections SET created_by = NULL WHERE created_by IN {units_users}"))
    op.execute(sa.text("DELETE FROM users WHERE role = 'unit'"))
    with op.batch_alter_table("users") as b:
        b.drop_constraint(op.f("ck_users_unit_required"), type_="check")
        b.drop_constraint(op.f("ck_users_role_enum"), type_="check")
        b.create_check_constraint(op.f("ck_users_role_enum"), sa.text(ROLES_OLD))
        b.drop_index(op.f("ix_users_unit_id"))
        b.drop_constraint(op.f("fk_users_unit_id_units"), type_="foreignkey")
        b.drop_column("unit_id")
    with op.batch_alter_table("inspection_groups") as b:
        b.drop_column("webhook_url")
        b.drop_column("notify_email")
    op.drop_table("units")
