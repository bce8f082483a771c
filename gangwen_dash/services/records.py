"""Secretariat management of the reference records: groups, members, sites, rooms, projects, proposals,
opinion items and duty activities (issue 5).

Each kind is an ``EntitySpec``: the ORM model, the permission action, a pydantic command (Chinese
validation messages) and the form fields the records page draws. ``create`` and ``update`` are the
services: permission check, validation, ONE transaction, an audit row with before/after snapshots.
``update`` takes the version the form was opened at; a stale edit is refused with ``StaleEdit``
listing what changed meanwhile (field: old → new) and who changed it, never silently overwritten.

The Excel import (``gangwen_dash.exchange``) validates its rows with the same commands, so a rule
holds whichever door the data comes in by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.config import local_today
from gangwen_dash.db import write_session
from gangwen_dash.domain import geo
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
from gangwen_dash.services.base import (
    Actor,
    NotFound,
    ValidationFailed,
    _jsonable,
    audit,
    bump_version,
    check_version,
    require,
    snapshot,
    validation_errors,
)

# --------------------------------------------------------------------------- validation helpers


def _text(value: Any, label: str, max_len: int, *, required: bool = True) -> str:
    """Trim surrounding blanks; everything else is stored verbatim (markup is rendered inert on output)."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValueError(f"{label}不能为空")
    if len(text) > max_len:
        raise ValueError(f"{label}不能超过 {max_len} 字（当前 {len(text)} 字）")
    return text


def Text(label: str, max_len: int, *, required: bool = True):
    """A trimmed text field with its Chinese label and length limit (validated by ``_text``)."""
    return Annotated[str, BeforeValidator(lambda v: _text(v, label, max_len, required=required))]


def _choice(v: str, label: str, options: tuple[str, ...]) -> str:
    if v not in options:
        raise ValueError(f"{label}应为 {'/'.join(options)} 之一")
    return v


def Choice(label: str, options: tuple[str, ...]):
    """One of ``options`` (a domain vocabulary), refused with "{label}应为 …之一"."""
    return Annotated[str, AfterValidator(lambda v: _choice(v, label, options))]


def _not_future(day: date | None, label: str, today: date) -> None:
    if day is not None and day > today:
        raise ValueError(f"{label} {day} 晚于今天，不能是将来的日期")


def _in_district(lat: float, lon: float) -> None:
    if not geo.in_district(lat, lon):
        raise ValueError(geo.outside_district_message(lat, lon))


class Command(BaseModel):
    """Base of the commands: ``today`` bounds dates (no record of the future)."""

    model_config = ConfigDict(extra="forbid")
    today: date = date.max  # set by the service; date.max disables the check for callers that pass none

    def values(self) -> dict[str, Any]:
        return self.model_dump(exclude={"today"})


def _addresses(value: Any, kind: str) -> str:
    """Reminder addresses (issue 15): e-mail addresses or webhook URLs, several separated by “;”."""
    text = _text(value, "提醒邮箱" if kind == "email" else "群机器人地址", 200 if kind == "email" else 500,
                 required=False)
    for part in [p.strip() for p in text.replace("；", ";").split(";") if p.strip()]:
        if kind == "email" and ("@" not in part or " " in part):
            raise ValueError(f"“{part}”不是有效的邮箱地址")
        if kind == "webhook" and not part.lower().startswith(("https://", "http://")):
            raise ValueError(f"群机器人地址应以 https:// 开头（“{part}”）")
    return text


Email = Annotated[str, BeforeValidator(lambda v: _addresses(v, "email"))]
Webhook = Annotated[str, BeforeValidator(lambda v: _addresses(v, "webhook"))]


class GroupCmd(Command):
    name: Text("督查组名称", 40)
    sort_order: int = 0
    notify_email: Email = ""
    webhook_url: Webhook = ""


class UnitCmd(Command):
    name: Text("单位名称", 40)
    kind: str = domain.UNIT_KINDS[0]
    contact: Text("联系人", 40, required=False) = ""
    phone: Text("电话", 30, required=False) = ""
    notify_email: Email = ""
    webhook_url: Webhook = ""
    is_active: bool = True

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in domain.UNIT_KINDS:
            raise ValueError(f"类型应为 {'/'.join(domain.UNIT_KINDS)} 之一")
        return v


class MemberCmd(Command):
    name: Text("姓名", 40)
    sector: Text("界别", 40)
    group_id: int | None = None
    phone: str | None = None
    is_active: bool = True

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, v):
        text = _text(v, "电话", 30, required=False)
        return text or None


class SiteCmd(Command):
    name: Text("工地名称", 120)
    street_id: int
    address: Text("地址", 200, required=False) = ""
    lat: float
    lon: float
    builder: Text("建设单位", 120, required=False) = ""
    status: Choice("状态", domain.SITE_STATUSES) = "在建"

    @model_validator(mode="after")
    def _coords(self):
        _in_district(self.lat, self.lon)
        return self


class RoomCmd(Command):
    name: Text("议事室名称", 120)
    street_id: int
    kind: Choice("类型", domain.ROOM_KINDS)
    lat: float
    lon: float
    established_on: date
    is_pilot: bool = False

    @model_validator(mode="after")
    def _check(self):
        _in_district(self.lat, self.lon)
        _not_future(self.established_on, "设立日期", self.today)
        return self


class ProjectCmd(Command):
    room_id: int
    title: Text("项目名称", 200)
    status: Choice("状态", domain.PROJECT_STATUSES)
    raised_on: date
    solved_on: date | None = None

    @model_validator(mode="after")
    def _check(self):
        _not_future(self.raised_on, "提出日期", self.today)
        _not_future(self.solved_on, "解决日期", self.today)
        if self.status == "已解决" and self.solved_on is None:
            raise ValueError("状态为已解决时须填写解决日期")
        if self.status != "已解决" and self.solved_on is not None:
            raise ValueError("填写了解决日期时状态应为已解决")
        if self.solved_on and self.solved_on < self.raised_on:
            raise ValueError(f"解决日期 {self.solved_on} 早于提出日期 {self.raised_on}")
        return self


class ProposalCmd(Command):
    number: Text("提案编号", 20)
    title: Text("提案标题", 200)
    proposer: Text("提案人", 120)
    submitted_on: date
    stage: Choice("办理阶段", domain.PROPOSAL_STAGES)
    handling_unit: Text("承办单位", 60, required=False) = ""
    assigned_on: date | None = None
    replied_on: date | None = None
    result_code: str | None = None
    satisfaction: str | None = None
    is_key: bool = False
    is_excellent: bool = False
    lead_chair: str | None = None
    progress: Text("办理进展", 2000, required=False) = ""

    @field_validator("lead_chair", "result_code", "satisfaction", mode="before")
    @classmethod
    def _blank_none(cls, v):
        text = "" if v is None else str(v).strip()
        return text or None

    @model_validator(mode="after")
    def _check(self):
        if self.result_code is not None and self.result_code not in domain.RESULT_CODES:
            raise ValueError("办理结果应为 A/B/C 之一")
        if self.satisfaction is not None and self.satisfaction not in domain.SATISFACTION:
            raise ValueError(f"满意度应为 {'/'.join(domain.SATISFACTION)} 之一")
        if self.lead_chair is not None and len(self.lead_chair) > 40:
            raise ValueError("领衔主席不能超过 40 字")
        for day, label in ((self.submitted_on, "提交日期"), (self.assigned_on, "交办日期"),
                           (self.replied_on, "答复日期")):
            _not_future(day, label, self.today)
        if self.replied_on and self.replied_on < self.submitted_on:
            raise ValueError(f"答复日期 {self.replied_on} 早于提交日期 {self.submitted_on}")
        if self.assigned_on and self.assigned_on < self.submitted_on:
            raise ValueError(f"交办日期 {self.assigned_on} 早于提交日期 {self.submitted_on}")
        if self.is_key and not self.lead_chair:
            raise ValueError("重点提案须填写领衔主席")
        return self


class OpinionCmd(Command):
    title: Text("标题", 200)
    collector: Text("收集人", 40)
    submitted_on: date
    status: Choice("状态", domain.OPINION_STATUSES)
    instructed: bool = False

    @model_validator(mode="after")
    def _check(self):
        _not_future(self.submitted_on, "报送日期", self.today)
        return self


class ActivityCmd(Command):
    title: Text("活动名称", 200)
    kind: Choice("类型", domain.ACTIVITY_KINDS)
    held_on: date
    member_ids: list[int] = []

    @model_validator(mode="after")
    def _check(self):
        _not_future(self.held_on, "活动日期", self.today)
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

DEFAULT_ENTITY = "site"  # the kind the secretariat edits most: the records page opens on it

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


# --------------------------------------------------------------------------- in-session helpers


def record_snapshot(obj) -> dict[str, Any]:
    """Column values plus many-to-many member ids (activities), for audit and stale-edit diffs."""
    snap = snapshot(obj)
    if isinstance(obj, DutyActivity):
        snap["member_ids"] = sorted(m.id for m in obj.members)
    return snap


def validate(entity: str, data: dict[str, Any], *, today: date | None = None) -> Command:
    """The command for ``data``; raises ValidationFailed with field → Chinese message."""
    s = spec(entity)
    try:
        return s.command(**data, today=today or local_today())
    except ValidationError as exc:
        raise validation_errors(exc, {f.name: _type_message(f) for f in s.fields}) from None


def _type_message(f: Field) -> str:
    return {
        "int": f"{f.label}应为整数", "float": f"{f.label}应为数字", "date": f"{f.label}应为日期，如 2019-11-14",
        "bool": f"{f.label}应为 是/否", "ref": f"请选择{f.label}", "refs": f"请选择{f.label}",
    }.get(f.kind, f"{f.label}格式不正确")


def _check_refs(session: Session, s: EntitySpec, values: dict[str, Any]) -> None:
    errors = {}
    for f in s.fields:
        if f.kind == "ref" and values.get(f.name) is not None:
            if session.get(REF_MODELS[f.ref], values[f.name]) is None:
                errors[f.name] = f"{f.label}不存在（编号 {values[f.name]}）"
        elif f.kind == "refs":
            ids = values.get(f.name) or []
            if ids:
                model = REF_MODELS[f.ref]
                found = set(session.execute(select(model.id).where(model.id.in_(ids))).scalars())
                missing = sorted(set(ids) - found)
                if missing:
                    errors[f.name] = f"{f.label}中有不存在的记录（编号 {', '.join(map(str, missing))}）"
    if errors:
        raise ValidationFailed(errors)


def _check_unique(session: Session, s: EntitySpec, values: dict[str, Any], exclude_id: int | None) -> None:
    if not s.unique:
        return
    stmt = select(s.model.id)
    for col in s.unique:
        stmt = stmt.where(getattr(s.model, col) == values[col])
    if exclude_id is not None:
        stmt = stmt.where(s.model.id != exclude_id)
    if session.execute(stmt.limit(1)).first():
        labels = field_labels(s.entity)
        key = "、".join(f"{labels.get(c, c)}“{values[c]}”" for c in s.unique)
        raise ValidationFailed({s.unique[-1]: f"已存在{key}相同的{s.label}"})


def _assign(session: Session, obj, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "member_ids":
            obj.members = list(session.execute(select(Member).where(Member.id.in_(value or []))).scalars())
        else:
            setattr(obj, name, value)


def create_in(session: Session, actor: Actor, entity: str, cmd: Command, *, action: str | None = None,
              extra: dict[str, Any] | None = None):
    """Insert within the caller's transaction (used by ``create`` and by the Excel import).
    ``extra`` sets columns the command does not carry (the import's 位置待核 flag)."""
    s = spec(entity)
    values = cmd.values()
    _check_refs(session, s, values)
    _check_unique(session, s, values, None)
    obj = s.model()
    _assign(session, obj, {**values, **(extra or {})})
    obj.version = 1
    session.add(obj)
    session.flush()
    audit(session, actor, action or f"{entity}.create", entity, obj.id, None, record_snapshot(obj))
    return obj


# --------------------------------------------------------------------------- services


def create(actor: Actor, entity: str, data: dict[str, Any], *, today: date | None = None, engine=None) -> int:
    """Create one record; returns its id."""
    s = spec(entity)
    require(actor, s.action)
    cmd = validate(entity, data, today=today)
    try:
        with write_session(engine) as session:
            return create_in(session, actor, entity, cmd).id
    except IntegrityError:
        raise ValidationFailed({s.unique[-1] if s.unique else "__root__": f"{s.label}与已有记录重复"}) from None


def describe_changes(entity: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose value differs (version and bookkeeping columns left out)."""
    skip = {"version", "id", "created_at", "updated_at"}
    return {k: (old.get(k), new.get(k)) for k in new if k not in skip and old.get(k) != new.get(k)}


def update(actor: Actor, entity: str, record_id: int, data: dict[str, Any], expected_version: int, *,
           original: dict[str, Any] | None = None, today: date | None = None, engine=None) -> int:
    """Edit one record opened at ``expected_version``; returns the new version.

    ``original`` is what the form showed when opened (used to say what changed meanwhile when the
    audit trail does not hold that version, e.g. rows loaded by the demo or an older import).
    """
    s = spec(entity)
    require(actor, s.action)
    cmd = validate(entity, data, today=today)
    try:
        with write_session(engine) as session:
            return update_in(session, actor, entity, record_id, cmd, expected_version, original=original)[0]
    except IntegrityError:
        raise ValidationFailed({"__root__": f"{s.label}与已有记录重复或引用无效"}) from None


def update_in(session: Session, actor: Actor, entity: str, record_id: int, cmd: Command, expected_version: int, *,
              original: dict[str, Any] | None = None, action: str | None = None,
              extra: dict[str, Any] | None = None) -> tuple[int, dict[str, tuple[Any, Any]]]:
    """Update within the caller's transaction (used by ``update`` and by the Excel import's re-import):
    row lock, version check, references, uniqueness, audit row with before/after. Returns (version,
    changed fields as old → new); nothing changed: no new version and no audit row.
    ``extra`` sets columns the command does not carry (the import's 位置待核 flag)."""
    s = spec(entity)
    obj = session.get(s.model, record_id, with_for_update=True)
    if obj is None:
        raise NotFound(f"{s.label}（编号 {record_id}）不存在或已被删除")
    current = record_snapshot(obj)
    check_version(session, obj, expected_version, entity=entity, label=f"{s.label}“{getattr(obj, s.title_attr)}”",
                  labels=field_labels(entity), current=current, original=original)
    values = cmd.values()
    _check_refs(session, s, values)
    _check_unique(session, s, values, record_id)
    if "member_ids" in values:
        values["member_ids"] = sorted(set(values["member_ids"]))
    if s.model is Site and obj.location_unverified and (values["lat"], values["lon"]) != (obj.lat, obj.lon):
        values["location_unverified"] = False  # someone placed it: its location is no longer 待核
    values.update(extra or {})
    changes = describe_changes(entity, current, {**current, **_jsonable(values)})
    if not changes:
        return obj.version, {}
    _assign(session, obj, values)
    bump_version(obj)
    session.flush()
    audit(session, actor, action or f"{entity}.update", entity, obj.id, current, record_snapshot(obj))
    if entity == "unit" and current["name"] != obj.name:
        _rename_unit(session, current["name"], obj.name)
    return obj.version, changes


def _rename_unit(session: Session, old: str, new: str) -> None:
    """Problems name their unit: a renamed unit keeps its problems (letters keep the name they were issued with)."""
    from sqlalchemy import update as sql_update

    from gangwen_dash.models import Finding, FindingEvent

    session.execute(sql_update(Finding).where(Finding.responsible_unit == old).values(responsible_unit=new))
    session.execute(sql_update(FindingEvent).where(FindingEvent.responsible_unit == old).values(responsible_unit=new))


def load_for_edit(entity: str, record_id: int, *, engine=None) -> dict[str, Any]:
    """Current values of one record (with ``version``) to fill an edit form."""
    from gangwen_dash.db import read_session

    s = spec(entity)
    with read_session(engine) as session:
        obj = session.get(s.model, record_id)
        if obj is None:
            raise NotFound(f"{s.label}（编号 {record_id}）不存在或已被删除")
        snap = record_snapshot(obj)
    keep = {f.name for f in s.fields} | {"id", "version"}
    return {k: v for k, v in snap.items() if k in keep}

