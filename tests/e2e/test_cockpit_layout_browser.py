"""驾驶舱 charts in Chromium at phone, tablet and desktop sizes (390×844, 1024×768, 1920×1080): every
axis label, legend entry, title and category / street name is drawn in full inside its chart, every
chart fits the screen, the row charts are as tall as their rows need, and on the phone the overdue
list starts with 逾期天数 and the problem."""

from datetime import date

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from gangwen_dash.domain.periods import Period
from gangwen_dash.queries import findings
from tests.e2e.conftest import login, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

SIZES = [(390, 844), (1024, 768), (1920, 1080)]

# Per chart: its svg box, every text Vega drew (axis labels, legend labels, titles, row names) with its
# box, and the plot frame's height. Text truncated by Vega ends with "…".
CHART_TEXTS = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart] svg')].map(svg => {
  const box = r => { const b = r.getBoundingClientRect(); return {l: b.left, r: b.right, t: b.top, b: b.bottom}; };
  const texts = sel => [...svg.querySelectorAll(sel)].map(t => ({text: t.textContent, ...box(t)}));
  return {svg: box(svg), axis: texts('.role-axis-label text'), legend: texts('.role-legend-label text'),
          title: texts('.role-title-text text, .role-title-subtitle text'),
          rows: texts('.role-mark.mark-text text'), bars: [...svg.querySelectorAll('.role-mark.mark-rect path')].map(box)};
})"""


def _overlap(a, b) -> bool:
    return a["t"] < b["b"] - 1 and b["t"] < a["b"] - 1 and a["l"] < b["r"] - 1 and b["l"] < a["r"] - 1


def _expected_rows(db_url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(db_url)
    with Session(engine) as s:
        period = Period(date(2019, 1, 1), date(2019, 12, 31))
        cats, streets = findings.by_category(s, period), findings.by_street(s, period)
    engine.dispose()
    return set(cats["label"]), set(streets["street"])


def test_cockpit_charts_are_readable_on_every_screen(app_server, browser):
    categories, streets = _expected_rows(app_server.db_url)
    assert len(categories) >= 8 and len(streets) >= 6  # the demo year has rows enough to crowd a chart
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        login(page, app_server.url, "chair")
        if width < 640:  # the sidebar with the filters is collapsed on a phone
            page.get_by_test_id("stExpandSidebarButton").click()
        page.get_by_test_id("stSidebar").get_by_text("本年", exact=True).click()
        wait_for_app(page)
        page.get_by_text("问题类别分布").first.wait_for(timeout=30_000)
        page.locator("[data-testid=stVegaLiteChart] svg").nth(3).wait_for(timeout=30_000)
        if width < 640:
            page.keyboard.press("Escape")
        wait_for_app(page)
        page.wait_for_timeout(500)
        drawn = page.evaluate(CHART_TEXTS)
        assert len(drawn) == 4, (width, len(drawn))
        for i, chart in enumerate(drawn):
            svg = chart["svg"]
            assert svg["l"] >= -1 and svg["r"] <= width + 1, (width, i, svg)  # the chart fits the screen
            for kind in ("axis", "legend", "title", "rows"):
                for t in chart[kind]:
                    assert "…" not in t["text"], (width, i, kind, t["text"])  # nothing truncated
                    assert svg["l"] - 1 <= t["l"] and t["r"] <= svg["r"] + 1, (width, i, kind, t)  # nor clipped
            legend = chart["legend"]
            assert not any(_overlap(a, b) for j, a in enumerate(legend) for b in legend[j + 1:]), (width, i)
        # The category and street charts: a row per name, each name in full, rows tall enough for a name
        # above a bar at least 12 px thick, and no name overlapping a bar.
        by_names = {frozenset(t["text"].split("　")[0] for t in c["rows"]): c for c in drawn if c["rows"]}
        assert set(by_names) == {frozenset(categories), frozenset(streets)}, (width, list(by_names))
        for chart in by_names.values():
            rows = sorted(chart["rows"], key=lambda t: t["t"])
            gaps = [b["t"] - a["t"] for a, b in zip(rows, rows[1:], strict=False)]
            bars = [b for b in chart["bars"] if b["b"] - b["t"] > 0]
            thickness = min(b["b"] - b["t"] for b in bars)
            assert thickness >= 12, (width, bars[:3])
            assert min(gaps) >= max(r["b"] - r["t"] for r in rows) + thickness, (width, gaps)
            assert not any(_overlap(r, b) for r in rows for b in bars), width
        # The KPI cards, in rows: two a row on the phone (not a screen per card), four elsewhere.
        tops = page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-two-up-kpi-cards"] [data-testid=stMetric]')]
                                 .map(m => Math.round(m.getBoundingClientRect().top))""")
        assert len(tops) >= 6, tops
        per_row = max(tops.count(t) for t in set(tops))
        assert per_row == (2 if width < 640 else 4), (width, tops)
        if width < 640:
            # The grid renders only the columns in view into its accessible table: on the phone those
            # start with the overdue days and the problem, not site / street / group.
            names = page.evaluate("""() => [...[...document.querySelectorAll('[data-testid=stDataFrame]')].pop()
                                      .querySelectorAll('th[role=columnheader]')].map(th => th.textContent.trim())""")
            assert names[:2] == ["逾期天数", "问题描述"], names
        screenshot(page, f"cockpit-{width}x{height}")
        context.close()
