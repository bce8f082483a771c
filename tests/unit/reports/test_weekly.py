"""Weekly pack content, HTML and xlsx (both engines): numbers agree with the KPI layer, hostile text is
inert, empty weeks say so, photo pairs and 红黑榜 follow their stated rules."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from gangwen_dash import config, domain
from gangwen_dash.db import read_session, write_session
from gangwen_dash.domain.dates import DateFormatError, parse_iso_week
from gangwen_dash.domain.periods import Period
from gangwen_dash.models import Photo
from gangwen_dash.queries.kpis import kpis
from gangwen_dash.reports import render, xlsx
from gangwen_dash.reports.weekly import build_pack, issue_number
from tests.support.factory import Factory

DEMO_WEEK = "2019-W49"  # 2 inspections, 9 findings, 16 overdue in the demo
EMPTY_WEEK = "2019-W45"  # no inspection and no finding in the demo (but an overdue backlog)
HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '=HYPERLINK("http://evil.example","点我")')


def _kpis(engine, start: date, end: date) -> dict:
    with read_session(engine) as s:
        return kpis(s, Period(start, end)).as_dict()


def test_pack_numbers_are_the_kpi_layer_numbers(demo_engine):
    with read_session(demo_engine) as s:
        pack = build_pack(s, DEMO_WEEK)
    k = _kpis(demo_engine, date(2019, 12, 2), date(2019, 12, 8))
    prev = _kpis(demo_engine, date(2019, 11, 25), date(2019, 12, 1))
    assert pack.has_data and k["inspections"] > 0 and k["findings"] > 0 and k["findings_overdue"] > 0
    assert pack.iso_week == DEMO_WEEK and pack.period == Period(date(2019, 12, 2), date(2019, 12, 8))
    assert pack.issue_no == 49
    assert pack.figures == k and pack.previous == prev
    tiles = {t.key: t for t in pack.tiles}
    assert tiles["inspections"].value == str(k["inspections"])
    assert tiles["findings_overdue"].value == str(k["findings_overdue"])
    diff = k["findings"] - prev["findings"]
    assert tiles["findings"].delta == ("持平" if diff == 0 else f"{diff:+d}".replace("-", "−"))
    assert sum(b.value for b in pack.categories) == k["findings"]
    assert sum(b.value for b in pack.streets) == k["findings"]
    assert pack.overdue_total == k["findings_overdue"]
    assert len(pack.overdue_rows) == min(8, k["findings_overdue"])
    assert sum(w["inspections"] for w in pack.trend if w["week"] == DEMO_WEEK) == k["inspections"]
    assert f"开展督查 {k['inspections']} 次" in pack.summary
    assert f"发现问题 {k['findings']} 个" in pack.summary
    assert f"逾期未整改问题 {k['findings_overdue']} 个" in pack.summary


def test_same_week_twice_gives_identical_html(demo_engine):
    with read_session(demo_engine) as s:
        first = render.render_document(build_pack(s, DEMO_WEEK))
    with read_session(demo_engine) as s:
        second = render.render_document(build_pack(s, DEMO_WEEK))
    assert first == second


def test_empty_week_gives_a_pack_that_says_so(demo_engine):
    with read_session(demo_engine) as s:
        pack = build_pack(s, EMPTY_WEEK)
    k = _kpis(demo_engine, *parse_iso_week(EMPTY_WEEK))
    assert k["inspections"] == 0 and k["findings"] == 0
    assert not pack.has_data
    assert "无督查记录" in pack.summary and f"逾期未整改问题 {k['findings_overdue']} 个" in pack.summary
    html = render.render_fragment(pack)
    assert "本周无督查记录" in html and "本周未发现新问题" in html


def test_empty_database_week_still_renders(engine):
    with read_session(engine) as s:
        pack = build_pack(s, "2024-W01")
    html = render.render_document(pack)
    assert "无督查记录" in html and "截至本周末没有逾期未整改的问题" in html
    assert pack.red == [] and pack.black == [] and pack.pairs == []


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("week,message", [("2019-W60", "没有第 60 周"), ("abc", "无法识别的周次")])
def test_invalid_week_is_refused_in_chinese(backend, engine, week, message):
    with read_session(engine) as s, pytest.raises(DateFormatError, match=message):
        build_pack(s, week)


def test_issue_number_offset_is_configurable(monkeypatch):
    monkeypatch.setenv("GANGWEN_WEEKLY_ISSUE_OFFSET", "-40")
    config.reset_settings()
    try:
        assert issue_number(date(2019, 11, 11)) == 46 - 40
    finally:
        monkeypatch.delenv("GANGWEN_WEEKLY_ISSUE_OFFSET")
        config.reset_settings()
    assert issue_number(date(2019, 11, 11)) == 46


def test_xlsx_rows_match_the_database(demo_engine):
    with read_session(demo_engine) as s:
        pack = build_pack(s, DEMO_WEEK)
        data = xlsx.workbook_bytes(s, pack.period)
    k = pack.figures
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["本周督查", "本周问题", "逾期清单"]
    counts = {ws.title: ws.max_row - 1 for ws in wb.worksheets}
    assert counts == {"本周督查": k["inspections"], "本周问题": k["findings"], "逾期清单": k["findings_overdue"]}
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(ws.column_dimensions[c].width >= 10 for c in "ABC")
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+", name) for name in wb.sheetnames)  # no English sheet name
    assert [c.value for c in wb["本周问题"][1]][:3] == ["问题编号", "发现时间", "工地"]
    assert wb["逾期清单"]["J1"].value == "逾期天数"
    days = [r[9].value for r in wb["逾期清单"].iter_rows(min_row=2)]
    assert days == sorted(days, reverse=True) and min(days) >= 1


def _hostile_week(engine) -> tuple[str, list[int]]:
    """A week holding three findings with hostile descriptions (and a hostile site name)."""
    at = datetime(2024, 3, 5, 10, 0)
    with write_session(engine) as s:
        f = Factory(s)
        street, group = f.street("测试街道"), f.group("测试组")
        site = f.site(street, name='工地<b onmouseover=alert(2)>')
        insp = f.inspection(site, group, at)
        ids = []
        for text in HOSTILE:
            finding = f.finding(insp, due=date(2024, 3, 6))
            finding.description = text
            ids.append(finding.id)
    return "2024-W10", ids


def test_hostile_text_is_inert_in_html_and_xlsx(engine):
    week, _ = _hostile_week(engine)
    with read_session(engine) as s:
        pack = build_pack(s, week)
        data = xlsx.workbook_bytes(s, pack.period)
    assert pack.overdue_total == 3  # due 03-06, open at the week's end
    html = render.render_document(pack)
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    formula_like = [c for c in cells if "HYPERLINK" in c.value]
    assert len(formula_like) == 2  # problems and overdue sheets
    for c in formula_like:
        assert c.data_type == "s" and c.value == "'" + HOSTILE[2]
    assert not any(c.data_type == "f" for c in cells)
    assert any(c.value == HOSTILE[0] for c in cells)  # plain text kept as is


def test_safe_text_neutralises_every_formula_start():
    for lead in "=+-@\t\r":
        assert xlsx.safe_text(lead + "1+1").startswith("'")
    assert xlsx.safe_text("围挡破损") == "围挡破损"


def _photo(photo_dir, rel: str, colour) -> str:
    path = photo_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 240), colour).save(path, "JPEG")
    return rel


def test_typical_pairs_need_before_and_after_photos(engine, photo_dir):
    at = datetime(2024, 3, 5, 10, 0)
    with write_session(engine) as s:
        f = Factory(s)
        street, group = f.street(), f.group()
        site = f.site(street, name="样板工地")
        insp = f.inspection(site, group, at)
        severe = f.finding(insp, severity=domain.SEV_SEVERE, closed=at + timedelta(days=2), replied=at)
        minor = f.finding(insp, severity=domain.SEV_MINOR)
        only_before = f.finding(insp, severity=domain.SEV_SEVERE)
        for fid, kinds in ((severe.id, ("整改前", "整改后")), (minor.id, ("整改前", "整改后")), (only_before.id, ("整改前",))):
            for kind in kinds:
                rel = _photo(photo_dir, f"t/{fid}-{kind}.jpg", (200, 10, 10) if kind == "整改前" else (10, 200, 10))
                s.add(Photo(finding_id=fid, kind=kind, path=rel, thumb_path=rel, width=320, height=240,
                            sha256="0" * 64, check_result="无定位信息"))
    with read_session(engine) as s:
        pack = build_pack(s, "2024-W10")
    assert [p.finding_id for p in pack.pairs] == [severe.id, minor.id]  # 严重 first; no after-photo → left out
    html = render.render_fragment(pack)
    assert html.count("data:image/jpeg;base64,") == 4
    assert "暂无典型问题" not in html


def test_missing_or_outside_photo_is_reported_not_read(engine, photo_dir):
    at = datetime(2024, 3, 5, 10, 0)
    with write_session(engine) as s:
        f = Factory(s)
        insp = f.inspection(f.site(f.street()), f.group(), at)
        finding = f.finding(insp)
        # One file is missing; the other exists but outside the photo store (a crafted path): never read.
        _photo(photo_dir.parent, "outside.jpg", (0, 0, 255))
        for kind, rel in (("整改前", "gone/before.jpg"), ("整改后", "../outside.jpg")):
            s.add(Photo(finding_id=finding.id, kind=kind, path=rel, thumb_path="", width=1,
                        height=1, sha256="0" * 64, check_result="无定位信息"))
    with read_session(engine) as s:
        html = render.render_fragment(build_pack(s, "2024-W10"))
    assert html.count("照片文件缺失") == 2


def test_honour_lists_follow_the_stated_rule(engine):
    week_end = date(2024, 3, 10)
    at = datetime(2024, 3, 4, 9, 0)
    with write_session(engine) as s:
        f = Factory(s)
        street, group = f.street("红黑街道"), f.group()
        worst, bad, good, better = (f.site(street, name=n) for n in ("甲工地", "乙工地", "丙工地", "丁工地"))
        for site, overdue, closed in ((worst, 3, 0), (bad, 1, 2), (good, 0, 1), (better, 0, 2)):
            insp = f.inspection(site, group, at)
            for _ in range(overdue):
                f.finding(insp, due=date(2024, 3, 5))
            for _ in range(closed):
                f.finding(insp, due=date(2024, 3, 5), replied=at, closed=at + timedelta(days=1))
    with read_session(engine) as s:
        pack = build_pack(s, "2024-W10")
    assert pack.period.end == week_end
    assert [(e.site, e.figure) for e in pack.black] == [("甲工地", 3), ("乙工地", 1)]
    # 乙 has overdue problems, so it cannot be on the red list however much it closed.
    assert [(e.site, e.figure) for e in pack.red] == [("丁工地", 2), ("丙工地", 1)]
    assert "黑榜" in pack.honour_rule and "红榜" in pack.honour_rule
