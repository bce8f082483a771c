"""Lists for the secretariat's records page: one kind at a time, searched and bounded in SQL.

``listing(session, entity, search, limit)`` returns id, version and the kind's own columns (with
names instead of foreign keys). ``options(session, ref)`` gives (id, name) pairs for pickers;
``load_for_edit`` one record's values for its edit form (the kinds are the data of ``services.record_kinds``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from gangwen_dash.models import (
    ConsultationRoom,
    DutyActivity,
    InspectionGroup,
    LivelihoodProject,
    Member,
    OpinionItem,
    Proposal,
    Site,
    Street,
    Unit,
    User,
    activity_members,
)
from gangwen_dash.services.base import NotFound
from gangwen_dash.services.record_kinds import record_snapshot, spec

LIMIT = 200


def _columns(entity: str):
    """(select columns, Chinese headers, searchable columns, order, joins) per kind."""
    if entity == "group":
        return ([InspectionGroup.id, InspectionGroup.version, InspectionGroup.name, InspectionGroup.sort_order],
                ["督查组名称", "排序"], [InspectionGroup.name], InspectionGroup.sort_order, [])
    if entity == "member":
        return ([Member.id, Member.version, Member.name, Member.sector, InspectionGroup.name, Member.phone,
                 Member.is_active], ["姓名", "界别", "督查组", "电话", "在职"], [Member.name, Member.sector],
                Member.id, [(InspectionGroup, InspectionGroup.id == Member.group_id)])
    if entity == "site":
        return ([Site.id, Site.version, Site.name, Street.name, Site.address, Site.lat, Site.lon, Site.builder,
                 Site.status, Site.location_unverified],
                ["工地名称", "所属街道", "地址", "纬度", "经度", "建设单位", "状态", "位置待核"],
                [Site.name, Site.address, Site.builder], Site.id, [(Street, Street.id == Site.street_id)])
    if entity == "room":
        return ([ConsultationRoom.id, ConsultationRoom.version, ConsultationRoom.name, Street.name,
                 ConsultationRoom.kind, ConsultationRoom.established_on, ConsultationRoom.is_pilot],
                ["名称", "所属街道", "类型", "设立日期", "首批试点"], [ConsultationRoom.name], ConsultationRoom.id,
                [(Street, Street.id == ConsultationRoom.street_id)])
    if entity == "project":
        return ([LivelihoodProject.id, LivelihoodProject.version, LivelihoodProject.title, ConsultationRoom.name,
                 LivelihoodProject.status, LivelihoodProject.raised_on, LivelihoodProject.solved_on],
                ["项目名称", "协商议事室", "状态", "提出日期", "解决日期"], [LivelihoodProject.title,
                                                                  ConsultationRoom.name],
                LivelihoodProject.id, [(ConsultationRoom, ConsultationRoom.id == LivelihoodProject.room_id)])
    if entity == "proposal":
        return ([Proposal.id, Proposal.version, Proposal.number, Proposal.title, Proposal.proposer,
                 Proposal.submitted_on, Proposal.stage, Proposal.handling_unit, Proposal.result_code,
                 Proposal.satisfaction, Proposal.is_key, Proposal.is_excellent],
                ["提案编号", "标题", "提案人", "提交日期", "办理阶段", "承办单位", "办理结果", "满意度", "重点提案",
                 "优秀提案"], [Proposal.number, Proposal.title, Proposal.proposer], Proposal.number, [])
    if entity == "opinion":
        return ([OpinionItem.id, OpinionItem.version, OpinionItem.title, OpinionItem.collector,
                 OpinionItem.submitted_on, OpinionItem.status, OpinionItem.instructed],
                ["标题", "收集人", "报送日期", "状态", "领导批示"], [OpinionItem.title, OpinionItem.collector],
                OpinionItem.submitted_on, [])
    if entity == "activity":
        n = (select(func.count()).select_from(activity_members)
             .where(activity_members.c.activity_id == DutyActivity.id).scalar_subquery())
        return ([DutyActivity.id, DutyActivity.version, DutyActivity.title, DutyActivity.kind, DutyActivity.held_on,
                 n], ["活动名称", "类型", "日期", "参加人数"], [DutyActivity.title], DutyActivity.held_on, [])
    if entity == "unit":
        return ([Unit.id, Unit.version, Unit.name, Unit.kind, Unit.contact, Unit.phone, Unit.notify_email,
                 Unit.webhook_url, Unit.is_active],
                ["单位名称", "类型", "联系人", "电话", "提醒邮箱", "群机器人地址", "启用"], [Unit.name, Unit.contact],
                Unit.id, [])
    if entity == "user":
        return ([User.id, User.version, User.username, User.display_name, User.role, InspectionGroup.name,
                 Unit.name, User.is_active, User.must_change_password, User.locked_until],
                ["用户名", "姓名", "角色", "督查组", "责任单位", "启用", "须改密码", "锁定至"],
                [User.username, User.display_name],
                User.id, [(InspectionGroup, InspectionGroup.id == User.group_id), (Unit, Unit.id == User.unit_id)])
    raise ValueError(f"unknown entity {entity}")


def listing(session: Session, entity: str, search: str = "", limit: int = LIMIT) -> pd.DataFrame:
    cols, headers, searchable, order, joins = _columns(entity)
    stmt = select(*cols)
    for model, on in joins:
        stmt = stmt.outerjoin(model, on)
    text = (search or "").strip()
    if text:
        pattern = f"%{text}%"
        stmt = stmt.where(or_(*[cast(c, String).like(pattern) for c in searchable]))
    rows = session.execute(stmt.order_by(order).limit(limit)).all()
    return pd.DataFrame(rows, columns=["id", "version", *headers])


def options(session: Session, ref: str) -> list[tuple[int, str]]:
    model = {"street": Street, "group": InspectionGroup, "room": ConsultationRoom, "member": Member,
             "site": Site, "unit": Unit}[ref]
    label = model.name
    return [(i, n) for i, n in session.execute(select(model.id, label).order_by(model.id)).all()]


def count(session: Session, entity: str) -> int:
    cols, *_ = _columns(entity)
    model = cols[0].class_
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def load_for_edit(session: Session, entity: str, record_id: int) -> dict[str, Any]:
    """Current values of one record of a kind in ``services.record_kinds`` (with ``id`` and ``version``), as
    its edit form starts from them; raises ``NotFound`` with a Chinese sentence when it is gone."""
    s = spec(entity)
    obj = session.get(s.model, record_id)
    if obj is None:
        raise NotFound(f"{s.label}（编号 {record_id}）不存在或已被删除")
    keep = {f.name for f in s.fields} | {"id", "version"}
    return {k: v for k, v in record_snapshot(obj).items() if k in keep}
