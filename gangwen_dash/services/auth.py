"""Sign-in: password check with argon2, lock-out after repeated failures, password changes.

Lock-out: after ``MAX_FAILURES`` consecutive wrong passwords the account is locked for
``LOCK_MINUTES``; during the lock even the right password is refused (and does not reset the count).
Every sign-in outcome is audited.

Why it is shaped this way: the argon2 check runs outside any write transaction (SQLite's write lock is
never held while hashing, so drafts and records save while someone guesses); the counter is one atomic
``UPDATE … RETURNING`` that only counts while the account is not locked (parallel guesses on PostgreSQL
lock it exactly like serial ones); an unknown user name costs the same argon2 work as a known one (a
dummy hash) and gets the same message, and is audited by a digest, so a password typed into the user-name
field is never stored in clear.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select, update

from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import User
from gangwen_dash.passwords import hash_password, needs_rehash, verify_password
from gangwen_dash.services import sessions
from gangwen_dash.services.base import Actor, ServiceError, ValidationFailed, actor_for, audit

__all__ = ["MAX_FAILURES", "LOCK_MINUTES", "MIN_PASSWORD_LENGTH", "SignIn", "SignInFailed", "actor_for",
           "authenticate", "change_password", "validate_new_password"]

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8
WRONG = "用户名或密码错误"


class SignInFailed(ServiceError):
    pass


@dataclass(frozen=True)
class SignIn:
    actor: Actor
    must_change_password: bool


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("gangwen-dummy-password")


def unknown_name(username: str) -> Actor:
    """The audit actor for a name that is no account: a digest, never the (maybe mistyped password) text."""
    digest = hashlib.sha256(username.encode()).hexdigest()[:12]
    return Actor(None, f"unknown:{digest}", "anonymous")


def _locked_message(locked_until: datetime, now: datetime) -> str:
    minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
    return f"连续输错密码 {MAX_FAILURES} 次，账号已锁定，请 {minutes} 分钟后再试"


def authenticate(username: str, password: str, *, now: datetime | None = None, engine=None) -> SignIn:
    """Check a username and password; raises SignInFailed with a Chinese message."""
    now = now or datetime.now()
    username = (username or "").strip()
    if not username or not password:
        raise SignInFailed("请输入用户名和密码")
    with read_session(engine) as session:
        user = session.execute(select(User).where(User.username == username[:40])).scalar_one_or_none()
    known = user is not None and user.is_active and len(username) <= 40
    # The same argon2 work whether or not the account exists.
    ok = verify_password(user.password_hash if known else _dummy_hash(), password)
    if not known:
        with write_session(engine) as session:
            audit(session, unknown_name(username), "auth.failed", "user", None, at=now)
        raise SignInFailed(WRONG)
    not_locked = (User.locked_until.is_(None)) | (User.locked_until <= now)
    outcome: SignIn | str
    with write_session(engine) as session:
        if ok:
            changed = session.execute(
                update(User).where(User.id == user.id, User.is_active.is_(True), not_locked,
                                   User.credentials_version == user.credentials_version)
                .values(failed_attempts=0, locked_until=None,
                        **({"password_hash": hash_password(password)} if needs_rehash(user.password_hash) else {}))
                .returning(User.must_change_password)).first()
            if changed is not None:
                audit(session, actor_for(user), "auth.signed_in", "user", user.id, at=now)
                outcome = SignIn(actor_for(user), bool(changed[0]))
            else:
                outcome = ""
        else:
            counted = session.execute(
                update(User).where(User.id == user.id, not_locked)
                .values(failed_attempts=User.failed_attempts + 1).returning(User.failed_attempts)).first()
            if counted is not None and counted[0] >= MAX_FAILURES:
                session.execute(update(User).where(User.id == user.id).values(
                    failed_attempts=0, locked_until=now + timedelta(minutes=LOCK_MINUTES)))
                outcome = f"连续输错密码 {MAX_FAILURES} 次，账号已锁定 {LOCK_MINUTES} 分钟"
            else:
                outcome = WRONG if counted is not None else ""
            audit(session, actor_for(user), "auth.failed", "user", user.id, at=now)
        if outcome == "":  # locked (perhaps by a parallel attempt a moment ago) or changed meanwhile
            current = session.get(User, user.id)
            if current.locked_until and current.locked_until > now:
                audit(session, actor_for(user), "auth.locked", "user", user.id, at=now)
                outcome = _locked_message(current.locked_until, now)
            else:
                outcome = WRONG
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


def change_password(actor: Actor, old_password: str, new_password: str, repeat: str, *,
                    session_id: int | None = None, engine=None) -> None:
    """Change one's own password; ends every other session of the account, keeps ``session_id``."""
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
        sessions.after_password_change(session, user, session_id)
        audit(session, actor, "auth.password_changed", "user", user.id)
