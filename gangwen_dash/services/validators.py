"""The field rules every command shares: one length-limited ``Text``, ``Choice``, ``in_district``,
``not_future``, reminder addresses — each with its Chinese message, each limit named once here.

Command models (records, inspections, problems, letters, the Excel import's commands) build their fields
from these, so a rule and its message are the same whichever door the data comes in by.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from gangwen_dash.config import local_today
from gangwen_dash.domain import geo

# Length limits (characters), one name per kind of text.
SHORT = 40  # a person's or a group's name, a sector, a collector
PHONE = 30
NUMBER = 20  # a proposal number
UNIT_NAME = 60  # a handling unit
NAME = 120  # a site's or room's name, a builder, a proposer
ADDRESS = 200
TITLE = 200
NOTE = 500  # an opinion: hand-over, re-check, letter, extension reason and decision
DESCRIPTION = 500  # a problem's description
LONG_NOTE = 1000  # inspection notes, a rectification reply
PROGRESS = 2000  # a proposal's handling progress
WEEKLY_PLAN = 2000  # the weekly pack's 下周安排
EMAIL = 200
WEBHOOK = 500

RELOCATE = "，请重新定位或改用工地坐标"  # what a surveyor does about a point outside the district


def text(value: Any, label: str, max_len: int, *, min_len: int = 1, too_short: str | None = None) -> str:
    """Trim surrounding blanks; everything else is stored verbatim (markup is rendered inert on output).
    ``min_len`` 0: optional. ``too_short``: the message for an empty or too short text."""
    result = "" if value is None else str(value).strip()
    if len(result) < min_len:
        if too_short:
            raise ValueError(too_short)
        raise ValueError(f"{label}不能为空" if not result or min_len == 1 else f"{label}至少 {min_len} 个字")
    if len(result) > max_len:
        raise ValueError(f"{label}不能超过 {max_len} 字（当前 {len(result)} 字）")
    return result


def Text(label: str, max_len: int, *, required: bool = True, min_len: int | None = None,
         too_short: str | None = None):
    """A trimmed text field with its Chinese label and length limit (validated by ``text``)."""
    low = min_len if min_len is not None else (1 if required else 0)
    return Annotated[str, BeforeValidator(lambda v: text(v, label, max_len, min_len=low, too_short=too_short))]


def choice(value: Any, label: str, options: tuple[str, ...], message: str | None = None) -> Any:
    if value not in options:
        raise ValueError(message or f"{label}应为 {'/'.join(options)} 之一")
    return value


def Choice(label: str, options: tuple[str, ...], *, message: str | None = None):
    """One of ``options`` (a domain vocabulary), refused with "{label}应为 …之一" (or ``message``)."""
    return Annotated[str, AfterValidator(lambda v: choice(v, label, options, message))]


def OptionalChoice(label: str, options: tuple[str, ...], *, message: str | None = None):
    """Blank → None, else one of ``options``."""
    return Annotated[str | None, BeforeValidator(
        lambda v: None if v is None or not str(v).strip() else choice(str(v).strip(), label, options, message))]


def OptionalText(label: str, max_len: int):
    """A trimmed text that may be left out: blank → None."""
    return Annotated[str | None, BeforeValidator(lambda v: text(v, label, max_len, min_len=0) or None)]


def in_district(lat: float, lon: float, advice: str = "") -> None:
    """Refuse a point outside the district (``geo.in_district``) with the district's message + ``advice``."""
    if not geo.in_district(lat, lon):
        raise ValueError(geo.outside_district_message(lat, lon) + advice)


def not_future(day: date | datetime | None, label: str, today: date | None = None, *, named: bool = True) -> None:
    """Refuse a day after ``today`` (default ``config.local_today()``, the district's today): no record of the
    future. ``named``: the message starts with the field's label (a form), else with the day (a report column)."""
    if isinstance(day, datetime):
        day = day.date()
    today = today or local_today()
    if day is not None and day > today:
        raise ValueError(f"{label} {day} 晚于今天，不能是将来的日期" if named
                         else f"{day} 晚于今天（{today}），不能是将来的日期")


def addresses(value: Any, kind: str) -> str:
    """Reminder addresses (issue 15): e-mail addresses or webhook URLs, several separated by “;”."""
    result = text(value, "提醒邮箱" if kind == "email" else "群机器人地址", EMAIL if kind == "email" else WEBHOOK,
                  min_len=0)
    for part in [p.strip() for p in result.replace("；", ";").split(";") if p.strip()]:
        if kind == "email" and ("@" not in part or " " in part):
            raise ValueError(f"“{part}”不是有效的邮箱地址")
        if kind == "webhook" and not part.lower().startswith(("https://", "http://")):
            raise ValueError(f"群机器人地址应以 https:// 开头（“{part}”）")
    return result


Email = Annotated[str, BeforeValidator(lambda v: addresses(v, "email"))]
Webhook = Annotated[str, BeforeValidator(lambda v: addresses(v, "webhook"))]

def responsible_unit(value: str) -> str:
    # The unit must be an active row of ``units``: the service checks that in its transaction
    # (``services.units.resolve``); here only that one was chosen.
    value = (value or "").strip()
    if not value:
        raise ValueError("请选择责任单位")
    return value


# Fields more than one command carries.
ResponsibleUnit = Annotated[str, AfterValidator(responsible_unit)]
SiteName = Text("工地名称", NAME, min_len=2)
SiteAddress = Text("地址", ADDRESS, required=False)
Builder = Text("建设单位", NAME, required=False)
Description = Text("问题描述", DESCRIPTION, min_len=2, too_short="请填写问题描述")
InspectionNotes = Text("备注", LONG_NOTE, required=False)
HandOverNote = Text("交办意见", NOTE, required=False)  # 交办 and 交办单
ReplyText = Text("整改情况", LONG_NOTE, min_len=4, too_short="请填写整改情况（至少 4 个字）")

