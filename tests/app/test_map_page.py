"""督查地图 under AppTest with the 2019 demo (both engines).

AppTest does not render components (the st_folium iframe): the map itself is tested as a function in
tests/unit/maps/ and in a real browser in tests/e2e/test_map_browser.py. Here: the page runs,
its figures agree with the query layer, the URL filters apply, and a selected site shows its timeline.
"""

from datetime import date

from gangwen_dash.db import read_session
from gangwen_dash.domain.periods import Filters
from gangwen_dash.queries.reference import streets
from gangwen_dash.queries.sites import site_cards
from gangwen_dash.queries.timeline import site_timeline
from gangwen_dash.services.base import Actor
from gangwen_dash.ui.usertext import md
from tests.support.apptest import app_test


def _open(query: dict | None = None):
    at = app_test("pages/map.py")
    at.session_state["auth.actor"] = Actor(2, "chair", "chair")
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def test_map_page_runs_and_counts_cards_as_of_the_period_end(demo_url):
    at = _open({"period": "2019-11"})
    assert not at.exception, at.exception
    with read_session() as s:
        cards = site_cards(s, date(2019, 11, 30))["card"].value_counts().to_dict()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"红牌": f"{cards.get('red', 0)} 个", "黄牌": f"{cards.get('yellow', 0)} 个",
                       "绿牌": f"{cards.get('green', 0)} 个"}
    assert any("牌色截至 2019-11-30" in c.value for c in at.caption)
    assert not at.error


def test_selecting_a_site_shows_its_timeline(demo_url):
    at = _open({"period": "2019"})
    with read_session() as s:
        frame = site_cards(s, date(2019, 12, 31))
        busy = frame.sort_values("open_count", ascending=False).iloc[0]
        expected = site_timeline(s, int(busy["id"]))
    box = at.selectbox(key="map.site")
    assert box.value is None and len(box.options) == len(frame) + 1
    box.set_value(int(busy["id"])).run()
    assert not at.exception, at.exception
    assert any(h.value == f"{md(busy['name'])} · 时间线" for h in at.subheader)
    table = at.dataframe[0].value
    assert len(table) == len(expected) > 0
    assert list(table.columns) == ["时间", "类型", "事项", "说明"]
    assert list(table["类型"]) == list(expected["kind"])
    assert any(f"未销号问题：{busy['open_count']} 个" in md.value for md in at.markdown)


def test_street_filter_from_the_url_limits_the_sites(demo_url):
    with read_session() as s:
        street = streets(s).iloc[2]
        in_street = site_cards(s, date(2019, 12, 31), Filters(street_id=int(street["id"])))
    at = _open({"period": "2019", "street": str(street["id"])})
    assert not at.exception, at.exception
    box = at.selectbox(key="map.site")
    assert len(box.options) == len(in_street) + 1
    assert at.selectbox(key="filters.street").value == int(street["id"])
    total = sum(int(m.value.split()[0]) for m in at.metric)
    assert total == len(in_street)


def test_bad_tiles_setting_falls_back_with_a_warning(demo_url, monkeypatch):
    from gangwen_dash import config

    monkeypatch.setenv("GANGWEN_TILES", "tianditu")
    monkeypatch.delenv("GANGWEN_TIANDITU_TK", raising=False)
    monkeypatch.setenv("GANGWEN_SECRETS_FILE", "/nonexistent/secrets.toml")
    config.reset_settings()
    at = _open({"period": "2019"})
    assert not at.exception, at.exception
    assert any("天地图需要密钥" in w.value for w in at.warning)
    assert any("底图：无底图" in c.value for c in at.caption)


def test_site_text_cannot_format_the_page(demo_url):
    """Markdown in a site's name or street is shown as typed, not as bold text, links or colours."""
    from sqlalchemy import update

    from gangwen_dash.db import write_session
    from gangwen_dash.models import Site

    evil = "**粗体** [链接](http://evil.example) :red[红] $x$"
    with write_session() as s:
        site_id = s.execute(update(Site).where(Site.id == 1).values(name=evil).returning(Site.id)).scalar_one()
    at = _open({"period": "2019"})
    at.selectbox(key="map.site").set_value(site_id).run()
    assert not at.exception, at.exception
    heading = next(h.value for h in at.subheader if h.value.endswith("· 时间线"))
    assert heading == md(evil) + " · 时间线"
    assert "**" not in heading and "](" not in heading and ":red[" not in heading


def test_gaode_tiles_from_the_environment(demo_url, monkeypatch):
    from gangwen_dash import config

    monkeypatch.setenv("GANGWEN_TILES", "gaode")
    monkeypatch.setenv("GANGWEN_SECRETS_FILE", "/nonexistent/secrets.toml")
    config.reset_settings()
    at = _open({"period": "2019-11"})
    assert not at.exception, at.exception
    assert any("底图：高德地图" in c.value for c in at.caption)
    assert not at.warning


def test_map_data_and_the_built_map_are_read_once_per_filter(demo_url, monkeypatch):
    """Reruns (a site chosen, a new session) take the map data and the built map from the cache; another
    period reads and builds once more."""
    import streamlit as st

    from gangwen_dash import maps
    from gangwen_dash.queries import sites

    calls = {"data": 0, "build": 0}
    real_data, real_build = sites.map_data, maps.build_map

    def counted_data(*args, **kwargs):
        calls["data"] += 1
        return real_data(*args, **kwargs)

    def counted_build(*args, **kwargs):
        calls["build"] += 1
        return real_build(*args, **kwargs)

    monkeypatch.setattr(sites, "map_data", counted_data)
    monkeypatch.setattr(maps, "build_map", counted_build)
    st.cache_data.clear()
    at = _open({"period": "2019"})
    assert not at.exception, at.exception
    assert calls == {"data": 1, "build": 1}
    box = at.selectbox(key="map.site")
    box.set_value(box.options[1]).run()
    assert any(h.value.endswith("· 时间线") for h in at.subheader)
    _open({"period": "2019"})  # another session, same filters
    assert calls == {"data": 1, "build": 1}
    _open({"period": "2019-11"})
    assert calls == {"data": 2, "build": 2}
