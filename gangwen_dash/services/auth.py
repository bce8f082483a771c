"""Sign-in: password check with argon2, lock-out after repeated failures, password changes.

Lock-out: after ``MAX_FAILURES`` consecutive wrong passwords the account is locked for
``LOCK_MINUTES``; during the lock even the right password is refused (and does not reset the count).
Every sign-in outcome is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from gangwen_dash.db import write_session
from gangwen_dash.models import User
from gangwen_dash.passwords import hash_password, verify_password
from gangwen_dash.services.base import Actor, ServiceError, ValidationFailed, audit

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8


class SignInFailed(ServiceError):
    pass


@dataclass(frozen=True)
class SignIn:
    actor: Actor
    must_change_password: bool


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=user.role, group_id=user.group_id,
                 display_name=user.display_name or user.username)


def authenticate(username: str, password: str, *, now: datetime | None = None, engine=None) -> SignIn:
    """Check a username and password; raises SignInFailed with a Chinese message."""
    now = now or datetime.now()
    username = (username or "").strip()
    if not username or not password:
        raise SignInFailed("请输入用户名和密码")
    outcome: SignIn | str
    with write_session(engine) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.is_active:
            # Same message as a wrong password: do not reveal which accounts exist.
            audit(session, Actor(None, username[:40], "anonymous"), "auth.failed", "user", None, at=now)
            outcome = "用户名或密码错误"
        elif user.locked_until and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            audit(session, actor_for(user), "auth.locked", "user", user.id, at=now)
            outcome = f"连续输错密码 {MAX_FAILURES} 次，账号已锁定，请 {minutes} 分钟后再试"
        elif not verify_password(user.password_hash, password):
            user.failed_attempts += 1
            if user.failed_attempts >= MAX_FAILURES:
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                user.failed_attempts = 0
                outcome = f"连续输错密码 {MAX_FAILURES} 次，账号已锁定 {LOCK_MINUTES} 分钟"
            else:
                outcome = f"用户名或密码错误（再错 {MAX_FAILURES - user.failed_attempts} 次将锁定账号）"
            audit(session, actor_for(user), "auth.failed", "user", user.id, at=now)
        else:
            user.failed_attempts = 0
            user.locked_until = None
            audit(session, actor_for(user), "auth.signed_in", "user", user.id, at=now)
            outcome = SignIn(actor_for(user), bool(user.must_change_password))
    if isinstance(outcome, str):
        raise SignInFailed(outcome)
    return outcome


def validate_new_password(new_password: str, repeat: str, username: str) -> None:
    errors = {}
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        errors["new_password"] = f"新密码至少 {MIN_PASSWORD_LENGTH} 位"
    elif new_password.lower() == username.lower():
        errors["new_password"] = "新密码不能与用户名相同"
    if new_password != repeat:
        errors["repeat"] = "两次输入的新密码不一致"
    if errors:
        raise ValidationFailed(errors)


def change_password(actor: Actor, old_password: str, new_password: str, repeat: str, *, engine=None) -> None:
    validate_new_password(new_password, repeat, actor.username)
    with write_session(engine) as session:
        user = session.get(User, actor.user_id)
        if user is None or not verify_password(user.password_hash, old_password):
            raise ValidationFailed({"old_password": "原密码不正确"})
        if verify_password(user.password_hash, new_password):
            raise ValidationFailed({"new_password": "新密码不能与原密码相同"})
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        user.version += 1
        audit(session, actor, "auth.password_changed", "user", user.id)
