"""User accounts (secretariat only): create, edit role/group/activity, reset a password.

A new account or a reset password must be changed at the next sign-in (``must_change_password``).
Audit rows never carry password hashes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from sqlalchemy import select

from gangwen_dash import domain
from gangwen_dash.db import write_session
from gangwen_dash.models import InspectionGroup, Member, Unit, User
from gangwen_dash.passwords import hash_password
from gangwen_dash.services import sessions, validators
from gangwen_dash.services.auth import MIN_PASSWORD_LENGTH
from gangwen_dash.services.base import (
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    bump_version,
    check_version,
    require,
    snapshot,
    validation_errors,
)
from gangwen_dash.services.validators import Choice, Text

USER_FIELDS = {"username": "用户名", "display_name": "姓名", "role": "角色", "group_id": "督查组",
               "member_id": "对应委员", "unit_id": "责任单位", "is_active": "启用", "must_change_password": "须改密码"}


def user_snapshot(user: User) -> dict[str, Any]:
    snap = snapshot(user)
    snap.pop("password_hash", None)
    return snap


class UserCmd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    display_name: Text("姓名", validators.SHORT, required=False) = ""
    role: Choice("角色", domain.ROLES, message="角色应为 " + "、".join(
        f"{r}（{domain.ROLE_LABELS[r]}）" for r in domain.ROLES) + " 之一")
    group_id: int | None = None
    member_id: int | None = None
    unit_id: int | None = None
    is_active: bool = True

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, v):
        text = "" if v is None else str(v).strip()
        if not text:
            raise ValueError("用户名不能为空")
        if len(text) > 40 or not all(c.isalnum() or c in "._-@" for c in text):
            raise ValueError("用户名只能包含字母、数字和 . _ - @，且不超过 40 个字符")
        return text


    @model_validator(mode="after")
    def _group(self):
        if self.role in ("inspector", "group_leader") and self.group_id is None:
            raise ValueError("督查组成员和组长必须指定所属督查组")
        if self.role not in ("inspector", "group_leader"):
            self.group_id = None
        if self.role == "unit" and self.unit_id is None:
            raise ValueError("责任单位账号必须指定所属责任单位")
        if self.role != "unit":
            self.unit_id = None
        return self


def _check_password(password: str, username: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed({"password": f"密码至少 {MIN_PASSWORD_LENGTH} 位"})
    if password.lower() == username.lower():
        raise ValidationFailed({"password": "密码不能与用户名相同"})


def _validate(data: dict[str, Any]) -> UserCmd:
    try:
        return UserCmd(**data)
    except ValidationError as exc:
        raise validation_errors(exc, {"group_id": "请选择督查组"}) from None


def _check_refs(session, cmd: UserCmd) -> None:
    if cmd.group_id is not None and session.get(InspectionGroup, cmd.group_id) is None:
        raise ValidationFailed({"group_id": f"督查组（编号 {cmd.group_id}）不存在"})
    if cmd.member_id is not None and session.get(Member, cmd.member_id) is None:
        raise ValidationFailed({"member_id": f"委员（编号 {cmd.member_id}）不存在"})
    if cmd.unit_id is not None and session.get(Unit, cmd.unit_id) is None:
        raise ValidationFailed({"unit_id": f"责任单位（编号 {cmd.unit_id}）不存在"})


def group_id_by_name(name: str, *, engine=None) -> int:
    from gangwen_dash.db import read_session

    with read_session(engine) as session:
        gid = session.execute(select(InspectionGroup.id).where(InspectionGroup.name == name.strip())).scalar()
    if gid is None:
        raise ValidationFailed({"group_id": f"督查组“{name}”不存在"})
    return gid


def create_user(actor: Actor, data: dict[str, Any], password: str, *, engine=None) -> int:
    """Create an account that must change ``password`` at first sign-in; returns its id."""
    require(actor, "user.manage")
    cmd = _validate(data)
    _check_password(password, cmd.username)
    with write_session(engine) as session:
        _check_refs(session, cmd)
        if session.execute(select(User.id).where(User.username == cmd.username)).first():
            raise ValidationFailed({"username": f"用户名“{cmd.username}”已存在"})
        user = User(**cmd.model_dump(), password_hash=hash_password(password), must_change_password=True,
                    failed_attempts=0, version=1)
        session.add(user)
        session.flush()
        audit(session, actor, "user.create", "user", user.id, None, user_snapshot(user))
        return user.id


def update_user(actor: Actor, user_id: int, data: dict[str, Any], expected_version: int, *,
                original: dict[str, Any] | None = None, engine=None) -> int:
    """Change name, role, group, link or activity; returns the new version. The row is locked for update;
    a stale edit lists what changed (``original``: the form's values, when the audit trail lacks them)."""
    require(actor, "user.manage")
    cmd = _validate(data)
    with write_session(engine) as session:
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound(f"用户（编号 {user_id}）不存在")
        check_version(session, user, expected_version, entity="user", label=f"用户“{user.username}”",
                      labels=USER_FIELDS, current=user_snapshot(user), original=original)
        _check_refs(session, cmd)
        if cmd.username != user.username and session.execute(
                select(User.id).where(User.username == cmd.username)).first():
            raise ValidationFailed({"username": f"用户名“{cmd.username}”已存在"})
        if user.id == actor.user_id and (cmd.role != user.role or not cmd.is_active):
            raise ValidationFailed({"role": "不能修改自己的角色或停用自己的账号"})
        before = user_snapshot(user)
        for key, value in cmd.model_dump().items():
            setattr(user, key, value)
        if not user.is_active and before["is_active"]:
            sessions.revoke_user(session, user.id, "deactivated")
        elif (user.role, user.group_id, user.unit_id) != (before["role"], before["group_id"], before["unit_id"]):
            sessions.revoke_user(session, user.id, "role_changed")
        bump_version(user)
        session.flush()
        audit(session, actor, "user.update", "user", user.id, before, user_snapshot(user))
        return user.version


def reset_password(actor: Actor, user_id: int, password: str, *, engine=None) -> None:
    """Set a temporary password; the account must change it at next sign-in. Unlocks the account."""
    require(actor, "user.manage")
    with write_session(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"用户（编号 {user_id}）不存在")
        _check_password(password, user.username)
        before = user_snapshot(user)
        user.password_hash = hash_password(password)
        user.must_change_password = True
        user.failed_attempts = 0
        user.locked_until = None
        sessions.after_password_change(session, user, keep_session_id=None)
        bump_version(user)
        session.flush()
        audit(session, actor, "user.reset_password", "user", user.id, before, user_snapshot(user))


def external_sign_in(identity: str, *, provider: str = "oidc", now=None, engine=None):
    """Sign in someone the OIDC provider vouched for (``st.login``): only an active local account whose
    user name equals the identity claim (e.g. the e-mail address) may enter, with that account's role.
    The provider proves who it is; what they may do stays with the local account. Audited."""
    from datetime import datetime

    from gangwen_dash.services.auth import SignIn, SignInFailed, actor_for

    now = now or datetime.now()
    identity = (identity or "").strip()
    if not identity:
        raise SignInFailed("统一身份认证未提供用户名，无法登录")
    outcome = None
    with write_session(engine) as session:
        user = session.execute(select(User).where(User.username == identity[:40])).scalar_one_or_none()
        if user is None or not user.is_active or len(identity) > 40:
            audit(session, Actor(None, identity[:40], "anonymous"), "auth.failed", "user", None,
                  after={"provider": provider}, at=now)
            outcome = f"统一身份认证账号“{identity}”未在本系统开通或已停用，请联系机关管理员"
        elif user.locked_until and user.locked_until > now:
            audit(session, actor_for(user), "auth.locked", "user", user.id, after={"provider": provider}, at=now)
            outcome = "该账号已被锁定，请稍后再试"
        else:
            audit(session, actor_for(user), "auth.signed_in", "user", user.id, after={"provider": provider}, at=now)
            result = SignIn(actor_for(user), False)
    if outcome:
        raise SignInFailed(outcome)
    return result
