"""User text is never interpreted as Markdown or HTML, and no table offers Streamlit's raw CSV download.

The four hostile strings of ``tests.support.hostile`` are stored through the services in site names,
addresses, finding descriptions, notes, responsible units, hand-over notes, replies, the weekly plan,
a group and a member name; every page that shows them is rendered with AppTest and every element's
protobuf is scanned: outside plain-text elements (st.text, st.code, selectbox options, text widgets'
values, dataframe cells, st.html, which is HTML-escaped) no raw hostile string may appear — only the
escaped form (``ui.usertext.md``). Rendering does not depend on the database engine: SQLite only.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from gangwen_dash import config
from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.db import get_engine, read_session
from gangwen_dash.models import User
from gangwen_dash.services.base import actor_for
from gangwen_dash.ui.usertext import WORD_JOINER, md
from tests.support import hostile
from tests.support.apptest import app_test, record_picker

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])

# Elements whose strings Streamlit shows as plain text; the map (a component: HTML escaped by
# gangwen_dash.maps, tested there) and Vega-Lite charts (text drawn by Vega) do not render Markdown.
PLAIN = {"text", "code", "selectbox", "multiselect", "text_area", "text_input", "arrow_data_frame",
         "dataframe", "html", "json", "component_instance", "arrow_vega_lite_chart", "vega_lite_chart"}


@pytest.fixture
def stored(demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("GANGWEN_SECRETS_FILE", str(hostile.secrets_file(tmp_path)))
    config.reset_settings()
    yield hostile.store(demo_url)
    config.reset_settings()


def _actor(url, username):
    with read_session(get_engine(url)) as s:
        return actor_for(s.execute(select(User).where(User.username == username)).scalar_one())


def _open(script, actor, query=None):
    at = app_test(script)
    at.session_state["auth.actor"] = actor
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _strings(msg):
    """Every string field of a protobuf message, recursively."""
    for _fd, value in msg.ListFields():
        values = value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else [value]
        for v in values:
            if isinstance(v, str):
                yield v
            elif hasattr(v, "ListFields"):
                yield from _strings(v)


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def rendered(at) -> list[tuple[str, str]]:
    """(element type, string) for every string Streamlit may render as Markdown on this page."""
    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or node.type in PLAIN:
            continue
        out.extend((node.type, s) for s in _strings(proto))
    return out


def assert_inert(at) -> list[str]:
    assert not at.exception, at.exception
    strings = rendered(at)
    for kind, s in strings:
        for raw in hostile.HOSTILE:
            assert raw not in s, (kind, s)
    return [s for _, s in strings]


def test_md_escapes_markdown_html_directives_and_autolinks():
    assert md(hostile.IMAGE) == f"\\!\\[x\\]\\(http\\:{WORD_JOINER}\\/\\/attacker\\.example\\/b\\.png\\)"
    assert md(hostile.COLOUR) == "\\:red\\[x\\]"
    assert md(hostile.HTML) == "\\<img src\\=x onerror\\=alert\\(1\\)\\>"
    assert md("见 www.x.cn 或 a@b.cn") == f"见 www{WORD_JOINER}\\.x\\.cn 或 a{WORD_JOINER}\\@b\\.cn"
    assert md("港闸区 工地（一期）") == "港闸区 工地（一期）"  # Chinese text is unchanged
    assert md(None) == ""
    assert md(md("*")) == "\\\\\\*"  # escaping twice shows the backslash (callers escape once)


@SQLITE
def test_rectification_page_shows_every_field_as_typed(stored, demo_url):
    at = _open("pages/tracking.py", _actor(demo_url, "admin"))
    at.selectbox(key="track.finding").set_value(stored.finding_id).run()
    strings = assert_inert(at)
    assert any(f"#{stored.finding_id} {md(stored.site)} · " in s for s in strings)
    assert stored.description in [t.value for t in at.text]  # st.text: verbatim
    assert any(f"责任单位：{md(hostile.UNIT)}" in c.value for c in at.caption)
    assert any(c.value == f"整改回复：{md(stored.reply)}" for c in at.caption)
    assert f"工地时间线：{md(stored.site)}" in [h.value for h in at.subheader]
    captions = " ".join(c.value for c in at.caption)
    for text in (stored.notes, stored.hand_over_note, stored.reply, stored.description):
        assert md(text) in captions  # the site timeline's details

    leader = _open("pages/tracking.py", _actor(demo_url, "inspector1"))
    assert_inert(leader)
    assert any(c.value.startswith(f"督查组：{md(stored.group)}") for c in leader.caption)


@SQLITE
def test_entry_page_shows_site_and_group_escaped(stored, demo_url):
    admin = _open("pages/inspection_entry.py", _actor(demo_url, "admin"))
    admin.selectbox(key="entry.site").set_value(stored.site_id).run()
    assert_inert(admin)
    assert any(md(stored.address) in c.value for c in admin.caption)

    inspector = _open("pages/inspection_entry.py", _actor(demo_url, "inspector1"))
    assert_inert(inspector)
    assert f"督查组：{md(stored.group)}" in [c.value for c in inspector.caption]


@SQLITE
def test_map_dashboard_and_analysis_pages(stored, demo_url):
    admin = _actor(demo_url, "admin")
    at = _open("pages/map.py", admin, {"group": str(stored.group_id)})
    at.selectbox(key="map.site").set_value(stored.site_id).run()
    assert_inert(at)
    assert f"{md(stored.site)} · 时间线" in [h.value for h in at.subheader]
    for script in ("pages/dashboard.py", "pages/rectification.py", "pages/activities.py",
                   "pages/projects.py"):
        page = _open(script, admin, {"group": str(stored.group_id)})
        assert_inert(page)
        assert any(f"督查组：{md(stored.group)}" in c.value for c in page.caption), script


@SQLITE
def test_weekly_page_escapes_the_plan_and_records_page_runs(stored, demo_url):
    admin = _actor(demo_url, "admin")
    at = _open("pages/weekly_report.py", admin, {"week": stored.week})
    assert_inert(at)
    body = "".join(el.proto.body for el in at.get("html"))
    assert "安排![x](http://attacker.example/b.png) :red[x] [a](javascript:x) &lt;img src=x onerror=alert(1)&gt;" \
        in body
    assert hostile.HTML not in body
    for script in ("pages/records.py", "pages/data_exchange.py"):
        assert_inert(_open(script, admin))


@SQLITE
def test_stale_edit_message_quoting_user_values_is_escaped(stored, demo_url):
    """A refused save quotes the values another user saved (ui.editing.show_refusal)."""
    from gangwen_dash.services import records

    admin = _actor(demo_url, "admin")
    at = _open("pages/records.py", admin)
    at.selectbox(key="records.kind").set_value("group").run()
    record_picker(at).set_value(stored.group_id).run()
    with read_session(get_engine(demo_url)) as s:
        from gangwen_dash.models import InspectionGroup

        group = s.get(InspectionGroup, stored.group_id)
        version, order = group.version, group.sort_order
    records.update(admin, "group", stored.group_id, {"name": "组" + hostile.COLOUR, "sort_order": order}, version,
                   engine=get_engine(demo_url))
    [b for b in at.button if b.label == "保存"][0].click().run()
    assert_inert(at)
    assert any(md("组" + hostile.COLOUR) in e.value for e in at.error), [e.value for e in at.error]


def test_no_table_offers_the_raw_csv_download():
    """st.dataframe's toolbar CSV writes cells raw (formula injection): off for the whole app."""
    settings = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["disableDataExport"] is True
    from streamlit import config as st_config
    from streamlit.proto.NewSession_pb2 import Config
    from streamlit.runtime.app_session import _populate_config_msg

    before = st_config.get_option("client.disableDataExport")
    st_config.set_option("client.disableDataExport", settings["client"]["disableDataExport"])
    try:
        msg = Config()
        _populate_config_msg(msg)
        assert msg.disable_data_export  # what each browser session receives with this config
    finally:
        st_config.set_option("client.disableDataExport", before)


def test_pages_never_hand_text_to_st_write():
    """st.write renders a string as Markdown; pages and ui helpers use st.text, md() or widgets instead."""
    files = [*PROJECT_ROOT.joinpath("pages").glob("*.py"), *PROJECT_ROOT.joinpath("gangwen_dash", "ui").glob("*.py"),
             PROJECT_ROOT / "app.py"]
    calls = [f"{f.name}:{n.lineno}" for f in files for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "write"
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "st"]
    assert calls == []
