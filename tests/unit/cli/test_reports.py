"""``python -m gangwen_dash report`` end to end: real Chromium, real PDF/PNG/XLSX files (both engines).

The PDF's numbers are compared with what ``kpis --from <Monday> --to <Sunday> --json`` prints, the
xlsx row counts with the database, and fonts/text with poppler's ``pdffonts``/``pdftotext``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageStat

from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.db import write_session
from gangwen_dash.domain.dates import iso_week_label
from gangwen_dash.reports.export import export_week
from tests.support.factory import Factory


def run(*args, url: str, **env):
    full_env = {**os.environ, "GANGWEN_DATABASE_URL": url, **env}
    return subprocess.run([sys.executable, "-m", "gangwen_dash", *args], capture_output=True, text=True,
                          env=full_env, cwd=PROJECT_ROOT, timeout=120)


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_pdf(path: Path) -> str:
    """A4 landscape, one page, every font embedded, Chinese text extractable; returns the compact text."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(w), round(h)) == (842, 595)  # A4 landscape
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.strip().splitlines()[2:]
    assert rows, fonts
    for row in rows:
        # columns: name type encoding emb sub uni object-id; the type may contain a space ("Type 3").
        emb = row.split()[-5]
        assert emb == "yes", row
    text = compact(pdf_text(path))
    assert "《港闻区政协扬尘管控民主监督工作周报》" in text
    return text


def check_png(path: Path) -> None:
    with Image.open(path) as img:
        assert img.size == (1920, 1080)
        stat = ImageStat.Stat(img.convert("L"))
        assert stat.stddev[0] > 20  # not blank: text, tiles, bars
        assert len(img.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


def kpis_json(url: str, monday: str, sunday: str) -> dict:
    out = run("kpis", "--from", monday, "--to", sunday, "--json", url=url)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def xlsx_counts(path: Path) -> dict[str, int]:
    wb = load_workbook(path)
    return {ws.title: ws.max_row - 1 for ws in wb.worksheets}


def values(path: Path) -> list:
    wb = load_workbook(path)
    return [[c.value for c in row] for ws in wb.worksheets for row in ws.iter_rows()]


@pytest.mark.timeout(300)
def test_report_w46_writes_three_valid_files(demo_url, tmp_path):
    out = run("report", "--week", "2019-W46", "--out", str(tmp_path / "r"), url=demo_url)
    assert out.returncode == 0, out.stderr
    files = {p.name for p in (tmp_path / "r").iterdir()}
    assert files == {"weekly-2019-W46.png", "weekly-2019-W46.pdf", "weekly-2019-W46.xlsx"}
    k = kpis_json(demo_url, "2019-11-11", "2019-11-17")
    check_png(tmp_path / "r" / "weekly-2019-W46.png")
    text = check_pdf(tmp_path / "r" / "weekly-2019-W46.pdf")
    assert "第46期" in text and "2019年11月11日—11月17日" in text
    assert f"开展督查{k['inspections']}次" in text
    assert f"发现问题{k['findings']}个" in text
    assert f"逾期未整改问题{k['findings_overdue']}个" in text
    if k["inspections"] == 0 and k["findings"] == 0:
        assert "本周无督查记录" in text
    assert xlsx_counts(tmp_path / "r" / "weekly-2019-W46.xlsx") == {
        "本周督查": k["inspections"], "本周问题": k["findings"], "逾期清单": k["findings_overdue"]}


@pytest.mark.timeout(300)
def test_week_with_data_matches_kpis_and_is_deterministic(demo_url, tmp_path):
    k = kpis_json(demo_url, "2019-12-02", "2019-12-08")
    assert k["inspections"] > 0 and k["findings"] > 0 and k["findings_overdue"] > 0
    texts, cells = [], []
    for n in (1, 2):
        out = run("report", "--week", "2019-W49", "--out", str(tmp_path / f"r{n}"), url=demo_url)
        assert out.returncode == 0, out.stderr
        folder = tmp_path / f"r{n}"
        check_png(folder / "weekly-2019-W49.png")
        text = check_pdf(folder / "weekly-2019-W49.pdf")
        assert f"开展督查{k['inspections']}次" in text
        assert f"发现问题{k['findings']}个" in text
        assert f"逾期未整改问题{k['findings_overdue']}个" in text
        assert f"共{k['findings_overdue']}个" in text  # the overdue list's heading
        assert xlsx_counts(folder / "weekly-2019-W49.xlsx") == {
            "本周督查": k["inspections"], "本周问题": k["findings"], "逾期清单": k["findings_overdue"]}
        texts.append(text)
        cells.append(values(folder / "weekly-2019-W49.xlsx"))
    assert texts[0] == texts[1]
    assert cells[0] == cells[1]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("week,message", [("2019-W60", "2019 年没有第 60 周"), ("abc", "无法识别的周次“abc”")])
def test_invalid_week_gets_one_line_chinese_error(backend, db_url, tmp_path, week, message):
    out = run("report", "--week", week, "--out", str(tmp_path / "r"), url=db_url)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_week_shortcuts_for_scheduled_jobs(backend, demo_url, db_url, tmp_path):
    out = run("report", "--week", "latest", "--out", str(tmp_path / "a"), "--formats", "xlsx", url=demo_url)
    assert out.returncode == 0, out.stderr
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["weekly-2019-W52.xlsx"]  # the demo's last week
    out = run("report", "--week", "last", "--out", str(tmp_path / "b"), "--formats", "xlsx", url=demo_url)
    assert out.returncode == 0, out.stderr
    expected = iso_week_label(date.today() - timedelta(days=7))
    assert [p.name for p in (tmp_path / "b").iterdir()] == [f"weekly-{expected}.xlsx"]
    out = run("report", "--week", "latest", "--out", str(tmp_path / "c"), url=db_url)
    assert out.returncode == 2 and "还没有督查记录" in out.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
def test_missing_chromium_is_one_line_and_writes_nothing(backend, demo_url, tmp_path):
    out = run("report", "--week", "2019-W49", "--out", str(tmp_path / "r"), url=demo_url,
              GANGWEN_CHROMIUM=str(tmp_path / "no-chromium"))
    assert out.returncode == 2
    assert "未找到 Chromium" in out.stderr and "apt-get install chromium" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
    xlsx_only = run("report", "--week", "2019-W49", "--out", str(tmp_path / "x"), "--formats", "xlsx", url=demo_url,
                    GANGWEN_CHROMIUM=str(tmp_path / "no-chromium"))
    assert xlsx_only.returncode == 0, xlsx_only.stderr
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["weekly-2019-W49.xlsx"]


@pytest.mark.timeout(300)
def test_hostile_description_is_plain_text_in_pdf(engine, tmp_path):
    hostile = "<script>alert(1)</script>"
    at = datetime(2024, 3, 5, 10, 0)
    with write_session(engine) as s:
        f = Factory(s)
        insp = f.inspection(f.site(f.street(), name="测试工地"), f.group(), at)
        for text in (hostile, '"><img src=x onerror=alert(1)>', '=HYPERLINK("http://x","y")'):
            f.finding(insp, due=date(2024, 3, 6)).description = text  # overdue at the week's end: listed
    done = export_week("2024-W10", tmp_path, ("pdf",), engine=engine)
    text = pdf_text(done.files["pdf"])
    # The page shows the markup as characters: had it been parsed, there would be no such text.
    assert "<script>" in text or "<script" in text
    assert "onerror" in text
