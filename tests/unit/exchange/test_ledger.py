"""The secretariat's own ledgers, written by hand here with openpyxl (not by our export): title rows and
merged cells above the headers, synonym headers, dates as typed, a site without coordinates, a full-width
space in a site name; re-import adds nothing and a changed cell updates exactly that field (both engines)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from gangwen_dash.db import read_session, write_session
from gangwen_dash.exchange import importer, ledger, mapping
from gangwen_dash.exchange.mapping import Mapping, normalize_name
from gangwen_dash.models import AuditLog, Finding, FindingEvent, ImportMapping, Inspection, Site
from gangwen_dash.services.base import Actor
from tests.support.ledgers import HEADERS, ROWS, SHEET, seed_known, write_ledger

ADMIN = Actor(user_id=None, username="tester", role="secretariat")
TODAY = date(2020, 1, 10)
@pytest.fixture
def known(engine):
    with write_session(engine) as s:
        seed_known(s)
    return engine


def chosen(data: bytes) -> Mapping:
    table = ledger.read_sheet(ledger.open_book(data), SHEET)
    suggested = mapping.suggest(table.headers, "问题")
    return Mapping("问题", suggested, fixed={"group": "第一督查组"})


def test_header_row_synonyms_and_year_are_found_under_the_title_rows():
    table = ledger.read_sheet(ledger.open_book(write_ledger()), SHEET)
    assert table.header_row == 3 and table.headers == HEADERS
    assert table.year == 2019 and "扬尘管控督查台账" in table.title
    assert [r for r, _ in table.rows] == [4, 5, 6, 7]
    assert table.rows[1][1][1] == "2019.11.14"  # the merged date belongs to both rows
    assert mapping.suggest(table.headers, "问题") == {
        "序号": "", "日期": "inspected_at", "工地": "site", "所属街道": "street", "存在问题": "description",
        "类别": "category", "严重程度": "severity", "责任部门": "responsible_unit", "整改时限": "due_date", "备注": ""}
    assert mapping.guess_target(table.headers) == "问题"
    assert normalize_name(" 唐闸锦园　住宅项目 ") == normalize_name("唐闸锦园住宅项目") == "唐闸锦园住宅项目"


def test_ledger_imports_the_right_rows_then_adds_nothing_the_second_time(known):
    engine = known
    data = write_ledger()
    dry = importer.import_ledger(ADMIN, data, chosen(data), sheet=SHEET, dry_run=True, today=TODAY, engine=engine)
    assert dry.ok, [e.text() for e in dry.errors]
    assert dry.created["问题"] == 4 and "将新增" in dry.summary()
    assert [p.action for p in dry.preview] == ["新增"] * 4
    assert dry.preview[3].values["整改期限"] == "2019-11-21"  # 一般 → the default deadline, shown as stored
    with read_session(engine) as s:
        assert s.execute(select(func.count()).select_from(Finding)).scalar_one() == 0

    report = importer.import_ledger(ADMIN, data, chosen(data), sheet=SHEET, today=TODAY, engine=engine)
    assert report.written, [e.text() for e in report.errors]
    assert report.located == ["秦灶新城安置房三期"]
    with read_session(engine) as s:
        rows = s.execute(select(Finding.description, Finding.category, Finding.severity, Finding.responsible_unit,
                                Finding.found_at, Finding.due_date, Finding.status, Site.name)
                         .join(Site, Site.id == Finding.site_id).order_by(Finding.id)).all()
        assert [tuple(r) for r in rows] == [
            ("裸土未覆盖防尘网", "S2", "较重", "住建局", datetime(2019, 11, 14), date(2019, 11, 21), "整改中", "唐闸锦园住宅项目"),
            ("出入车辆未冲洗", "S3", "一般", "城管局", datetime(2019, 11, 14), date(2019, 11, 15), "整改中", "唐闸锦园住宅项目"),
            ("围挡破损", "S1", "一般", "属地街道", datetime(2019, 11, 20), date(2019, 11, 25), "整改中", "秦灶新城安置房三期"),
            ("监测设备离线", "监测监控", "一般", "生态环境局", datetime(2019, 11, 20, 14), date(2019, 11, 21), "整改中",
             "唐闸锦园住宅项目"),
        ]
        # Three inspections implied (site + time + group), the two problems of 11-14 share one.
        assert s.execute(select(func.count()).select_from(Inspection)).scalar_one() == 3
        new_site = s.execute(select(Site).where(Site.name == "秦灶新城安置房三期")).scalar_one()
        assert (new_site.lat, new_site.lon, new_site.location_unverified) == (32.065, 120.889, True)
        assert s.execute(select(func.count()).select_from(Site)).scalar_one() == 2  # no “唐闸锦园　住宅项目”
        assert s.get(ImportMapping, mapping.signature("问题", HEADERS)).mapping["存在问题"] == "description"
        before = {t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (Finding, FindingEvent, Inspection, Site)}

    again = importer.import_ledger(ADMIN, data, chosen(data), sheet=SHEET, today=TODAY, engine=engine)
    assert again.written and sum(again.created.values()) == 0 and sum(again.updated.values()) == 0
    assert again.skipped["问题"] == 4
    with read_session(engine) as s:
        assert before == {t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one()
                          for t in (Finding, FindingEvent, Inspection, Site)}


def test_a_changed_cell_updates_exactly_that_field_with_an_audit_row(known):
    engine = known
    data = write_ledger()
    assert importer.import_ledger(ADMIN, data, chosen(data), sheet=SHEET, today=TODAY, engine=engine).written
    rows = [list(r) for r in ROWS]
    rows[0][8] = "2019年11月28日"  # the deadline of 裸土未覆盖防尘网 extended
    changed = write_ledger(rows)
    dry = importer.import_ledger(ADMIN, changed, chosen(changed), sheet=SHEET, dry_run=True, today=TODAY,
                                 engine=engine)
    assert dry.ok and dry.updated["问题"] == 1 and dry.skipped["问题"] == 3
    assert "将更新 1 条" in dry.summary() and "整改期限：2019-11-21 → 2019-11-28" in dry.summary()
    assert [(c.row, c.fields) for c in dry.changes] == [(4, (("整改期限", date(2019, 11, 21), date(2019, 11, 28)),))]

    report = importer.import_ledger(ADMIN, changed, chosen(changed), sheet=SHEET, today=TODAY, engine=engine,
                                    expected=dry.versions)
    assert report.written and report.updated["问题"] == 1
    with read_session(engine) as s:
        f = s.execute(select(Finding).where(Finding.description == "裸土未覆盖防尘网")).scalar_one()
        assert (f.due_date, f.first_due_date, f.version) == (date(2019, 11, 28), date(2019, 11, 21), 2)
        row = s.execute(select(AuditLog).where(AuditLog.action == "finding.import_update")).scalar_one()
        assert row.entity_id == f.id
        changed_fields = {k for k in row.after if row.before.get(k) != row.after[k]}
        assert changed_fields == {"due_date", "version"}
        assert (row.before["due_date"], row.after["due_date"]) == ("2019-11-21", "2019-11-28")


def test_a_record_changed_after_the_check_refuses_the_import(known):
    engine = known
    data = write_ledger()
    assert importer.import_ledger(ADMIN, data, chosen(data), sheet=SHEET, today=TODAY, engine=engine).written
    rows = [list(r) for r in ROWS]
    rows[0][7] = "生态环境局"
    changed = write_ledger(rows)
    dry = importer.import_ledger(ADMIN, changed, chosen(changed), sheet=SHEET, dry_run=True, today=TODAY,
                                 engine=engine)
    assert dry.updated["问题"] == 1
    with write_session(engine) as s:  # someone edits the problem meanwhile
        f = s.execute(select(Finding).where(Finding.description == "裸土未覆盖防尘网")).scalar_one()
        f.version += 1
    report = importer.import_ledger(ADMIN, changed, chosen(changed), sheet=SHEET, today=TODAY, engine=engine,
                                    expected=dry.versions)
    assert not report.ok and "已被他人修改" in report.errors[0].reason
    with read_session(engine) as s:
        f = s.execute(select(Finding).where(Finding.description == "裸土未覆盖防尘网")).scalar_one()
        assert f.responsible_unit == "住建局"


def test_problems_name_the_files_column_and_nothing_is_written(known):
    engine = known
    rows = [list(r) for r in ROWS]
    rows[1][8] = "11月40日"  # no such day
    rows[3][2] = "不存在的工地"
    rows[3][3] = None  # and no street to place it
    data = write_ledger(rows)
    report = importer.import_ledger(ADMIN, data, chosen(data), sheet=SHEET, today=TODAY, engine=engine)
    got = {(e.row, e.column) for e in report.errors}
    assert got == {(5, "整改时限（整改期限）"), (7, "工地（工地名称）")}, [e.text() for e in report.errors]
    assert [p.action for p in report.preview] == ["新增", "有错", "新增", "有错"]
    with read_session(engine) as s:
        assert s.execute(select(func.count()).select_from(Finding)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(ImportMapping)).scalar_one() == 0


def test_a_mapping_without_a_required_column_is_refused_with_the_reason(known):
    data = write_ledger()
    m = chosen(data)
    m.fixed = {}
    m.columns["存在问题"] = ""
    report = importer.import_ledger(ADMIN, data, m, sheet=SHEET, today=TODAY, engine=known)
    reasons = " ".join(e.reason for e in report.errors)
    assert "“督查组”是必填项" in reasons and "“问题描述”是必填项" in reasons


def test_remembered_mapping_is_offered_for_a_file_with_the_same_headers(known):
    data = write_ledger()
    m = chosen(data)
    m.columns["备注"] = "reply_text"
    assert importer.import_ledger(ADMIN, data, m, sheet=SHEET, today=TODAY, engine=known).written
    with read_session(known) as s:
        offered, remembered = mapping.initial(s, HEADERS)
    assert remembered and offered.columns["备注"] == "reply_text" and offered.fixed == {"group": "第一督查组"}


def test_cli_imports_a_ledger_with_map_and_set_and_refuses_bad_names(known, tmp_path, capsys):
    from gangwen_dash.cli import main

    path = tmp_path / "台账.xlsx"
    path.write_bytes(write_ledger())
    assert main(["import", str(path), "--sheet", SHEET, "--map", "备注=", "--map", "存在问题=问题描述",
                 "--set", "督查组=第一督查组", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "表头在第 3 行" in out and "日期 → 督查时间" in out and "将新增：问题 4 条" in out
    with read_session(known) as s:
        assert s.execute(select(func.count()).select_from(Finding)).scalar_one() == 0
    assert main(["import", str(path), "--set", "督查组=第一督查组"]) == 0
    with read_session(known) as s:
        assert s.execute(select(func.count()).select_from(Finding)).scalar_one() == 4
    capsys.readouterr()
    assert main(["import", str(path), "--map", "无此列=问题描述"]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "文件中没有名为“无此列”的列" in err and "Traceback" not in err
    assert main(["import", str(path), "--map", "备注=无此项"]) == 2
    assert "没有名为“无此项”的列" in capsys.readouterr().err
    assert main(["import", str(path), "--year", "abc"]) == 2
    assert "--year 应为 1900–2100 之间的整数" in capsys.readouterr().err


def test_placing_a_flagged_site_clears_位置待核(known):
    from gangwen_dash.services import record_kinds, records
    from tests.support.records import load_for_edit

    data = write_ledger()
    assert importer.import_ledger(ADMIN, data, chosen(data), sheet=SHEET, today=TODAY, engine=known).written
    with read_session(known) as s:
        site_id = s.execute(select(Site.id).where(Site.location_unverified)).scalar_one()
    opened = load_for_edit("site", site_id, engine=known)
    form = {f.name: opened[f.name] for f in record_kinds.spec("site").fields}
    records.update(ADMIN, "site", site_id, form | {"address": "秦灶路1号"}, opened["version"], engine=known)
    with read_session(known) as s:
        assert s.get(Site, site_id).location_unverified  # an address alone does not place it
    records.update(ADMIN, "site", site_id, form | {"lat": 32.071, "lon": 120.893}, opened["version"] + 1,
                   engine=known)
    with read_session(known) as s:
        site = s.get(Site, site_id)
        assert (site.lat, site.lon, site.location_unverified) == (32.071, 120.893, False)
