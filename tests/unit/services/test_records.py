"""create-user / template / import / export on the command line (subprocesses), record edits with
stale-edit diffs and the per-record history (both engines)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from gangwen_dash import db
from gangwen_dash.cli import main
from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import AuditLog, Site, User
from gangwen_dash.queries.audit import history
from gangwen_dash.services import auth, record_kinds, records
from gangwen_dash.services.base import StaleEdit, ValidationFailed
from tests.support.inspections import actor
from tests.support.records import load_for_edit
from tests.support.workbooks import good_rows, to_bytes


def test_create_user_reads_the_password_from_stdin_and_forces_a_change(db_url, monkeypatch, capsys):
    # A real pipe once, as an operator would: printf '%s\n' "$PW" | python -m gangwen_dash create-user …
    out = subprocess_run("create-user", "--username", "boss", "--role", "secretariat", "--display-name", "机关管理员",
                         url=db_url, stdin="first-pass-123\n")
    assert out.returncode == 0, out.stderr
    assert "首次登录须修改密码" in out.stdout
    # The password is never an argument.
    with pytest.raises(SystemExit):
        main(["create-user", "--username", "x", "--role", "chair", "--password", "secret-123"])
    assert "--password" in capsys.readouterr().err
    # An inspector needs a group; a short password is refused; a taken name is refused — one line, exit 2.
    for args, stdin, msg in ((("--username", "i1", "--role", "inspector"), "long-enough-1\n", "督查组"),
                             (("--username", "c1", "--role", "chair"), "short\n", "至少 8 位"),
                             (("--username", "boss", "--role", "chair"), "long-enough-1\n", "已存在")):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        assert main(["create-user", *args]) == 2
        assert msg in capsys.readouterr().err
    engine = db.get_engine(db_url)
    signed = auth.authenticate("boss", "first-pass-123", engine=engine)
    assert signed.must_change_password and signed.actor.role == "secretariat"
    with read_session(engine) as s:
        assert s.execute(select(func.count()).select_from(User)).scalar_one() == 1
        row = s.execute(select(AuditLog).where(AuditLog.action == "user.create")).scalar_one()
        assert row.username == "cli" and "password_hash" not in row.after


def subprocess_run(*args, url: str, stdin: str):
    return subprocess.run([sys.executable, "-m", "gangwen_dash", *args], input=stdin, capture_output=True,
                          text=True, env={**os.environ, "GANGWEN_DATABASE_URL": url}, cwd=PROJECT_ROOT, timeout=120)


def test_template_import_dry_run_and_export_commands(db_url, tmp_path, capsys):
    tpl = tmp_path / "template.xlsx"
    assert main(["template", str(tpl)]) == 0
    assert "委员" in load_workbook(tpl).sheetnames
    ledger = tmp_path / "ledger.xlsx"
    ledger.write_bytes(to_bytes(good_rows()))
    capsys.readouterr()
    assert main(["import", str(ledger), "--dry-run"]) == 0
    assert "将新增" in capsys.readouterr().out
    assert main(["import", str(ledger)]) == 0
    done = capsys.readouterr().out
    assert "已新增" in done and "工地 2 条" in done
    assert main(["import", str(ledger)]) == 0
    assert "已存在而跳过" in capsys.readouterr().out
    rows = good_rows()
    rows["工地"].append(["坏工地", "不存在街道", "", 32.06, 120.82, "", "在建"])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(to_bytes(rows))
    assert main(["import", str(bad)]) == 2
    assert "“工地”表第 4 行【所属街道】" in capsys.readouterr().err
    out = tmp_path / "out.xlsx"
    assert main(["export", str(out)]) == 0
    assert load_workbook(out)["工地"].max_row == 3


def _site(engine) -> tuple[int, dict]:
    with read_session(engine) as s:
        sid = s.execute(select(Site.id).order_by(Site.id)).scalars().first()
    values = load_for_edit("site", sid, engine=engine)
    return sid, {f.name: values[f.name] for f in record_kinds.spec("site").fields}


def test_stale_edit_is_refused_with_what_changed_and_history_shows_both_edits(demo_engine):
    admin, other = actor(demo_engine, "admin"), actor(demo_engine, "admin")
    sid, data = _site(demo_engine)
    v2 = records.update(other, "site", sid, {**data, "status": "停工", "address": "新地址1号"}, 1, engine=demo_engine)
    assert v2 == 2
    with pytest.raises(StaleEdit) as exc:
        records.update(admin, "site", sid, {**data, "builder": "另一家单位"}, 1, engine=demo_engine)
    assert "状态：在建 → 停工" in str(exc.value) and f"地址：{data['address']} → 新地址1号" in str(exc.value)
    assert exc.value.changes["status"] == ("在建", "停工")
    with read_session(demo_engine) as s:
        site = s.get(Site, sid)
        assert (site.builder, site.version) == (data["builder"], 2)  # not overwritten
        rows = history(s, "site", sid)
    assert list(rows["action"]) == ["修改工地"]
    assert "状态：在建 → 停工" in rows["changes"].iloc[0]
    # Unchanged data makes no new version and no audit row.
    same = load_for_edit("site", sid, engine=demo_engine)
    assert records.update(admin, "site", sid, {f.name: same[f.name] for f in record_kinds.spec("site").fields}, 2,
                          engine=demo_engine) == 2


def test_record_validation_messages_are_chinese_and_nothing_is_half_saved(demo_engine):
    admin = actor(demo_engine, "admin")
    with read_session(demo_engine) as s:
        before = s.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    cases = [
        ("project", {"room_id": 1, "title": "x", "status": "已解决", "raised_on": date(2019, 5, 1)}, "须填写解决日期"),
        ("proposal", {"number": "2019-001", "title": "重复编号", "proposer": "某", "submitted_on": date(2019, 1, 9),
                      "stage": "提交"}, "已存在"),
        ("proposal", {"number": "N-1", "title": "t", "proposer": "某", "submitted_on": date(2019, 1, 9),
                      "stage": "提交", "is_key": True}, "领衔主席"),
        ("site", {"name": "外地工地", "street_id": 1, "lat": 31.2, "lon": 121.4}, "不在港闻区范围内"),
        ("opinion", {"title": "t", "collector": "c", "submitted_on": date(2999, 1, 1), "status": "收集"}, "将来"),
    ]
    for entity, data, message in cases:
        with pytest.raises(ValidationFailed) as exc:
            records.create(admin, entity, data, engine=demo_engine)
        assert message in str(exc.value), (entity, str(exc.value))
    with read_session(demo_engine) as s:
        assert s.execute(select(func.count()).select_from(AuditLog)).scalar_one() == before


def test_the_app_cannot_edit_or_delete_audit_rows(demo_engine):
    sid, data = _site(demo_engine)
    records.update(actor(demo_engine, "admin"), "site", sid, {**data, "builder": "某单位"}, 1, engine=demo_engine)
    for statement in ("UPDATE audit_log SET username = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), write_session(demo_engine) as s:
            s.execute(text(statement))
    with read_session(demo_engine) as s:
        assert s.execute(select(AuditLog.username).where(AuditLog.action == "site.update")).scalar_one() == "admin"
