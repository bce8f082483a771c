"""Settings: environment variables first, then ``.streamlit/secrets.toml`` ``[gangwen]``, then defaults.

Read once per process (``get_settings``); tests call ``reset_settings`` after changing the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"

# District bounding box and centre (DESIGN.md §5), WGS-84.
DISTRICT_NAME = "港闻区"
DISTRICT_CENTER = (32.06, 120.83)
DISTRICT_BBOX = {"lat_min": 31.99, "lat_max": 32.14, "lon_min": 120.73, "lon_max": 120.92}


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def _secrets() -> dict:
    path = Path(os.environ.get("GANGWEN_SECRETS_FILE", SECRETS_FILE))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Settings:
    database_url: str
    seed_demo: bool
    photo_dir: Path
    # Default deadline (days) implied by a finding's severity (domain.md: 一般 1, 较重 7, 严重 15).
    deadline_days: dict[str, int] = field(default_factory=dict)
    # The initial 责任单位 list: migration 0005 turns it into ``units`` rows (managed in 记录管理 since); the
    # Excel template's drop-down still lists it.
    responsible_units: tuple[str, ...] = ()
    # Cockpit targets for the red/yellow/green status of KPIs.
    targets: dict[str, float] = field(default_factory=dict)
    tiles: dict = field(default_factory=dict)
    org_name: str = "港闻区政协办公室"
    # Sign-in: signed out after this many minutes without a click, and after session_days in any case.
    session_minutes: int = 480
    session_days: int = 7
    # Weekly pack 第N期: N = ISO week number + this offset (e.g. when numbering started mid-year).
    weekly_issue_offset: int = 0
    # 交办单 (issue 15): the number as printed ({year}, {seq}) and how a unit replies.
    letter_number_format: str = "港政协督〔{year}〕第 {seq} 号"
    letter_reply_channel: str = ("请于整改期限内登录港闻区政协督查看板（责任单位账号），逐项提交整改情况及整改后照片；"
                                 "如需延期，请在看板中说明理由申请。")
    # Reminders (issue 15): SMTP server for e-mail digests ([gangwen.smtp] in secrets).
    smtp: dict = field(default_factory=dict)
    # The district's time zone: "now" and "today" on forms and in services (the server may run in UTC).
    timezone: str = "Asia/Shanghai"
    # 复查通过 needs an after-photo (整改后) unless the group leader picks an explicit reason.
    recheck_requires_after_photo: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    secrets = _secrets()
    app = secrets.get("gangwen", {})
    default_db = f"sqlite:///{DATA_DIR / 'gangwen.db'}"
    from gangwen_dash.domain import RESPONSIBLE_UNITS

    return Settings(
        database_url=os.environ.get("GANGWEN_DATABASE_URL") or app.get("database_url") or default_db,
        seed_demo=_truthy(os.environ.get("GANGWEN_SEED_DEMO"), app.get("seed_demo", True)),
        photo_dir=Path(os.environ.get("GANGWEN_PHOTO_DIR") or app.get("photo_dir") or DATA_DIR / "photos"),
        deadline_days={"一般": 1, "较重": 7, "严重": 15, **app.get("deadline_days", {})},
        responsible_units=tuple(app.get("responsible_units", RESPONSIBLE_UNITS)),
        targets={
            "inspections_per_month": 3.0,
            "on_time_rate": 0.90,
            "rectification_rate": 0.80,
            "max_overdue": 0,
            **app.get("targets", {}),
        },
        tiles={"provider": os.environ.get("GANGWEN_TILES") or "osm", **secrets.get("tiles", {})},
        org_name=app.get("org_name", "港闻区政协办公室"),
        session_minutes=int(app.get("session_minutes", 480)),
        session_days=int(app.get("session_days", 7)),
        weekly_issue_offset=int(os.environ.get("GANGWEN_WEEKLY_ISSUE_OFFSET") or app.get("weekly_issue_offset", 0)),
        letter_number_format=app.get("letter_number_format", Settings.letter_number_format),
        letter_reply_channel=app.get("letter_reply_channel", Settings.letter_reply_channel),
        smtp=dict(app.get("smtp", {})),
        timezone=os.environ.get("GANGWEN_TIMEZONE") or app.get("timezone", "Asia/Shanghai"),
        recheck_requires_after_photo=_truthy(os.environ.get("GANGWEN_RECHECK_REQUIRES_AFTER_PHOTO"),
                                             app.get("recheck_requires_after_photo", True)),
    )


def reset_settings() -> None:
    get_settings.cache_clear()


def local_now() -> datetime:
    """The district's wall-clock time now (naive, as stored), whatever the server's own time zone is."""
    name = get_settings().timezone
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"时区设置“{name}”无效，请使用 IANA 时区名，如 Asia/Shanghai") from None
    return datetime.now(zone).replace(tzinfo=None)


def local_today() -> date:
    return local_now().date()


PLACEHOLDER_SECRETS = {"a long random string", "changeme", "change-me", "secret", "xxx"}
MIN_COOKIE_SECRET = 32


def auth_config_problem() -> str | None:
    """A Chinese sentence when ``[auth]`` (OIDC) is configured with a weak ``cookie_secret``; else None.

    Streamlit signs the provider's identity cookie with it: a placeholder or short value would let anyone
    forge a sign-in, so the app refuses to start instead."""
    auth = _secrets().get("auth")
    if not auth:
        return None
    secret = str(auth.get("cookie_secret") or "")
    if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_COOKIE_SECRET:
        return (f".streamlit/secrets.toml 的 [auth] cookie_secret 为空、是示例值或短于 {MIN_COOKIE_SECRET} 个字符，"
                "系统拒绝启动。请设置随机长字符串，例如：python -c \"import secrets; print(secrets.token_urlsafe(48))\"")
    return None
