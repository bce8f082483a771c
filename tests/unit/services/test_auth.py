"""Sign-in, lock-out after 5 failures for 15 minutes, password change (both engines)."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import AuditLog, User
from gangwen_dash.passwords import hash_password
from gangwen_dash.services import auth
from gangwen_dash.services.base import ValidationFailed

T0 = datetime(2019, 11, 14, 9, 0)


@pytest.fixture
def user(engine):
    with write_session(engine) as s:
        s.add(User(username="alice", display_name="甲", password_hash=hash_password("correct-horse"),
                   role="chair", must_change_password=True))
    return "alice"


def test_sign_in_returns_actor_and_first_login_flag(engine, user):
    result = auth.authenticate("alice", "correct-horse", now=T0, engine=engine)
    assert result.actor.username == "alice" and result.actor.role == "chair"
    assert result.must_change_password is True


def test_five_failures_lock_for_fifteen_minutes(engine, user):
    for i in range(4):
        # The same words as for a name that is no account (nothing tells which names exist).
        with pytest.raises(auth.SignInFailed, match="^用户名或密码错误$"):
            auth.authenticate("alice", "nope", now=T0 + timedelta(seconds=i), engine=engine)
    with pytest.raises(auth.SignInFailed, match="已锁定 15 分钟"):
        auth.authenticate("alice", "nope", now=T0 + timedelta(seconds=5), engine=engine)
    # Locked: even the right password is refused…
    with pytest.raises(auth.SignInFailed, match="锁定"):
        auth.authenticate("alice", "correct-horse", now=T0 + timedelta(minutes=14), engine=engine)
    # …until the lock expires.
    assert auth.authenticate("alice", "correct-horse", now=T0 + timedelta(minutes=16), engine=engine)
    with read_session(engine) as s:
        actions = s.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
    assert actions.count("auth.failed") == 5 and actions[-1] == "auth.signed_in" and "auth.locked" in actions


def test_unknown_user_gets_the_same_message(engine, user):
    with pytest.raises(auth.SignInFailed, match="^用户名或密码错误$"):
        auth.authenticate("mallory", "x", now=T0, engine=engine)


def test_change_password_validates_and_clears_flag(engine, user):
    actor = auth.authenticate("alice", "correct-horse", now=T0, engine=engine).actor
    with pytest.raises(ValidationFailed) as exc:
        auth.change_password(actor, "correct-horse", "short", "short", engine=engine)
    assert "new_password" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        auth.change_password(actor, "correct-horse", "a-long-password", "different-one", engine=engine)
    assert "repeat" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        auth.change_password(actor, "wrong-old", "a-long-password", "a-long-password", engine=engine)
    assert exc.value.errors == {"old_password": "原密码不正确"}
    auth.change_password(actor, "correct-horse", "a-long-password", "a-long-password", engine=engine)
    result = auth.authenticate("alice", "a-long-password", now=T0, engine=engine)
    assert result.must_change_password is False


def test_sign_in_lands_on_the_roles_first_page_at_once():
    """"/" after sign-in is the role's first page, asked for directly (no run of the home page that
    switches to it); a linked page and its filters are kept."""
    from gangwen_dash.ui.auth import landing

    assert landing("/", "chair") == "/dashboard"
    assert landing("/?period=2019-W46&group=1", "chair") == "/dashboard?period=2019-W46&group=1"
    assert landing("/", "unit") == "/unit"
    assert landing("/", "inspector") == "/dashboard"
    assert landing("/map?period=2019-11", "chair") == "/map?period=2019-11"
    assert landing("/entry", "inspector") == "/entry"


def test_sign_in_rehashes_a_password_hashed_with_older_parameters(engine, user):
    """Hashes made with other argon2 parameters still verify; the next good sign-in stores one made with
    today's (OWASP's Argon2id configuration), a wrong password changes nothing."""
    from argon2 import PasswordHasher

    from gangwen_dash.passwords import needs_rehash, verify_password

    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("correct-horse")
    with write_session(engine) as s:
        s.execute(update(User).where(User.username == "alice").values(password_hash=old))
    assert needs_rehash(old)
    with pytest.raises(auth.SignInFailed):
        auth.authenticate("alice", "wrong-horse", now=T0, engine=engine)
    with read_session(engine) as s:
        assert s.execute(select(User.password_hash).where(User.username == "alice")).scalar_one() == old
    auth.authenticate("alice", "correct-horse", now=T0, engine=engine)
    with read_session(engine) as s:
        stored = s.execute(select(User.password_hash).where(User.username == "alice")).scalar_one()
    assert stored != old and not needs_rehash(stored) and verify_password(stored, "correct-horse")
    assert "m=19456,t=2,p=1" in stored
    auth.authenticate("alice", "correct-horse", now=T0, engine=engine)  # and signs in with it again
