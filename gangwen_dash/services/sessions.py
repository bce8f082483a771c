"""Server-side sign-in sessions: who is signed in comes from the database, never from the browser alone.

A sign-in opens a ``user_sessions`` row and returns a one-time hand-off code (valid 2 minutes). The
browser takes it to the ``/session/start`` route (``gangwen_dash.web``), which exchanges it for the real
token and sets it as an HttpOnly cookie; only the token's sha256 is stored. Every rerun calls
``resolve(token)``: the session must be neither revoked nor expired (idle or absolute), and its user active,
with the same credentials (a password change or reset ends older sessions). The role and group come from
the user row as it is now. Deactivation, a role or group change and a password reset revoke all of a
user's sessions (``revoke_user``, called in the same transaction by the users service).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from gangwen_dash.config import get_settings
from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import User, UserSession
from gangwen_dash.services.base import Actor, actor_for, audit, require

COOKIE_NAME = "gangwen_session"
HANDOFF_SECONDS = 120
# last_seen is written at most this often: a rerun is a read, not a write, on the hot path.
TOUCH_SECONDS = 60

# Why a browser is no longer signed in (reason code → the notice the sign-in form shows).
ENDED = {
    "expired": "登录已过期，请重新登录",
    "idle": "长时间未操作，登录已过期，请重新登录",
    "signed_out": "您已退出登录",
    "signed_out_all": "您已在所有设备上退出登录",
    "revoked": "您的登录已被管理员注销，请重新登录",
    "deactivated": "您的账号已被停用，如有疑问请联系机关管理员",
    "role_changed": "您的账号角色或所属督查组已变更，请重新登录",
    "password": "密码已更改，请用新密码重新登录",
}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class Current:
    """The outcome of ``resolve``: an actor, or the reason (a key of ``ENDED``) there is none."""

    actor: Actor | None
    session_id: int | None = None
    must_change_password: bool = False
    ended: str | None = None

    @property
    def notice(self) -> str | None:
        return ENDED.get(self.ended) if self.ended else None


def begin(user_id: int, *, user_agent: str = "", method: str = "password", now: datetime | None = None,
          engine=None) -> str:
    """Open a session for ``user_id``; returns the one-time hand-off code for ``/session/start``."""
    now = now or _now()
    settings = get_settings()
    code = secrets.token_urlsafe(32)
    with write_session(engine) as session:
        user = session.get(User, user_id)
        session.add(UserSession(
            user_id=user_id, handoff_hash=_hash(code), handoff_expires_at=now + timedelta(seconds=HANDOFF_SECONDS),
            created_at=now, last_seen_at=now, idle_expires_at=now + timedelta(minutes=settings.session_minutes),
            absolute_expires_at=now + timedelta(days=settings.session_days), user_version=user.credentials_version,
            user_agent=(user_agent or "")[:200], method=method[:10],
        ))
    return code


def claim(code: str, *, now: datetime | None = None, engine=None) -> tuple[str, int] | None:
    """Exchange a hand-off code (once, within its 2 minutes) for the cookie token and its max-age (s)."""
    now = now or _now()
    if not code:
        return None
    with write_session(engine) as session:
        row = session.execute(select(UserSession).where(UserSession.handoff_hash == _hash(code))
                              .with_for_update()).scalar_one_or_none()
        if row is None or row.revoked_at is not None or row.handoff_expires_at < now:
            return None
        token = secrets.token_urlsafe(32)
        row.token_hash = _hash(token)
        row.handoff_hash = None
        row.handoff_expires_at = None
        return token, max(1, int((row.absolute_expires_at - now).total_seconds()))


def resolve(token: str | None, *, now: datetime | None = None, engine=None) -> Current:
    """Who holds ``token`` now, re-checked against the database (see the module docstring)."""
    if not token:
        return Current(None)
    now = now or _now()
    with read_session(engine) as session:
        found = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                                .where(UserSession.token_hash == _hash(token))).first()
    if found is None:
        return Current(None, ended="expired")
    row, user = found
    if row.revoked_at is not None:
        return Current(None, row.id, ended=row.revoked_reason or "revoked")
    if not user.is_active:
        return Current(None, row.id, ended="deactivated")
    if row.user_version != user.credentials_version:
        return Current(None, row.id, ended="password")
    if row.absolute_expires_at <= now:
        return Current(None, row.id, ended="expired")
    if row.idle_expires_at <= now:
        return Current(None, row.id, ended="idle")
    if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        _touch(row.id, now, engine)
    return Current(actor_for(user), row.id, bool(user.must_change_password))


def _touch(session_id: int, now: datetime, engine) -> None:
    idle = now + timedelta(minutes=get_settings().session_minutes)
    with write_session(engine) as session:
        session.execute(update(UserSession).where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
                        .values(last_seen_at=now, idle_expires_at=idle))


def end(token: str | None, reason: str = "signed_out", *, engine=None) -> None:
    """Sign this browser out (every tab of it shares the cookie, so every tab)."""
    if not token:
        return
    with write_session(engine) as session:
        session.execute(update(UserSession).where(UserSession.token_hash == _hash(token),
                                                  UserSession.revoked_at.is_(None))
                        .values(revoked_at=_now(), revoked_reason=reason))


def revoke_user(session, user_id: int, reason: str, *, keep_session_id: int | None = None) -> int:
    """In the caller's transaction: end every open session of ``user_id`` (but ``keep_session_id``)."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_session_id is not None:
        stmt = stmt.where(UserSession.id != keep_session_id)
    return session.execute(stmt.values(revoked_at=_now(), revoked_reason=reason)).rowcount or 0


def end_everywhere(actor: Actor, *, engine=None) -> int:
    """退出所有设备: the actor's own sessions, this one included."""
    with write_session(engine) as session:
        count = revoke_user(session, actor.user_id, "signed_out_all")
        audit(session, actor, "auth.signed_out_all", "user", actor.user_id, after={"sessions": count})
    return count


def revoke_for(actor: Actor, user_id: int, *, engine=None) -> int:
    """The secretariat ends every session of another account (e.g. a lost tablet)."""
    require(actor, "user.manage")
    with write_session(engine) as session:
        count = revoke_user(session, user_id, "revoked")
        audit(session, actor, "auth.sessions_revoked", "user", user_id, after={"sessions": count})
    return count


def after_password_change(session, user: User, keep_session_id: int | None) -> None:
    """A password change ends the user's other sessions and keeps the one it was made in."""
    user.credentials_version = (user.credentials_version or 1) + 1
    revoke_user(session, user.id, "password", keep_session_id=keep_session_id)
    if keep_session_id is not None:
        session.execute(update(UserSession).where(UserSession.id == keep_session_id)
                        .values(user_version=user.credentials_version))


def open_sessions(user_id: int, *, now: datetime | None = None, engine=None) -> int:
    now = now or _now()
    with read_session(engine) as session:
        return session.execute(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.token_hash.is_not(None),
            UserSession.idle_expires_at > now, UserSession.absolute_expires_at > now)).scalar_one()
