"""登记工地: register a construction site inline from the entry page (or anywhere else).

``register_site(actor, command, *, now=None, engine=None) -> int`` checks ``site.register``, validates
(name, street, coordinates inside the district), refuses a duplicate name with a Chinese message,
writes the site and one audit row in one transaction and returns the new id.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gangwen_dash.config import local_now
from gangwen_dash.db import write_session
from gangwen_dash.models import Site, Street
from gangwen_dash.services import validators
from gangwen_dash.services.base import Actor, ValidationFailed, audit, parse, require, snapshot


class RegisterSite(BaseModel):
    """The site's own rules are the records page's (``record_kinds.SiteCmd``: the same field types); here
    the street and the place may still be missing while the form is filled in."""

    name: validators.SiteName
    street_id: int | None
    lat: float | None
    lon: float | None
    address: validators.SiteAddress = ""
    builder: validators.Builder = ""

    @field_validator("street_id")
    @classmethod
    def _street(cls, v: int | None) -> int:
        if v is None:
            raise ValueError("请选择所属街道")
        return v


TYPE_MESSAGES = {"lat": "请填写正确的纬度", "lon": "请填写正确的经度", "street_id": "请选择所属街道"}


def register_site(actor: Actor, command: RegisterSite | dict, *, now: datetime | None = None, engine=None) -> int:
    require(actor, "site.register")
    cmd = parse(RegisterSite, command, TYPE_MESSAGES)
    if cmd.lat is None or cmd.lon is None:
        raise ValidationFailed({"location": "请提供工地位置（定位、地图选点或填写坐标）"})
    try:
        validators.in_district(cmd.lat, cmd.lon, validators.RELOCATE)
    except ValueError as exc:
        raise ValidationFailed({"location": str(exc)}) from None
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
