"""The audit trail, read side: one record's history (who, when, what changed) and recent activity.

``history(session, entity, entity_id)`` returns one row per audit entry of that record, oldest first,
with columns ``at, username, action, changes``: ``action`` in Chinese, ``changes`` as
"字段：旧值 → 新值" lines computed from the stored before/after snapshots. Reads go through the
``(entity, entity_id)`` index. Audit rows are never edited or deleted (database triggers refuse it).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gangwen_dash.models import AuditLog

COLUMNS = ["at", "username", "action", "changes"]

# Entities whose history the records page offers, with their Chinese names.
ENTITY_LABELS = {
    "site": "工地", "inspection": "督查记录", "finding": "问题", "project": "民生项目", "proposal": "提案",
    "member": "委员", "group": "督查组", "room": "协商议事室", "opinion": "社情民意", "activity": "履职活动",
    "user": "用户", "weekly_note": "下周安排",
}

VERB_LABELS = {
    "create": "新建", "update": "修改", "import": "Excel导入", "register": "登记", "record": "录入",
    "hand_over": "交办", "reply": "整改回复", "recheck": "复查", "close": "销号", "save": "保存",
    "reset_password": "重置密码", "password_changed": "修改密码", "signed_in": "登录", "failed": "登录失败",
    "locked": "锁定期间尝试登录",
}

# Bookkeeping columns not worth showing as changes.
_HIDDEN = {"version", "id", "password_hash", "updated_at"}

FIELD_LABELS = {
    "name": "名称", "street_id": "街道", "address": "地址", "lat": "纬度", "lon": "经度", "builder": "建设单位",
    "status": "状态", "sector": "界别", "group_id": "督查组", "phone": "电话", "is_active": "在职/启用",
    "kind": "类型", "established_on": "设立日期", "is_pilot": "首批试点", "room_id": "协商议事室",
    "title": "标题", "raised_on": "提出日期", "solved_on": "解决日期", "number": "编号", "proposer": "提案人",
    "submitted_on": "提交日期", "stage": "办理阶段", "handling_unit": "承办单位", "assigned_on": "交办日期",
    "replied_on": "答复日期", "result_code": "办理结果", "satisfaction": "满意度", "is_key": "重点提案",
    "is_excellent": "优秀提案", "lead_chair": "领衔主席", "progress": "办理进展", "collector": "收集人",
    "instructed": "领导批示", "held_on": "日期", "member_ids": "参加委员", "inspected_at": "督查时间",
    "notes": "备注", "category": "问题类别", "severity": "严重程度", "description": "问题描述",
    "responsible_unit": "责任单位", "due_date": "整改期限", "first_due_date": "首次整改期限",
    "handed_over_at": "交办时间", "replied_at": "回复时间", "rechecked_at": "复查时间", "closed_at": "销号时间",
    "recheck_failures": "复查未通过次数", "reply_text": "回复内容", "username": "用户名", "display_name": "姓名",
    "role": "角色", "must_change_password": "须改密码", "failed_attempts": "连续输错次数",
    "locked_until": "锁定至", "next_week_plan": "下周安排", "sort_order": "排序", "member_id": "对应委员",
}


def action_label(action: str) -> str:
    entity, _, verb = action.partition(".")
    return f"{VERB_LABELS.get(verb, verb or entity)}{ENTITY_LABELS.get(entity, '') if verb else ''}"


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def describe(before: dict | None, after: dict | None) -> str:
    """Human-readable change lines from two snapshots."""
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*after, *before]) if k not in _HIDDEN]
    lines = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = FIELD_LABELS.get(key, key)
        if not before:
            lines.append(f"{label}：{_fmt(new)}")
        else:
            lines.append(f"{label}：{_fmt(old)} → {_fmt(new)}")
    return "\n".join(lines)


def history(session: Session, entity: str, entity_id: int, limit: int = 500) -> pd.DataFrame:
    rows = session.execute(
        select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.before, AuditLog.after)
        .where(AuditLog.entity == entity, AuditLog.entity_id == entity_id)
        .order_by(AuditLog.id)
        .limit(limit)
    ).all()
    data = [(at, username, action_label(action), describe(before, after))
            for at, username, action, before, after in rows]
    return pd.DataFrame(data, columns=COLUMNS)


def recent(session: Session, limit: int = 200) -> pd.DataFrame:
    """The latest audit entries (newest first) across all records."""
    rows = session.execute(
        select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.entity, AuditLog.entity_id)
        .order_by(AuditLog.id.desc()).limit(limit)
    ).all()
    data = [(at, u, action_label(a), ENTITY_LABELS.get(e, e), eid) for at, u, a, e, eid in rows]
    return pd.DataFrame(data, columns=["at", "username", "action", "entity", "entity_id"])


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditLog)).scalar_one()
