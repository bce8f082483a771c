"""Issue 15 in the app: the 责任单位 account's page shows only its unit's problems whatever a link carries;
交办单 issued from the page; the outbox and the chairs' per-unit view render."""

from __future__ import annotations

from datetime import datetime

import pytest
import streamlit as st
from sqlalchemy import func, select

from gangwen_dash.db import get_engine, read_session
from gangwen_dash.models import Finding, Letter, User
from gangwen_dash.queries import units as q
from gangwen_dash.services.auth import actor_for
from tests.support.apptest import app_test


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _actor(url, username):
    with read_session(get_engine(url)) as s:
        return actor_for(s.execute(select(User).where(User.username == username)).scalar_one())


def _page(path, actor, **params):
    at = app_test(path)
    at.session_state["auth.actor"] = actor
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [t.value for t in at.text]
    for df in at.dataframe:
        parts.append(df.value.to_string())
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_unit_page_lists_exactly_its_handed_over_problems(backend, demo_url):
    zjj = _actor(demo_url, "zjj")
    at = _page("pages/unit_inbox.py", zjj)
    assert not at.exception
    with read_session(get_engine(demo_url)) as s:
        expected = set(s.execute(select(Finding.id).where(
            Finding.responsible_unit == "住建局", Finding.status.in_(("整改中", "待复查")))).scalars())
    assert expected
    shown = set(int(i) for i in at.dataframe[0].value["编号"])
    assert shown == expected
    assert set(at.selectbox(key="unit.finding").options) == {f"#{i}" for i in expected} or \
        len(at.selectbox(key="unit.finding").options) == len(expected)
    assert "本单位整改：住建局" in at.title[0].value
    assert any("本单位收到的交办单" in h.value for h in at.subheader)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_link_to_another_units_problem_shows_nothing_of_it(backend, demo_url):
    zjj = _actor(demo_url, "zjj")
    with read_session(get_engine(demo_url)) as s:
        other = s.execute(select(Finding).where(Finding.responsible_unit == "城管局")
                          .order_by(Finding.id)).scalars().first()
        closed_mine = s.execute(select(Finding).where(Finding.responsible_unit == "住建局",
                                                      Finding.status == "已销号")).scalars().first()
        other_id, other_text, other_site = other.id, other.description, other.site.name
        mine_closed_id = closed_mine.id
    at = _page("pages/unit_inbox.py", zjj, finding=str(other_id))
    assert not at.exception
    assert any(f"未找到问题 #{other_id}" in e.value for e in at.error)
    options = at.selectbox(key="unit.finding").options
    assert not any(f"#{other_id} " in o for o in options)
    # The other unit's problem appears nowhere unless the same site/text is also one of 住建局's.
    with read_session(get_engine(demo_url)) as s:
        mine = set(s.execute(select(Finding.description).where(Finding.responsible_unit == "住建局")).scalars())
    if other_text not in mine:
        assert other_text not in _texts(at)
    # A link to one of its own closed problems opens it (read only), with its timeline.
    at = _page("pages/unit_inbox.py", zjj, finding=str(mine_closed_id))
    assert not at.exception and not at.error
    assert at.selectbox(key="unit.finding").value == mine_closed_id
    assert any("工地时间线" in h.value for h in at.subheader)
    assert other_site  # (used above only when it differs)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_unit_letters_are_only_its_own(backend, demo_url):
    zjj = _actor(demo_url, "zjj")
    at = _page("pages/unit_inbox.py", zjj)
    with read_session(get_engine(demo_url)) as s:
        own = set(s.execute(select(Letter.number).where(Letter.unit_id == zjj.unit_id)).scalars())
        others = set(s.execute(select(Letter.number).where(Letter.unit_id != zjj.unit_id)).scalars())
    assert own and others
    options = set(at.selectbox(key="unit.letter").options)
    assert options == own and not options & others


@pytest.mark.parametrize("backend", ["sqlite"])
def test_secretariat_issues_a_letter_from_the_page(backend, demo_url):
    admin = _actor(demo_url, "admin")
    with read_session(get_engine(demo_url)) as s:
        before = s.execute(select(Letter.id)).scalars().all()
    at = _page("pages/letters.py", admin)
    assert not at.exception
    at.selectbox(key="letters.unit").set_value("城管局").run()
    pick = at.multiselect(key="letters.pick.城管局")
    with read_session(get_engine(demo_url)) as s:
        candidates = q.letterable(s, None, "城管局")
    assert len(pick.options) == len(candidates) > 0
    first = int(candidates.finding_id.iloc[0])
    pick.set_value([first]).run()
    submit = [b for b in at.button if b.label == "交办并生成交办单"][0]
    submit.click().run()
    assert not at.exception
    assert any("已向城管局交办 1 个问题" in s.value for s in at.success), [e.value for e in at.error]
    with read_session(get_engine(demo_url)) as s:
        new = s.execute(select(Letter).where(Letter.id.not_in(before))).scalars().all()
        assert len(new) == 1 and new[0].content["unit"] == "城管局"
        assert q.letters_for_finding(s, new[0].content["items"][0]["finding_id"])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_outbox_and_per_unit_view_render(backend, demo_url):
    admin, chair = _actor(demo_url, "admin"), _actor(demo_url, "chair")
    at = _page("pages/outbox.py", admin)
    assert not at.exception and any("发件箱为空" in i.value for i in at.info)
    at = app_test("pages/rectification.py")
    at.session_state["auth.actor"] = chair
    at.query_params["period"] = "2019"
    at.run()
    assert not at.exception
    assert any("各责任单位整改情况" in h.value for h in at.subheader)
    table = [df.value for df in at.dataframe if "责任单位" in df.value.columns and "回复天数中位数" in df.value.columns]
    assert table and set(table[0]["责任单位"]) >= {"住建局", "城管局", "生态环境局"}
    with read_session(get_engine(demo_url)) as s:
        n = s.execute(select(func.count()).select_from(Finding).where(
            Finding.responsible_unit == "住建局", Finding.handed_over_at >= datetime(2019, 1, 1),
            Finding.handed_over_at < datetime(2020, 1, 1))).scalar_one()
    row = table[0][table[0]["责任单位"] == "住建局"].iloc[0]
    assert row["交办"] == n
