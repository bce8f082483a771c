"""Excel exchange: template, all-or-nothing import with a per-row report, idempotence, round trip (both engines)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from gangwen_dash.db import read_session
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.exchange import exporter, importer, workbook
from gangwen_dash.exchange.schema import MAIN_SHEETS, SHEET_BY_NAME, SHEETS
from gangwen_dash.models import (
    AuditLog,
    ChecklistResult,
    ConsultationRoom,
    DutyActivity,
    Finding,
    FindingEvent,
    Inspection,
    InspectionGroup,
    LivelihoodProject,
    Member,
    OpinionItem,
    Proposal,
    Site,
    Street,
    inspection_members,
)
from gangwen_dash.queries.kpis import kpis
from gangwen_dash.services.base import Actor
from tests.support.workbooks import CHECKS, TODAY, good_rows, to_bytes

ADMIN = Actor(user_id=None, username="tester", role="secretariat")
TABLES = (Street, InspectionGroup, Member, Site, Inspection, ChecklistResult, Finding, FindingEvent, ConsultationRoom,
          LivelihoodProject, Proposal, OpinionItem, DutyActivity, AuditLog)


def counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        out = {t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}
        out["inspection_members"] = s.execute(select(func.count()).select_from(inspection_members)).scalar_one()
    return out


def test_template_has_every_sheet_with_headers_lists_and_instructions(tmp_path):
    path = tmp_path / "template.xlsx"
    workbook.save(workbook.build(), path)
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "说明"
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+", name) for name in wb.sheetnames)  # every sheet name Chinese
    assert set(MAIN_SHEETS) <= set(wb.sheetnames)
    assert "全部或全不" in "\n".join(str(c.value) for c in wb["说明"]["A"] if c.value)
    for sheet in SHEETS:
        ws = wb[sheet.name]
        assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
    # Enumerations come with a drop-down list.
    ws = wb["督查记录"]
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    assert lists["D2"] == '"日常督查,抽查暗访"'
    assert "工地" in lists["A2"]  # site names offered from the 工地 sheet
    ws = wb["问题"]
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert '"待交办,整改中,待复查,已销号"' in formulas
    assert '"一般,较重,严重"' in formulas


def test_good_file_imports_then_adds_nothing_the_second_time(engine):
    data = to_bytes(good_rows())
    report = importer.import_workbook(ADMIN, data, today=TODAY, engine=engine)
    assert report.ok, [e.text() for e in report.errors]
    assert report.created == {"街道": 2, "督查组": 2, "委员": 4, "工地": 2, "督查记录": 2, "问题": 2, "协商议事室": 1,
                              "民生项目": 2, "提案": 1, "社情民意": 1, "履职活动": 1}
    first = counts(engine)
    with read_session(engine) as s:
        insp = s.execute(select(Inspection).where(Inspection.kind == "抽查暗访")).scalar_one()
        assert insp.inspected_at == datetime(2019, 11, 20, 14, 0) and insp.location_source == "设备定位"
        assert [m.name for m in insp.members] == ["王海燕"]
        assert {c.item: c.result for c in insp.checklist}["S2"] == "不符合"
        closed = s.execute(select(Finding).where(Finding.status == "已销号")).scalar_one()
        assert closed.first_due_date == date(2019, 11, 21) and closed.verified_on_site
        assert [e.action for e in closed.events] == ["发现", "交办", "整改回复", "复查通过"]
        open_ = s.execute(select(Finding).where(Finding.status == "整改中")).scalar_one()
        assert open_.due_date == date(2019, 11, 21) and open_.found_at == datetime(2019, 11, 20, 14)
        project = s.execute(select(LivelihoodProject).where(LivelihoodProject.status == "已解决")).scalar_one()
        assert (project.raised_on, project.solved_on) == (date(2019, 4, 1), date(2019, 6, 30))
        assert s.execute(select(Member.is_active).where(Member.name == "李晓明")).scalar_one() is True
        assert s.execute(select(Member.is_active).where(Member.name == "赵文斌")).scalar_one() is False
        assert s.execute(select(func.count()).select_from(AuditLog).where(AuditLog.action == "data.import")
                         ).scalar_one() == 1

    again = importer.import_workbook(ADMIN, data, today=TODAY, engine=engine)
    assert again.ok and sum(again.created.values()) == 0
    assert sum(again.skipped.values()) == sum(report.created.values())
    after = counts(engine)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in first.items() if k != "audit_log"}


def test_bad_rows_refuse_the_whole_file_with_one_message_each(engine):
    rows = good_rows()
    rows["委员"].append(["钱无组", "经济界", "第九督查组", None, True])  # row 6: unknown group
    rows["工地"].append(["无名街道工地", "不存在街道", "", 32.06, 120.82, "", "在建"])  # row 4: unknown street
    rows["工地"].append(["唐闸锦园住宅项目", "唐闸镇街道", "", 32.06, 120.82, "", "在建"])  # row 5: duplicate name
    rows["督查记录"].append(["唐闸锦园住宅项目", "2019-12-01 09:00", "第一督查组", "日常督查", "张建国、查无此人",
                             None, None, None, "", *CHECKS])  # row 4: unknown member
    rows["问题"].append(["唐闸锦园住宅项目", datetime(2019, 11, 14, 9, 30), "第一督查组", "S1", "一般", "围挡破损",
                         "住建局", "2019-11-10", None, "整改中", "2019-11-14 10:00", None, None, None, None, 0,
                         None])  # row 4: deadline before the inspection
    rows["民生项目"].append(["公交站台遮雨棚", "唐闸镇街道协商议事室", "推进中", "2099-01-01", None])  # row 4: future
    rows["提案"].append(["2019-002", "关于河道保洁的建议", "李晓明", "2019-02-01", "审议中", "", None, None, None, None,
                         False, False, None, ""])  # row 3: unknown stage
    rows["社情民意"].append(["关于夜间施工扰民的反映", "民意监督员02", "2030年1月1日", "收集", False])  # row 3: future
    rows["履职活动"].append(["界别活动：调研", "界别活动", "2019-10-01", ["王海燕", "路人甲"]])  # row 3: unknown member
    before = counts(engine)
    report = importer.import_workbook(ADMIN, to_bytes(rows), today=TODAY, engine=engine)
    assert not report.ok and not report.written
    got = sorted((e.sheet, e.row, e.column) for e in report.errors)
    assert got == sorted([
        ("委员", 6, "督查组"), ("工地", 4, "所属街道"), ("工地", 5, "工地名称"), ("督查记录", 4, "参与委员"),
        ("问题", 4, "整改期限"), ("民生项目", 4, "提出日期"), ("提案", 3, "办理阶段"), ("社情民意", 3, "报送日期"),
        ("履职活动", 3, "参加委员"),
    ]), [e.text() for e in report.errors]
    reasons = {(e.sheet, e.row): e.reason for e in report.errors}
    assert "第九督查组" in reasons[("委员", 6)] and "不存在" in reasons[("委员", 6)]
    assert "不存在街道" in reasons[("工地", 4)]
    assert "与第 2 行重复" in reasons[("工地", 5)]
    assert "查无此人" in reasons[("督查记录", 4)] and "张建国" not in reasons[("督查记录", 4)]
    assert "早于督查日期" in reasons[("问题", 4)]
    assert "晚于今天" in reasons[("民生项目", 4)] and "晚于今天" in reasons[("社情民意", 3)]
    assert "路人甲" in reasons[("履职活动", 3)]
    assert "整个文件未导入" in report.summary()
    assert counts(engine) == before  # nothing written, not even an audit row
    # The same file without the bad rows goes in.
    assert importer.import_workbook(ADMIN, to_bytes(good_rows()), today=TODAY, engine=engine).written


def test_dry_run_reports_without_writing(engine):
    before = counts(engine)
    report = importer.import_workbook(ADMIN, to_bytes(good_rows()), dry_run=True, today=TODAY, engine=engine)
    assert report.ok and not report.written and report.created["工地"] == 2
    assert "将新增" in report.summary() and "试导入" in report.summary()
    assert counts(engine) == before


@pytest.mark.parametrize("value,expected", [
    ("2019-11-14", date(2019, 11, 14)), ("2019/11/14", date(2019, 11, 14)), ("2019年11月14日", date(2019, 11, 14)),
    (datetime(2019, 11, 14, 0, 0), date(2019, 11, 14)), (43783, date(2019, 11, 14)),
])
def test_date_cells_and_text_forms(value, expected):
    col = SHEET_BY_NAME["提案"].column("submitted_on")
    assert importer.parse_cell(col, value) == expected


def test_unreadable_and_headerless_files_get_a_chinese_message(engine):
    report = importer.import_workbook(ADMIN, b"not an xlsx", engine=engine)
    assert not report.ok and "无法读取" in report.errors[0].reason
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "工地"
    wb.active.append(["名称", "街道"])
    buf = BytesIO()
    wb.save(buf)
    report = importer.import_workbook(ADMIN, buf.getvalue(), engine=engine)
    assert {(e.sheet, e.row, e.column) for e in report.errors} >= {("工地", 1, "工地名称"), ("工地", 1, "所属街道")}


PERIODS = [Period(date(2019, 1, 1), date(2019, 12, 31)), Period(date(2019, 10, 1), date(2019, 12, 31)),
           Period(date(2019, 11, 1), date(2019, 11, 30)), Period(date(2019, 6, 1), date(2019, 6, 30))]


def _kpis_json(engine) -> str:
    with read_session(engine) as s:
        return json.dumps([kpis(s, p, Filters()).as_dict() for p in PERIODS], sort_keys=True)


def test_export_then_import_into_empty_database_reproduces_kpis(demo_engine, engine, tmp_path):
    path = tmp_path / "export.xlsx"
    exported = exporter.export(ADMIN, path, engine=demo_engine)
    assert exported["督查记录"] == 32 and exported["提案"] == 136 and exported["协商议事室"] == 75
    report = importer.import_workbook(ADMIN, path, engine=engine)
    assert report.ok, [e.text() for e in report.errors[:5]]
    assert _kpis_json(engine) == _kpis_json(demo_engine)
    # …and exporting the copy gives the same rows again.
    again = tmp_path / "again.xlsx"
    exporter.export(ADMIN, again, engine=engine)
    a, b = load_workbook(path), load_workbook(again)
    for name in MAIN_SHEETS:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == [[c.value for c in r] for r in b[name].iter_rows()]


BAD_SERIALS = [0, 0.5, -1, 2958466, 1e10, float("nan"), float("inf")]


@pytest.mark.parametrize("kind_sheet,key", [("提案", "submitted_on"), ("督查记录", "inspected_at")])
@pytest.mark.parametrize("value", [*BAD_SERIALS, time(0, 0), "#VALUE!", "#NUM!"])
def test_impossible_excel_dates_are_a_chinese_cell_error(kind_sheet, key, value):
    col = SHEET_BY_NAME[kind_sheet].column(key)
    with pytest.raises(ValueError) as info:
        importer.parse_cell(col, value)
    assert re.search(r"[\u4e00-\u9fff]", str(info.value)), str(info.value)


@pytest.mark.parametrize("value,reason", [(float("nan"), "应为数字"), (float("inf"), "应为数字"),
                                          (1e20, "超出范围")])
def test_impossible_numbers_are_a_chinese_cell_error(value, reason):
    kind = "float" if reason == "应为数字" else "int"
    col = SHEET_BY_NAME["街道" if kind == "float" else "督查组"].column("lat" if kind == "float" else "sort_order")
    with pytest.raises(ValueError, match=reason):
        importer.parse_cell(col, value)


def _ledger_with_bad_dates(path, *, date_formatted: bool) -> list[tuple[str, int, str]]:
    """good_rows() plus rows whose date cells hold 0, 2958466 and 1e10; returns the expected error cells."""
    rows = good_rows()
    for i, serial in enumerate((0, 2958466, 1e10)):
        rows["社情民意"].append([f"坏日期{i}", "民意监督员09", serial, "收集", False])  # rows 3-5
        rows["督查记录"].append(["秦灶广场商业综合体", serial, "第二督查组", "日常督查", None, None, None, None, "",
                                 *CHECKS])  # rows 4-6
    wb = workbook.build(rows)
    if not date_formatted:  # plain numbers, as a pasted column of serials would be
        for name, col in (("社情民意", "C"), ("督查记录", "B")):
            for cell in wb[name][col][1:]:
                if isinstance(cell.value, int | float):
                    cell.number_format = "General"
    workbook.save(wb, path)
    return sorted([("社情民意", r, "报送日期") for r in (3, 4, 5)] + [("督查记录", r, "督查时间") for r in (4, 5, 6)])


@pytest.mark.parametrize("date_formatted", [True, False], ids=["date-cells", "number-cells"])
def test_impossible_dates_in_a_ledger_refuse_the_file_row_by_row(engine, tmp_path, capsys, date_formatted):
    from gangwen_dash.cli import main

    path = tmp_path / "bad-dates.xlsx"
    expected = _ledger_with_bad_dates(path, date_formatted=date_formatted)
    before = counts(engine)
    report = importer.import_workbook(ADMIN, path, today=TODAY, engine=engine)
    assert sorted((e.sheet, e.row, e.column) for e in report.errors) == expected, [e.text() for e in report.errors]
    assert all(re.search(r"[\u4e00-\u9fff]", e.reason) for e in report.errors)
    assert counts(engine) == before
    capsys.readouterr()
    assert main(["import", str(path)]) == 2  # bad input (README); a traceback would raise here
    err = capsys.readouterr().err
    assert "“社情民意”表第 4 行【报送日期】" in err and "“督查记录”表第 6 行【督查时间】" in err
    assert "整个文件未导入" in err and "Traceback" not in err
    assert counts(engine) == before


def test_any_unexpected_cell_failure_becomes_a_row_message(engine, monkeypatch):
    real = importer.parse_cell

    def flaky(col, value, **kwargs):
        if col.key == "collector":
            raise OverflowError("boom")
        return real(col, value, **kwargs)

    monkeypatch.setattr(importer, "parse_cell", flaky)
    report = importer.import_workbook(ADMIN, to_bytes(good_rows()), today=TODAY, engine=engine)
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("社情民意", 2, "收集人")]
    assert "无法识别的值" in report.errors[0].reason


def test_openpyxl_parses_with_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML  # requirements.txt pins defusedxml; openpyxl uses it when importable
