"""The kinds of record the secretariat manages (issue 5): per kind the ORM model, the permission action, a
pydantic command (Chinese validation messages, fields from ``services.validators``) and the form fields —
the data both the records services (``services.records``) and the records page (``ui.records``) work from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from gangwen_dash import domain
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
)
from gangwen_dash.services import validators as v
from gangwen_dash.services.base import NotFound, snapshot
from gangwen_dash.services.validators import Choice, Email, OptionalChoice, OptionalText, Text, Webhook


class Command(BaseModel):
    """Base of the commands: ``today`` bounds dates (no record of the future)."""

    model_config = ConfigDict(extra="forbid")
    today: date = date.max  # set by the service; date.max disables the check for callers that pass none

    def values(self) -> dict[str, Any]:
        return self.model_dump(exclude={"today"})


class GroupCmd(Command):
    name: Text("督查组名称", v.SHORT)
    sort_order: int = 0
    notify_email: Email = ""
    webhook_url: Webhook = ""


class UnitCmd(Command):
    name: Text("单位名称", v.SHORT)
    kind: Choice("类型", domain.UNIT_KINDS) = domain.UNIT_KINDS[0]
    contact: Text("联系人", v.SHORT, required=False) = ""
    phone: Text("电话", v.PHONE, required=False) = ""
    notify_email: Email = ""
    webhook_url: Webhook = ""
    is_active: bool = True


class MemberCmd(Command):
    name: Text("姓名", v.SHORT)
    sector: Text("界别", v.SHORT)
    group_id: int | None = None
    phone: OptionalText("电话", v.PHONE) = None
    is_active: bool = True


class SiteCmd(Command):
    """A site's rules; 登记工地 on the entry page (``services.sites``) uses the same field types."""

    name: v.SiteName
    street_id: int
    address: v.SiteAddress = ""
    lat: float
    lon: float
    builder: v.Builder = ""
    status: Choice("状态", domain.SITE_STATUSES) = "在建"

    @model_validator(mode="after")
    def _coords(self):
        v.in_district(self.lat, self.lon)
        return self


class RoomCmd(Command):
    name: Text("议事室名称", v.NAME)
    street_id: int
    kind: Choice("类型", domain.ROOM_KINDS)
    lat: float
    lon: float
    established_on: date
    is_pilot: bool = False

    @model_validator(mode="after")
    def _check(self):
        v.in_district(self.lat, self.lon)
        v.not_future(self.established_on, "设立日期", self.today)
        return self


class ProjectCmd(Command):
    room_id: int
    title: Text("项目名称", v.TITLE)
    status: Choice("状态", domain.PROJECT_STATUSES)
    raised_on: date
    solved_on: date | None = None

    @model_validator(mode="after")
    def _check(self):
        v.not_future(self.raised_on, "提出日期", self.today)
        v.not_future(self.solved_on, "解决日期", self.today)
        if self.status == "已解决" and self.solved_on is None:
            raise ValueError("状态为已解决时须填写解决日期")
        if self.status != "已解决" and self.solved_on is not None:
            raise ValueError("填写了解决日期时状态应为已解决")
        if self.solved_on and self.solved_on < self.raised_on:
            raise ValueError(f"解决日期 {self.solved_on} 早于提出日期 {self.raised_on}")
        return self


class ProposalCmd(Command):
    number: Text("提案编号", v.NUMBER)
    title: Text("提案标题", v.TITLE)
    proposer: Text("提案人", v.NAME)
    submitted_on: date
    stage: Choice("办理阶段", domain.PROPOSAL_STAGES)
    handling_unit: Text("承办单位", v.UNIT_NAME, required=False) = ""
    assigned_on: date | None = None
    replied_on: date | None = None
    result_code: OptionalChoice("办理结果", domain.RESULT_CODES) = None
    satisfaction: OptionalChoice("满意度", domain.SATISFACTION) = None
    is_key: bool = False
    is_excellent: bool = False
    lead_chair: OptionalText("领衔主席", v.SHORT) = None
    progress: Text("办理进展", v.PROGRESS, required=False) = ""

    @model_validator(mode="after")
    def _check(self):
        for day, label in ((self.submitted_on, "提交日期"), (self.assigned_on, "交办日期"),
                           (self.replied_on, "答复日期")):
            v.not_future(day, label, self.today)
        if self.replied_on and self.replied_on < self.submitted_on:
            raise ValueError(f"答复日期 {self.replied_on} 早于提交日期 {self.submitted_on}")
        if self.assigned_on and self.assigned_on < self.submitted_on:
            raise ValueError(f"交办日期 {self.assigned_on} 早于提交日期 {self.submitted_on}")
        if self.is_key and not self.lead_chair:
            raise ValueError("重点提案须填写领衔主席")
        return self


class OpinionCmd(Command):
    title: Text("标题", v.TITLE)
    collector: Text("收集人", v.SHORT)
    submitted_on: date
    status: Choice("状态", domain.OPINION_STATUSES)
    instructed: bool = False

    @model_validator(mode="after")
    def _check(self):
        v.not_future(self.submitted_on, "报送日期", self.today)
        return self


class ActivityCmd(Command):
    title: Text("活动名称", v.TITLE)
    kind: Choice("类型", domain.ACTIVITY_KINDS)
    held_on: date
    member_ids: list[int] = []

    @model_validator(mode="after")
    def _check(self):
        v.not_future(self.held_on, "活动日期", self.today)
        return self


# --------------------------------------------------------------------------- entity specs


@dataclass(frozen=True)
class Field:
    """One form field. kind: text, longtext, int, float, date, bool, choice, ref (one id), refs (ids)."""

    name: str
    label: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    ref: str | None = None  # for ref/refs: the referenced kind ("street", "group", "room", "member")
    required: bool = True


@dataclass(frozen=True)
class EntitySpec:
    entity: str  # audit entity name
    label: str  # Chinese noun
    model: type
    action: str
    command: type[Command]
    fields: tuple[Field, ...]
    title_attr: str
    unique: tuple[str, ...] = ()  # natural key columns (for a friendly duplicate message)


SPECS: dict[str, EntitySpec] = {
    s.entity: s
    for s in (
        EntitySpec("group", "督查组", InspectionGroup, "group.manage", GroupCmd,
                   (Field("name", "督查组名称"), Field("sort_order", "排序", "int"),
                    Field("notify_email", "组长提醒邮箱（多个用 ; 分隔）", required=False),
                    Field("webhook_url", "群机器人地址（企业微信/钉钉）", required=False)), "name", ("name",)),
        EntitySpec("unit", "责任单位", Unit, "unit.manage", UnitCmd,
                   (Field("name", "单位名称"), Field("kind", "类型", "choice", domain.UNIT_KINDS),
                    Field("contact", "联系人", required=False), Field("phone", "电话", required=False),
                    Field("notify_email", "提醒邮箱（多个用 ; 分隔）", required=False),
                    Field("webhook_url", "群机器人地址（企业微信/钉钉）", required=False),
                    Field("is_active", "启用", "bool")), "name", ("name",)),
        EntitySpec("member", "委员", Member, "member.manage", MemberCmd,
                   (Field("name", "姓名"), Field("sector", "界别"),
                    Field("group_id", "督查组", "ref", ref="group", required=False),
                    Field("phone", "电话", required=False), Field("is_active", "在职", "bool")), "name", ("name",)),
        EntitySpec("site", "工地", Site, "site.manage", SiteCmd,
                   (Field("name", "工地名称"), Field("street_id", "所属街道", "ref", ref="street"),
                    Field("address", "地址", required=False), Field("lat", "纬度", "float"),
                    Field("lon", "经度", "float"), Field("builder", "建设单位", required=False),
                    Field("status", "状态", "choice", domain.SITE_STATUSES)), "name", ("name",)),
        EntitySpec("room", "协商议事室", ConsultationRoom, "room.manage", RoomCmd,
                   (Field("name", "名称"), Field("street_id", "所属街道", "ref", ref="street"),
                    Field("kind", "类型", "choice", domain.ROOM_KINDS), Field("lat", "纬度", "float"),
                    Field("lon", "经度", "float"), Field("established_on", "设立日期", "date"),
                    Field("is_pilot", "首批试点", "bool")), "name", ("name",)),
        EntitySpec("project", "民生项目", LivelihoodProject, "project.manage", ProjectCmd,
                   (Field("room_id", "协商议事室", "ref", ref="room"), Field("title", "项目名称"),
                    Field("status", "状态", "choice", domain.PROJECT_STATUSES),
                    Field("raised_on", "提出日期", "date"),
                    Field("solved_on", "解决日期", "date", required=False)), "title", ("room_id", "title")),
        EntitySpec("proposal", "提案", Proposal, "proposal.manage", ProposalCmd,
                   (Field("number", "提案编号"), Field("title", "标题"), Field("proposer", "提案人"),
                    Field("submitted_on", "提交日期", "date"),
                    Field("stage", "办理阶段", "choice", domain.PROPOSAL_STAGES),
                    Field("handling_unit", "承办单位", required=False),
                    Field("assigned_on", "交办日期", "date", required=False),
                    Field("replied_on", "答复日期", "date", required=False),
                    Field("result_code", "办理结果", "choice", domain.RESULT_CODES, required=False),
                    Field("satisfaction", "满意度", "choice", domain.SATISFACTION, required=False),
                    Field("is_key", "重点提案", "bool"), Field("is_excellent", "优秀提案", "bool"),
                    Field("lead_chair", "领衔主席", required=False),
                    Field("progress", "办理进展", "longtext", required=False)), "title", ("number",)),
        EntitySpec("opinion", "社情民意", OpinionItem, "opinion.manage", OpinionCmd,
                   (Field("title", "标题"), Field("collector", "收集人"),
                    Field("submitted_on", "报送日期", "date"),
                    Field("status", "状态", "choice", domain.OPINION_STATUSES),
                    Field("instructed", "领导批示", "bool")), "title", ("title", "submitted_on")),
        EntitySpec("activity", "履职活动", DutyActivity, "activity.manage", ActivityCmd,
                   (Field("title", "活动名称"), Field("kind", "类型", "choice", domain.ACTIVITY_KINDS),
                    Field("held_on", "日期", "date"),
                    Field("member_ids", "参加委员", "refs", ref="member", required=False)), "title",
                   ("title", "held_on")),
    )
}

REF_MODELS = {"street": Street, "group": InspectionGroup, "room": ConsultationRoom, "member": Member}
REF_LABELS = {"street": "街道", "group": "督查组", "room": "协商议事室", "member": "委员"}


def spec(entity: str) -> EntitySpec:
    try:
        return SPECS[entity]
    except KeyError:
        raise NotFound(f"未知的记录类型“{entity}”") from None


def field_labels(entity: str) -> dict[str, str]:
    labels = {f.name: f.label for f in spec(entity).fields}
    labels.setdefault("version", "版本")
    return labels


def record_snapshot(obj) -> dict[str, Any]:
    """Column values plus many-to-many member ids (activities), for audit and stale-edit diffs."""
    snap = snapshot(obj)
    if isinstance(obj, DutyActivity):
        snap["member_ids"] = sorted(m.id for m in obj.members)
    return snap
