"""Optional OIDC sign-in (st.login): offered only with [auth] in secrets; the provider's identity must be an
active local account, whose role applies; refusals are audited once (both engines)."""

from __future__ import annotations

from sqlalchemy import func, select

from gangwen_dash.db import read_session
from gangwen_dash.models import AuditLog
from tests.support.apptest import app_test

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "gangwen",
        "client_secret": "s" * 16, "server_metadata_url": "https://sso.example.gov.cn/.well-known/openid-configuration"}


def _labels(at) -> list[str]:
    return [b.label for b in at.button]


def test_without_auth_section_only_the_password_form_is_offered(demo_url):
    at = app_test().run()
    assert not at.exception
    assert "使用统一身份认证登录" not in _labels(at)
    assert "登录" in _labels(at)


def test_with_auth_section_the_provider_button_is_offered(demo_url):
    at = app_test()
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert "使用统一身份认证登录" in _labels(at) and "登录" in _labels(at)


def test_provider_identity_maps_to_the_local_account_and_its_role(demo_engine):
    at = app_test()
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "leader1"}
    at.session_state["auth.test_claim"] = True  # (no browser to carry the cookie)
    at.run()
    at.run()
    assert not at.exception
    actor = at.session_state["auth.actor"]
    assert (actor.username, actor.role) == ("leader1", "group_leader") and actor.group_id is not None
    with read_session(demo_engine) as s:
        row = s.execute(select(AuditLog).where(AuditLog.action == "auth.signed_in")).scalar_one()
        assert row.username == "leader1" and row.after == {"provider": "oidc"}


def test_unknown_identity_is_refused_once_with_a_chinese_message(demo_engine):
    at = app_test()
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "stranger@example.com"}
    at.run()
    at.run()  # a rerun does not try (and audit) again
    assert not at.exception
    assert "auth.actor" not in at.session_state
    assert any("未在本系统开通" in e.value for e in at.error)
    assert "退出统一身份认证" in _labels(at)
    with read_session(demo_engine) as s:
        assert s.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "auth.failed", AuditLog.username == "stranger@example.com")).scalar_one() == 1
