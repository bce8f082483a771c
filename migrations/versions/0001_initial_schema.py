"""initial schema: the whole data model, plus triggers that make audit_log append-only

Length: a migration is a frozen record of the schema as first released; it is never split or edited.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 05:09:59.547267
"""

from alembic import op
import sqlalchemy as sa

from migrations.audit_triggers import create_audit_triggers, drop_audit_triggers


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('form', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('owner', 'form', name='uq_drafts_owner_form')
    )
    op.create_table('duty_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('常委会集体学习', '机关学习', '界别学习研讨', '协商', '界别活动')", name=op.f('ck_duty_activities_kind_enum')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_activities')),
    sa.UniqueConstraint('title', 'held_on', name='uq_duty_activities_title_date')
    )
    with op.batch_alter_table('duty_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_activities_held_on'), ['held_on'], unique=False)

    op.create_table('inspection_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_inspection_groups_name'))
    )
    op.create_table('opinion_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('collector', sa.String(length=40), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=4), nullable=False),
    sa.Column('instructed', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status IN ('收集', '编报', '采用', '批示')", name=op.f('ck_opinion_items_status_enum')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion_items')),
    sa.UniqueConstraint('title', 'submitted_on', name='uq_opinion_items_title_date')
    )
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('proposer', sa.String(length=120), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('stage', sa.String(length=4), nullable=False),
    sa.Column('handling_unit', sa.String(length=60), server_default='', nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=True),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('result_code', sa.String(length=1), nullable=True),
    sa.Column('satisfaction', sa.String(length=4), nullable=True),
    sa.Column('is_key', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('is_excellent', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('lead_chair', sa.String(length=40), nullable=True),
    sa.Column('progress', sa.Text(), server_default='', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("result_code IS NULL OR result_code IN ('A', 'B', 'C')", name=op.f('ck_proposals_result_code_enum')),
    sa.CheckConstraint("satisfaction IS NULL OR satisfaction IN ('满意', '基本满意', '不满意')", name=op.f('ck_proposals_satisfaction_enum')),
    sa.CheckConstraint("stage IN ('提交', '立案', '不立案', '交办', '办理中', '已答复', '办结')", name=op.f('ck_proposals_stage_enum')),
    sa.CheckConstraint('NOT is_key OR lead_chair IS NOT NULL', name=op.f('ck_proposals_key_has_chair')),
    sa.CheckConstraint('replied_on IS NULL OR replied_on >= submitted_on', name=op.f('ck_proposals_replied_after_submitted')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('number', name=op.f('uq_proposals_number'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_submitted_on', ['submitted_on'], unique=False)

    op.create_table('streets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.CheckConstraint('(lat BETWEEN -90 AND 90)', name=op.f('ck_streets_lat_range')),
    sa.CheckConstraint('(lon BETWEEN -180 AND 180)', name=op.f('ck_streets_lon_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_streets')),
    sa.UniqueConstraint('name', name=op.f('uq_streets_name'))
    )
    op.create_table('weekly_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('iso_week', sa.String(length=8), nullable=False),
    sa.Column('next_week_plan', sa.Text(), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_notes')),
    sa.UniqueConstraint('iso_week', name=op.f('uq_weekly_notes_iso_week'))
    )
    op.create_table('consultation_rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('established_on', sa.Date(), nullable=False),
    sa.Column('is_pilot', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('街道', '村社区', '企业')", name=op.f('ck_consultation_rooms_kind_enum')),
    sa.CheckConstraint('(lat BETWEEN -90 AND 90)', name=op.f('ck_consultation_rooms_lat_range')),
    sa.CheckConstraint('(lon BETWEEN -180 AND 180)', name=op.f('ck_consultation_rooms_lon_range')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_consultation_rooms_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_rooms')),
    sa.UniqueConstraint('name', name=op.f('uq_consultation_rooms_name'))
    )
    with op.batch_alter_table('consultation_rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_rooms_street_id'), ['street_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['inspection_groups.id'], name=op.f('fk_members_group_id_inspection_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('name', name=op.f('uq_members_name'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_group_id'), ['group_id'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=200), server_default='', nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('builder', sa.String(length=120), server_default='', nullable=False),
    sa.Column('status', sa.String(length=10), server_default='在建', nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status IN ('在建', '停工', '竣工')", name=op.f('ck_sites_status_enum')),
    sa.CheckConstraint('(lat BETWEEN -90 AND 90)', name=op.f('ck_sites_lat_range')),
    sa.CheckConstraint('(lon BETWEEN -180 AND 180)', name=op.f('ck_sites_lon_range')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_sites_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('name', name=op.f('uq_sites_name'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_street_id'), ['street_id'], unique=False)

    op.create_table('activity_members',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['duty_activities.id'], name=op.f('fk_activity_members_activity_id_duty_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_activity_members_member_id_members')),
    sa.PrimaryKeyConstraint('activity_id', 'member_id', name=op.f('pk_activity_members'))
    )
    with op.batch_alter_table('activity_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_members_member_id'), ['member_id'], unique=False)

    op.create_table('livelihood_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=4), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('solved_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(status = '已解决') = (solved_on IS NOT NULL)", name=op.f('ck_livelihood_projects_solved_consistent')),
    sa.CheckConstraint("status IN ('推进中', '已解决')", name=op.f('ck_livelihood_projects_status_enum')),
    sa.CheckConstraint('solved_on IS NULL OR solved_on >= raised_on', name=op.f('ck_livelihood_projects_solved_after_raised')),
    sa.ForeignKeyConstraint(['room_id'], ['consultation_rooms.id'], name=op.f('fk_livelihood_projects_room_id_consultation_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livelihood_projects')),
    sa.UniqueConstraint('room_id', 'title', name='uq_livelihood_projects_room_title')
    )
    with op.batch_alter_table('livelihood_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_livelihood_projects_room_id'), ['room_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=40), server_default='', nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('must_change_password', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("role IN ('chair', 'inspector', 'group_leader', 'secretariat')", name=op.f('ck_users_role_enum')),
    sa.CheckConstraint("role NOT IN ('inspector', 'group_leader') OR group_id IS NOT NULL", name=op.f('ck_users_group_required')),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_users_failed_attempts_nonneg')),
    sa.ForeignKeyConstraint(['group_id'], ['inspection_groups.id'], name=op.f('fk_users_group_id_inspection_groups')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_users_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('inspected_at', sa.DateTime(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('location_source', sa.String(length=10), server_default='工地坐标', nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('日常督查', '抽查暗访')", name=op.f('ck_inspections_kind_enum')),
    sa.CheckConstraint("location_source IN ('工地坐标', '设备定位', '地图选点')", name=op.f('ck_inspections_location_source_enum')),
    sa.CheckConstraint('(lat BETWEEN -90 AND 90) OR lat IS NULL', name=op.f('ck_inspections_lat_range')),
    sa.CheckConstraint('(lon BETWEEN -180 AND 180) OR lon IS NULL', name=op.f('ck_inspections_lon_range')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_inspections_created_by_users')),
    sa.ForeignKeyConstraint(['group_id'], ['inspection_groups.id'], name=op.f('fk_inspections_group_id_inspection_groups')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_inspections_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_inspections_idempotency_key'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_group_time', ['group_id', 'inspected_at'], unique=False)
        batch_op.create_index('ix_inspections_inspected_at', ['inspected_at'], unique=False)
        batch_op.create_index('ix_inspections_site_time', ['site_id', 'inspected_at'], unique=False)

    op.create_table('checklist_results',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=4), nullable=False),
    sa.Column('result', sa.String(length=6), nullable=False),
    sa.CheckConstraint("item IN ('S1', 'S2', 'S3', 'S4', 'S5', 'S6')", name=op.f('ck_checklist_results_item_enum')),
    sa.CheckConstraint("result IN ('符合', '不符合', '不适用')", name=op.f('ck_checklist_results_result_enum')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_checklist_results_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inspection_id', 'item', name=op.f('pk_checklist_results'))
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('severity', sa.String(length=4), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('responsible_unit', sa.String(length=40), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('first_due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=6), server_default='待交办', nullable=False),
    sa.Column('handed_over_at', sa.DateTime(), nullable=True),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('rechecked_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('recheck_failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reply_text', sa.Text(), server_default='', nullable=False),
    sa.Column('verified_on_site', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('photo_flagged', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(status = '已销号') = (closed_at IS NOT NULL)", name=op.f('ck_findings_closed_consistent')),
    sa.CheckConstraint("category IN ('S1', 'S2', 'S3', 'S4', 'S5', 'S6', '监测监控', '喷淋雾炮', '夜间施工', '公示牌台账', '其他')", name=op.f('ck_findings_category_enum')),
    sa.CheckConstraint("severity IN ('一般', '较重', '严重')", name=op.f('ck_findings_severity_enum')),
    sa.CheckConstraint("status IN ('待交办', '整改中', '待复查', '已销号')", name=op.f('ck_findings_status_enum')),
    sa.CheckConstraint('recheck_failures >= 0', name=op.f('ck_findings_recheck_failures_nonneg')),
    sa.ForeignKeyConstraint(['group_id'], ['inspection_groups.id'], name=op.f('fk_findings_group_id_inspection_groups')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_findings_inspection_id_inspections')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_findings_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_found_at', ['found_at'], unique=False)
        batch_op.create_index('ix_findings_group_found', ['group_id', 'found_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index('ix_findings_open_due', ['due_date', 'category'], unique=False, postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
        batch_op.create_index('ix_findings_site_found', ['site_id', 'found_at'], unique=False)

    op.create_table('inspection_members',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_members_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_inspection_members_member_id_members')),
    sa.PrimaryKeyConstraint('inspection_id', 'member_id', name=op.f('pk_inspection_members'))
    )
    with op.batch_alter_table('inspection_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_members_member_id'), ['member_id'], unique=False)

    op.create_table('finding_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=6), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('responsible_unit', sa.String(length=40), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.CheckConstraint("action IN ('发现', '交办', '整改回复', '复查通过', '复查未通过')", name=op.f('ck_finding_events_action_enum')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_events_finding_id_findings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_finding_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_events'))
    )
    with op.batch_alter_table('finding_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_events_finding_id'), ['finding_id'], unique=False)

    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('thumb_path', sa.String(length=300), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('exif_time', sa.DateTime(), nullable=True),
    sa.Column('exif_lat', sa.Float(), nullable=True),
    sa.Column('exif_lon', sa.Float(), nullable=True),
    sa.Column('check_result', sa.String(length=6), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("check_result IN ('现场核验', '位置不符', '时间不符', '无定位信息')", name=op.f('ck_photos_check_result_enum')),
    sa.CheckConstraint("kind IN ('整改前', '整改后')", name=op.f('ck_photos_kind_enum')),
    sa.CheckConstraint('(exif_lat BETWEEN -90 AND 90) OR exif_lat IS NULL', name=op.f('ck_photos_exif_lat_range')),
    sa.CheckConstraint('(exif_lon BETWEEN -180 AND 180) OR exif_lon IS NULL', name=op.f('ck_photos_exif_lon_range')),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_photos_size_positive')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_photos_finding_id_findings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_finding_id'), ['finding_id'], unique=False)


    create_audit_triggers()


def downgrade() -> None:
    drop_audit_triggers()
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_finding_id'))

    op.drop_table('photos')
    with op.batch_alter_table('finding_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_events_finding_id'))

    op.drop_table('finding_events')
    with op.batch_alter_table('inspection_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_members_member_id'))

    op.drop_table('inspection_members')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_site_found')
        batch_op.drop_index('ix_findings_open_due', postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_findings_inspection_id'))
        batch_op.drop_index('ix_findings_group_found')
        batch_op.drop_index('ix_findings_found_at')

    op.drop_table('findings')
    op.drop_table('checklist_results')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_site_time')
        batch_op.drop_index('ix_inspections_inspected_at')
        batch_op.drop_index('ix_inspections_group_time')

    op.drop_table('inspections')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')

    op.drop_table('audit_log')
    op.drop_table('users')
    with op.batch_alter_table('livelihood_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_livelihood_projects_room_id'))

    op.drop_table('livelihood_projects')
    with op.batch_alter_table('activity_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_members_member_id'))

    op.drop_table('activity_members')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_street_id'))

    op.drop_table('sites')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_group_id'))

    op.drop_table('members')
    with op.batch_alter_table('consultation_rooms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_rooms_street_id'))

    op.drop_table('consultation_rooms')
    op.drop_table('weekly_notes')
    op.drop_table('streets')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_submitted_on')

    op.drop_table('proposals')
    op.drop_table('opinion_items')
    op.drop_table('inspection_groups')
    with op.batch_alter_table('duty_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_activities_held_on'))

    op.drop_table('duty_activities')
    op.drop_table('drafts')
