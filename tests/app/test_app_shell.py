"""The app shell: sign-in gate, navigation by role, overview figures (both engines)."""

from tests.support.apptest import app_test


def sign_in(at, username="chair", password="gangwen-2019"):
    # No browser to follow the redirect to /session/start: claim the session token in-process.
    at.session_state["auth.test_claim"] = True
    at.text_input(key="login.username").set_value(username)
    at.text_input(key="login.password").set_value(password)
    at.button[0].click()
    return at.run()


def test_gate_then_overview_shows_2019_figures(demo_url):
    at = app_test().run()
    assert not at.exception
    assert not at.metric  # nothing shown before sign-in
    sign_in(at)
    assert not at.exception
    token = at.session_state["auth.token"]
    # A new browser session holding the same token (what a reload with the cookie is) is signed in.
    at = app_test()
    at.session_state["auth.token"] = token
    at.query_params["period"] = "2019"  # the cockpit opens on the latest week; ask for the year
    at.run()
    actor = at.session_state["auth.actor"]
    assert (actor.username, actor.role) == ("chair", "chair")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["督查次数"] == "32 次"
    assert metrics["协商议事室"] == "75 个"
    assert metrics["民生项目"] == "78 个"
    assert metrics["提案"] == "136 件"


def test_wrong_password_is_refused_with_chinese_message(demo_url):
    at = app_test().run()
    sign_in(at, password="wrong-password")
    assert not at.metric
    assert any("用户名或密码错误" in e.value for e in at.error)


def test_overview_on_empty_database_explains_what_to_do(db_url):
    from gangwen_dash.services.base import Actor

    at = app_test()
    at.session_state["auth.actor"] = Actor(1, "admin", "secretariat")
    at.run()
    assert not at.exception
    assert any("导入台账" in i.value and "演示数据" in i.value for i in at.info)


def _session_for(engine, username):
    from sqlalchemy import select

    from gangwen_dash.db import read_session
    from gangwen_dash.models import User
    from gangwen_dash.services import sessions

    with read_session(engine) as s:
        user_id = s.execute(select(User.id).where(User.username == username)).scalar_one()
    token, _ = sessions.claim(sessions.begin(user_id, engine=engine), engine=engine)
    return user_id, token


def _admin(engine):
    from sqlalchemy import select

    from gangwen_dash.db import read_session
    from gangwen_dash.models import User
    from gangwen_dash.services.base import actor_for

    with read_session(engine) as s:
        return actor_for(s.execute(select(User).where(User.username == "admin")).scalar_one())


def _version(engine, user_id):
    from gangwen_dash.db import read_session
    from gangwen_dash.models import User

    with read_session(engine) as s:
        return s.get(User, user_id).version


def test_deactivated_account_is_signed_out_at_its_next_click(demo_engine):
    from gangwen_dash.services import users

    user_id, token = _session_for(demo_engine, "leader1")
    at = app_test()
    at.session_state["auth.token"] = token
    at.run()
    assert at.session_state["auth.actor"].username == "leader1" and not at.exception
    users.update_user(_admin(demo_engine), user_id, {"username": "leader1", "role": "group_leader",
                                                     "group_id": 1, "is_active": False},
                      _version(demo_engine, user_id), engine=demo_engine)
    at.run()  # the next interaction (AppTest reruns the page script itself: its own guard signs out)
    assert "auth.actor" not in at.session_state
    assert any("账号已被停用" in w.value for w in [*at.info, *at.warning])
    assert not at.metric and not at.dataframe
    at = app_test()  # reload: the sign-in form, no data
    at.session_state["auth.token"] = token
    at.run()
    assert any("账号已被停用" in w.value for w in at.info) and not at.metric
    assert at.text_input(key="login.username") is not None


def test_demoted_secretariat_loses_the_office_pages_and_their_writes(demo_engine):
    from gangwen_dash.services import users
    from gangwen_dash.services.base import PermissionDenied

    admin = _admin(demo_engine)
    other_id, token = _session_for(demo_engine, "chair")
    users.update_user(admin, other_id, {"username": "chair", "role": "secretariat"},
                      _version(demo_engine, other_id), engine=demo_engine)
    _, token = _session_for(demo_engine, "chair")
    at = app_test()
    at.session_state["auth.token"] = token
    at.run()
    actor = at.session_state["auth.actor"]
    assert actor.role == "secretariat"
    users.update_user(admin, other_id, {"username": "chair", "role": "chair"}, _version(demo_engine, other_id),
                      engine=demo_engine)
    at.run()
    assert "auth.actor" not in at.session_state
    assert any("角色" in w.value for w in [*at.info, *at.warning])
    # The actor object the old session held is refused by the write services too: its session is gone and
    # the permission check reads the role the service is handed — which the page now takes from the database.
    _, token = _session_for(demo_engine, "chair")
    at = app_test()
    at.session_state["auth.token"] = token
    at.run()
    assert at.session_state["auth.actor"].role == "chair"
    import pytest

    with pytest.raises(PermissionDenied):
        users.create_user(at.session_state["auth.actor"], {"username": "x1", "role": "chair"}, "long-password",
                          engine=demo_engine)
