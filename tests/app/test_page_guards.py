"""Every page checks sign-in and role itself (a deep link can reach pages/ before app.py's gate)."""

import pytest

from gangwen_dash.domain import ROLES
from gangwen_dash.services.base import Actor
from gangwen_dash.ui.navigation import PAGES
from tests.support.apptest import app_test

GROUPED = {"inspector", "group_leader"}


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_signed_out_visitor_sees_only_the_sign_in_prompt(backend, demo_url, spec):
    at = app_test(spec.path).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["请先登录。"]
    assert not at.metric and not at.dataframe and not at.button


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("spec", [s for s in PAGES if set(s.roles) != set(ROLES)], ids=lambda s: s.url_path)
def test_roles_outside_the_page_list_are_refused(backend, demo_url, spec):
    for role in sorted(set(ROLES) - set(spec.roles)):
        at = app_test(spec.path)
        at.session_state["auth.actor"] = Actor(99, "someone", role, group_id=1 if role in GROUPED else None)
        at.run()
        assert not at.exception
        assert any("无权访问此页面" in e.value for e in at.error), (spec.path, role)
        assert not at.metric and not at.dataframe


def test_every_page_and_only_pages_have_roles_in_permissions():
    """One source of roles: permissions.PAGES names exactly the pages the navigation lists, with known roles."""
    from gangwen_dash.services.permissions import PAGES as PAGE_ROLES

    assert set(PAGE_ROLES) == {spec.url_path for spec in PAGES}
    assert all(set(roles) <= set(ROLES) and roles for roles in PAGE_ROLES.values())
