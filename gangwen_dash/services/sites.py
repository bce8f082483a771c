"""登记工地: register a construction site inline from the entry page (or anywhere else).

``register_site(actor, command, *, now=None, engine=None) -> int`` checks ``site.register``, validates
(name, street, coordinates inside the district), refuses a duplicate name with a Chinese message,
writes the site and one audit row in one transaction and returns the new id.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gangwen_dash.config import local_now
from gangwen_dash.db import write_session
from gangwen_dash.domain.geo import in_district
from gangwen_dash.models import Site, Street
from gangwen_dash.services.base import Actor, ValidationFailed, audit, require, snapshot, validation_errors
from gangwen_dash.services.inspections import outside_district_message


class RegisterSite(BaseModel):
    name: str
    street_id: int | None
    lat: float | None
    lon: float | None
    address: str = ""
    builder: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = " ".join((v or "").split())
        if len(v) < 2:
            raise ValueError("请填写工地名称（至少 2 个字）")
        if len(v) > 120:
            raise ValueError("工地名称不能超过 120 字")
        return v

    @field_validator("street_id")
    @classmethod
    def _street(cls, v: int | None) -> int:
        if v is None:
            raise ValueError("请选择所属街道")
        return v

    @field_validator("address", "builder")
    @classmethod
    def _text(cls, v: str) -> str:
        v = (v or "").strip()
        if len(v) > 120:
            raise ValueError("不能超过 120 字")
        return v


TYPE_MESSAGES = {"lat": "请填写正确的纬度", "lon": "请填写正确的经度", "street_id": "请选择所属街道"}


def register_site(actor: Actor, command: RegisterSite | dict, *, now: datetime | None = None, engine=None) -> int:
    require(actor, "site.register")
    try:
        cmd = command if isinstance(command, RegisterSite) else RegisterSite.model_validate(command)
    except ValidationError as exc:
        raise validation_errors(exc, TYPE_MESSAGES) from None
    if cmd.lat is None or cmd.lon is None:
        raise ValidationFailed({"location": "请提供工地位置（定位、地图选点或填写坐标）"})
    if not in_district(cmd.lat, cmd.lon):
        raise ValidationFailed({"location": outside_district_message(cmd.lat, cmd.lon)})
    now = (now or local_now()).replace(microsecond=0)
    duplicate = ValidationFailed({"name": f"已有名为“{cmd.name}”的工地，请直接搜索选择"})
    try:
        with write_session(engine) as session:
            if session.get(Street, cmd.street_id) is None:
                raise ValidationFailed({"street_id": "所选街道不存在"})
            if session.execute(select(func.count()).select_from(Site).where(Site.name == cmd.name)).scalar_one():
                raise duplicate
            site = Site(name=cmd.name, street_id=cmd.street_id, lat=cmd.lat, lon=cmd.lon, address=cmd.address,
                        builder=cmd.builder, status="在建", created_at=now)
            session.add(site)
            session.flush()
            audit(session, actor, "site.register", "site", site.id, None, snapshot(site), at=now)
            return site.id
    except IntegrityError:  # a concurrent registration of the same name
        raise duplicate from None
