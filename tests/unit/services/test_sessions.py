"""Server-side sessions and a sign-in that cannot be raced or probed (both engines)."""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import AuditLog, User, UserSession
from gangwen_dash.services import auth, drafts, sessions, users
from gangwen_dash.services.base import actor_for
from gangwen_dash.web import _safe_next
from tests.support.databases import fast_hash

T0 = datetime(2019, 11, 14, 9, 0)


def _add_user(engine, username, role="secretariat", password="correct-horse", group_id=None):
    with write_session(engine) as s:
        user = User(username=username, display_name=username, password_hash=fast_hash(password), role=role,
                    group_id=group_id, must_change_password=False)
        s.add(user)
        s.flush()
        return actor_for(user)


def _signed_in(engine, actor, now=None):
    code = sessions.begin(actor.user_id, user_agent="pytest", now=now, engine=engine)
    token, max_age = sessions.claim(code, now=now, engine=engine)
    assert max_age > 0
    return token


def test_handoff_code_is_single_use_and_short_lived(engine):
    alice = _add_user(engine, "alice")
    code = sessions.begin(alice.user_id, now=T0, engine=engine)
    late = sessions.begin(alice.user_id, now=T0, engine=engine)
    token, _ = sessions.claim(code, now=T0 + timedelta(seconds=5), engine=engine)
    assert sessions.claim(code, now=T0 + timedelta(seconds=6), engine=engine) is None  # used
    assert sessions.claim(late, now=T0 + timedelta(minutes=3), engine=engine) is None  # expired
    assert sessions.resolve(token, now=T0, engine=engine).actor.username == "alice"
    with read_session(engine) as s:
        stored = s.execute(select(UserSession.token_hash)).scalars().all()
    assert token not in stored and all(h is None or len(h) == 64 for h in stored)


def test_idle_and_absolute_expiry(engine):
    alice = _add_user(engine, "alice")
    token = _signed_in(engine, alice, T0)
    # Each rerun moves the idle expiry on (8 h by default) …
    for hours in range(0, 7 * 24 - 8, 6):
        assert sessions.resolve(token, now=T0 + timedelta(hours=hours), engine=engine).actor is not None
    # … but not past the absolute limit (7 days).
    assert sessions.resolve(token, now=T0 + timedelta(days=7, minutes=1), engine=engine).ended == "expired"
    other = _signed_in(engine, alice, T0)
    assert sessions.resolve(other, now=T0 + timedelta(hours=8, minutes=1), engine=engine).ended == "idle"
    assert sessions.resolve("no-such-token", engine=engine).notice == "登录已过期，请重新登录"


def test_deactivation_role_change_and_reset_end_every_session(engine):
    admin = _add_user(engine, "admin")
    bob = _add_user(engine, "bob")
    tokens = [_signed_in(engine, bob) for _ in range(2)]
    with read_session(engine) as s:
        version = s.get(User, bob.user_id).version
    version = users.update_user(admin, bob.user_id, {"username": "bob", "display_name": "bob", "role": "chair"},
                                version, engine=engine)
    assert {sessions.resolve(t, engine=engine).ended for t in tokens} == {"role_changed"}

    token = _signed_in(engine, bob)
    assert sessions.resolve(token, engine=engine).actor.role == "chair"
    users.reset_password(admin, bob.user_id, "temporary-pass", engine=engine)
    assert sessions.resolve(token, engine=engine).ended == "password"

    token = _signed_in(engine, bob)
    users.update_user(admin, bob.user_id, {"username": "bob", "role": "chair", "is_active": False},
                      version + 1, engine=engine)
    current = sessions.resolve(token, engine=engine)
    assert current.actor is None and current.notice.startswith("您的账号已被停用")


def test_password_change_keeps_this_session_and_ends_the_others(engine):
    alice = _add_user(engine, "alice")
    here, elsewhere = _signed_in(engine, alice), _signed_in(engine, alice)
    here_id = sessions.resolve(here, engine=engine).session_id
    auth.change_password(alice, "correct-horse", "a-new-password", "a-new-password", session_id=here_id,
                         engine=engine)
    assert sessions.resolve(here, engine=engine).actor is not None
    assert sessions.resolve(elsewhere, engine=engine).ended == "password"


def test_sign_out_everywhere_and_revocation_by_the_secretariat(engine):
    admin = _add_user(engine, "admin")
    alice = _add_user(engine, "alice", role="chair")
    a, b = _signed_in(engine, alice), _signed_in(engine, alice)
    sessions.end(a, engine=engine)
    assert sessions.resolve(a, engine=engine).notice == "您已退出登录"
    assert sessions.resolve(b, engine=engine).actor is not None
    assert sessions.open_sessions(alice.user_id, engine=engine) == 1
    assert sessions.revoke_for(admin, alice.user_id, engine=engine) == 1
    assert sessions.resolve(b, engine=engine).ended == "revoked"
    c = _signed_in(engine, alice)
    with pytest.raises(Exception, match="管理用户账号"):
        sessions.revoke_for(alice, admin.user_id, engine=engine)
    assert sessions.end_everywhere(alice, engine=engine) == 1
    assert sessions.resolve(c, engine=engine).ended == "signed_out_all"


def _guess_in_parallel(engine, n):
    barrier = threading.Barrier(n)
    messages = []

    def guess():
        barrier.wait()
        try:
            auth.authenticate("alice", "wrong-password", engine=engine)
        except auth.SignInFailed as exc:
            messages.append(str(exc))

    threads = [threading.Thread(target=guess) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return messages


def test_parallel_wrong_passwords_lock_exactly_like_serial_ones(engine, monkeypatch):
    monkeypatch.setattr("gangwen_dash.services.auth.verify_password",
                        lambda h, p: time.sleep(0.02) or p == "correct-horse")
    _add_user(engine, "alice")
    messages = _guess_in_parallel(engine, 10)
    assert len(messages) == 10
    with read_session(engine) as s:
        user = s.execute(select(User).where(User.username == "alice")).scalar_one()
        failed = s.execute(select(AuditLog).where(AuditLog.action == "auth.failed")).scalars().all()
    print(f"\n[{engine.dialect.name}] 10 parallel wrong passwords: locked_until={user.locked_until}, "
          f"failed_attempts={user.failed_attempts}, audited failures={len(failed)}")
    assert user.locked_until is not None and user.locked_until > datetime.now() + timedelta(minutes=14)
    assert user.failed_attempts == 0  # as after 5 serial ones: the lock resets the count
    assert sum("已锁定 15 分钟" in m for m in messages) == 1
    with pytest.raises(auth.SignInFailed, match="锁定"):
        auth.authenticate("alice", "correct-horse", engine=engine)


def test_unknown_and_known_names_cost_the_same_and_read_the_same(engine):
    _add_user(engine, "alice")
    auth.authenticate("alice", "correct-horse", engine=engine)  # warm the dummy hash and the pool
    with write_session(engine) as s:  # real argon2 cost for both (the fixture's user has a cheap hash)
        s.execute(User.__table__.update().values(password_hash=auth.hash_password("correct-horse")))
    known, unknown = [], []
    for i in range(7):
        for name, bucket in (("alice", known), ("nobody", unknown)):
            start = time.perf_counter()
            with pytest.raises(auth.SignInFailed) as exc:
                auth.authenticate(name, f"wrong-{i}", now=T0 + timedelta(minutes=20 * i), engine=engine)
            bucket.append(time.perf_counter() - start)
            assert str(exc.value) == "用户名或密码错误"
        with write_session(engine) as s:  # keep alice unlocked for the next round
            s.execute(User.__table__.update().values(failed_attempts=0, locked_until=None))
    k, u = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    print(f"\n[{engine.dialect.name}] median sign-in time: known user {k:.1f} ms, unknown user {u:.1f} ms")
    assert abs(k - u) <= 0.3 * max(k, u)


def test_a_password_typed_as_user_name_is_not_stored(engine):
    _add_user(engine, "alice")
    with pytest.raises(auth.SignInFailed):
        auth.authenticate("Secret-Pa55word!", "x", engine=engine)
    with read_session(engine) as s:
        rows = s.execute(select(AuditLog)).scalars().all()
    assert rows and all("Secret-Pa55word" not in f"{r.username}{r.after}{r.before}" for r in rows)
    assert rows[-1].username.startswith("unknown:")


def test_draft_saves_quickly_while_four_threads_guess_passwords(engine):
    alice = _add_user(engine, "alice", role="secretariat")
    with write_session(engine) as s:  # real argon2 cost, as in production
        s.execute(User.__table__.update().values(password_hash=auth.hash_password("correct-horse")))
    stop = threading.Event()

    def guess():
        while not stop.is_set():
            with contextlib.suppress(auth.SignInFailed):
                auth.authenticate("alice", "wrong", engine=engine)

    threads = [threading.Thread(target=guess) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        timings = []
        for i in range(10):
            start = time.perf_counter()
            drafts.save_draft(alice, "entry", {"note": f"第 {i} 稿"}, engine=engine)
            timings.append((time.perf_counter() - start) * 1000)
    finally:
        stop.set()
        for t in threads:
            t.join()
    median = statistics.median(timings)
    print(f"\n[{engine.dialect.name}] draft save while 4 threads sign in wrongly: median {median:.1f} ms, "
          f"max {max(timings):.1f} ms")
    # The figure to read is the print (the goal is < 50 ms on an idle machine). The assertion guards the
    # design: were a guess's argon2 check (≈180 ms) done inside the write transaction, saves would queue
    # behind it for hundreds of ms.
    assert median < 150
    assert drafts.load_draft(alice, "entry", engine=engine)["note"] == "第 9 稿"


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("value", "expected"), [
    ("/dashboard?period=2019-W46", "/dashboard?period=2019-W46"), ("https://evil.example/", "/"),
    ("//evil.example/x", "/"), ("dashboard", "/"), ("/\\evil", "/"), (None, "/")])
def test_return_address_stays_on_this_site(backend, value, expected):
    assert _safe_next(value) == expected
