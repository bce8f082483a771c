"""Backup → delete the database (and the photos) → restore gives identical KPIs and files (both engines)."""

from __future__ import annotations

import json
import tarfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gangwen_dash import backup, db
from gangwen_dash.cli import main
from gangwen_dash.models import AuditLog
from gangwen_dash.queries.kpis import Filters, Period, kpis

PERIODS = [Period(date(2019, 1, 1), date(2019, 12, 31)), Period(date(2019, 11, 1), date(2019, 11, 30))]


def _state(url: str) -> str:
    engine = db.get_engine(url)
    with db.read_session(engine) as s:
        audit_rows = s.execute(select(func.count()).select_from(AuditLog)).scalar_one()
        return json.dumps([[kpis(s, p, Filters()).as_dict() for p in PERIODS], audit_rows], sort_keys=True)


def _delete_database(url: str, backend: str, request) -> None:
    db.dispose_engines()
    if backend == "sqlite":
        path = Path(make_url(url).database)
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        assert not path.exists()
    else:
        request.getfixturevalue("pg_cluster").drop_database(make_url(url).database)


def test_backup_delete_restore_gives_identical_kpis_and_photos(demo_url, backend, photo_dir, tmp_path, request,
                                                                capsys):
    photo = photo_dir / "2019" / "11" / "abc.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8jpeg-bytes")
    before = _state(demo_url)
    bundle = tmp_path / "backups" / "gangwen.tar.gz"
    assert main(["backup", str(bundle)]) == 0
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["engine"] == backend and manifest["photos"] == 1
    assert ("database.sqlite3" if backend == "sqlite" else "database.pgdump") in names
    assert "photos/2019/11/abc.jpg" in names

    _delete_database(demo_url, backend, request)
    for p in sorted(photo_dir.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    assert main(["restore", str(bundle)]) == 0
    assert "已从" in capsys.readouterr().out
    assert _state(demo_url) == before
    assert photo.read_bytes() == b"\xff\xd8jpeg-bytes"


def test_restore_refuses_a_database_with_data_unless_forced(demo_url, backend, tmp_path, capsys):
    bundle = tmp_path / "b.tar.gz"
    backup.backup(bundle)
    assert main(["restore", str(bundle)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(bundle), "--force"]) == 0
    assert json.loads(_state(demo_url))[0][0]["inspections"] == 32


def test_restore_rejects_foreign_and_unsafe_bundles(demo_url, tmp_path):
    evil = tmp_path / "evil.tar.gz"
    payload = tmp_path / "x"
    payload.write_text("{}")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(payload, arcname="../../escape")
    with pytest.raises(backup.BackupError, match="不安全"):
        backup.restore(evil)
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        tar.add(payload, arcname="hello.txt")
    with pytest.raises(backup.BackupError, match="manifest"):
        backup.restore(other)
