"""Backup → delete the database (and the photos) → restore gives identical KPIs and files (both engines)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gangwen_dash import backup, db
from gangwen_dash.cli import main
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.models import AuditLog
from gangwen_dash.queries.kpis import kpis

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


# --------------------------------------------------------------------------- verified, all-or-nothing restore


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(root: Path) -> list[tuple]:
    """Every entry under ``root`` (links as links, files by content): what 'byte-identical' compares."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out.append(("link", rel, os.readlink(p)))
            elif p.is_file():
                out.append(("file", rel, _sha(p)))
            else:
                out.append(("dir", rel))
    return sorted(out)


def _fingerprint(url: str, backend: str, photo_dir: Path, request) -> tuple:
    """The live database (file bytes on SQLite; content, triggers and databases on PostgreSQL), the photo
    directory, and the directory holding both (no staging left behind)."""
    state = _state(url)
    db.dispose_engines()
    if backend == "sqlite":
        path = Path(make_url(url).database)
        wal = Path(f"{path}-wal")
        live = (_sha(path), _sha(wal) if wal.exists() and wal.stat().st_size else None)
    else:
        import psycopg

        cluster = request.getfixturevalue("pg_cluster")
        with psycopg.connect(cluster.admin_dsn) as conn:
            dbs = sorted(r[0] for r in conn.execute("SELECT datname FROM pg_database"))
        with psycopg.connect(cluster.admin_dsn.replace("dbname=postgres", f"dbname={make_url(url).database}")) as c:
            triggers = sorted(r[0] for r in c.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        live = (dbs, triggers)
    return live, state, _tree(photo_dir), sorted(os.listdir(photo_dir.parent))


def _photos(photo_dir: Path, names=("2019/11/a.jpg", "2019/11/b.jpg", "2019/12/c.jpg")) -> dict[str, bytes]:
    out = {}
    for i, rel in enumerate(names):
        p = photo_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"\xff\xd8" + f"photo {i} ".encode() * (200 + i))
        out[rel] = p.read_bytes()
    return out


def _members(bundle: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(bundle) as tar:
        return [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]


def _write(bundle: Path, members) -> Path:
    with tarfile.open(bundle, "w:gz") as tar:
        for info, data in members:
            if data is None:
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return bundle


def _refused(bundle: Path, capsys, *expected: str) -> str:
    capsys.readouterr()
    assert main(["restore", str(bundle), "--force"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"[\u4e00-\u9fff]", err) and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture
def live(demo_url, backend, photo_dir, tmp_path, request):
    """A demo database with photos, its backup, then one more photo so the live state differs from it."""
    _photos(photo_dir)
    bundle = tmp_path / "good.tar.gz"
    backup.backup(bundle)
    (photo_dir / "2020" / "01").mkdir(parents=True)
    (photo_dir / "2020" / "01" / "later.jpg").write_bytes(b"\xff\xd8later")
    return {"url": demo_url, "bundle": bundle, "print": lambda: _fingerprint(demo_url, backend, photo_dir, request)}


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not-gzip"])
def test_a_damaged_archive_is_refused_and_changes_nothing(live, tmp_path, capsys, damage):
    data = live["bundle"].read_bytes()
    bad = tmp_path / f"{damage}.tar.gz"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "corrupt":
        mid = len(data) // 2
        bad.write_bytes(data[:mid] + bytes(b ^ 0x5A for b in data[mid:mid + 64]) + data[mid + 64:])
    else:
        bad.write_bytes(b"PK\x03\x04 this is a zip, not a backup")
    before = live["print"]()
    _refused(bad, capsys)
    assert live["print"]() == before


@pytest.mark.parametrize("fault", ["checksum", "size", "symlink", "hardlink", "missing", "unlisted"])
def test_photos_that_fail_mid_way_are_refused_and_change_nothing(live, tmp_path, capsys, fault):
    members = _members(live["bundle"])
    names = [m.name for m, _ in members]
    assert names[:2] == ["manifest.json", "database.sqlite3" if "sqlite" in live["url"] else "database.pgdump"]
    idx = names.index("photos/2019/11/b.jpg")  # after a.jpg: the failure comes once extraction has begun
    info, data = members[idx]
    expected = {"checksum": "校验失败", "size": "校验失败", "symlink": "不是普通文件", "hardlink": "不是普通文件",
                "missing": "缺少 photos/2019/11/b.jpg", "unlisted": "不在清单中"}[fault]
    if fault == "checksum":
        members[idx] = (info, data[:-1] + b"X")
    elif fault == "size":
        members[idx] = (info, data + b"more")
    elif fault in ("symlink", "hardlink"):
        link = tarfile.TarInfo(info.name)
        link.type = tarfile.SYMTYPE if fault == "symlink" else tarfile.LNKTYPE
        link.linkname = "a.jpg" if fault == "symlink" else "photos/2019/11/a.jpg"
        members[idx] = (link, None)
    elif fault == "missing":
        del members[idx]
    else:
        extra = tarfile.TarInfo("photos/2019/11/extra.jpg")
        members.insert(idx, (extra, b"\xff\xd8extra"))
    bad = _write(tmp_path / "bad.tar.gz", members)
    before = live["print"]()
    _refused(bad, capsys, expected, "拒绝恢复")
    assert live["print"]() == before


def _drop_trigger(url: str, backend: str, name: str) -> None:
    engine = db.get_engine(url)
    with engine.begin() as conn:
        if backend == "sqlite":
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            table = {"audit_log_append_only": "audit_log", "rollup_findings": "findings"}[name]
            conn.exec_driver_sql(f"DROP TRIGGER {name} ON {table}")


@pytest.mark.parametrize("backend,name", [  # the REPLACE guard is SQLite's
    ("sqlite", "audit_log_no_update"), ("sqlite", "audit_log_no_replace"), ("sqlite", "rollup_findings_update"),
    ("postgresql", "audit_log_append_only"), ("postgresql", "rollup_findings")])
def test_a_database_without_its_triggers_is_refused(demo_url, backend, photo_dir, tmp_path, request, capsys, name):
    _photos(photo_dir)
    _drop_trigger(demo_url, backend, name)
    bundle = tmp_path / "no-trigger.tar.gz"
    backup.backup(bundle)
    before = _fingerprint(demo_url, backend, photo_dir, request)
    _refused(bundle, capsys, "触发器", name, "拒绝恢复")
    assert _fingerprint(demo_url, backend, photo_dir, request) == before


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite keeps each trigger's text
def test_a_sqlite_trigger_emptied_under_its_own_name_is_refused(demo_url, backend, photo_dir, tmp_path, capsys):
    with db.get_engine(demo_url).begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        conn.exec_driver_sql("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END")
    bundle = tmp_path / "b.tar.gz"
    backup.backup(bundle)
    _refused(bundle, capsys, "被改动 audit_log_no_delete")


def test_photo_rows_must_match_the_archived_files(demo_url, backend, photo_dir, tmp_path, request, capsys):
    photos = _photos(photo_dir)
    with db.get_engine(demo_url).begin() as conn:  # one row names a real file, one a file that is gone
        conn.exec_driver_sql(f"UPDATE photos SET path = '2019/11/a.jpg', sha256 = "
                             f"'{hashlib.sha256(photos['2019/11/a.jpg']).hexdigest()}' WHERE id = 1")
        conn.exec_driver_sql("UPDATE photos SET path = '2019/11/gone.jpg' WHERE id = 2")
    bundle = tmp_path / "b.tar.gz"
    capsys.readouterr()
    assert main(["backup", str(bundle)]) == 0
    assert "2019/11/gone.jpg：照片目录中没有" in capsys.readouterr().err  # said when the backup is made
    members = _members(bundle)
    manifest = json.loads(members[0][1])
    assert manifest["photo_problems"] == {"2019/11/gone.jpg": "missing"}
    # Declared in the manifest: restorable (the photo was already lost). Undeclared: refused.
    manifest["photo_problems"] = {}
    members[0] = (members[0][0], json.dumps(manifest).encode())
    tampered = _write(tmp_path / "tampered.tar.gz", members)
    # A photo whose bytes no longer match its row's sha256 (manifest rewritten to agree with them).
    members = _members(bundle)
    manifest = json.loads(members[0][1])
    idx = [m.name for m, _ in members].index("photos/2019/11/a.jpg")
    forged = b"\xff\xd8forged"
    members[idx] = (members[idx][0], forged)
    manifest["files"]["photos/2019/11/a.jpg"] = {"size": len(forged), "sha256": hashlib.sha256(forged).hexdigest()}
    members[0] = (members[0][0], json.dumps(manifest).encode())
    forged_bundle = _write(tmp_path / "forged.tar.gz", members)
    before = _fingerprint(demo_url, backend, photo_dir, request)
    _refused(tampered, capsys, "2019/11/gone.jpg 备份中没有")
    assert _fingerprint(demo_url, backend, photo_dir, request) == before
    _refused(forged_bundle, capsys, "2019/11/a.jpg 校验值与数据库记录不符")
    assert _fingerprint(demo_url, backend, photo_dir, request) == before
    assert main(["restore", str(bundle), "--force"]) == 0


def test_an_older_revision_is_upgraded_and_an_unknown_one_refused(demo_url, backend, photo_dir, tmp_path, request,
                                                                   capsys):
    from alembic.script import ScriptDirectory

    from gangwen_dash import migrate
    from migrations import audit_triggers

    migrate.downgrade(demo_url, "0003")
    old = tmp_path / "old.tar.gz"
    backup.backup(old)
    assert json.loads(_members(old)[0][1])["alembic_revision"] == "0003"
    assert main(["restore", str(old), "--force"]) == 0
    with db.get_engine(demo_url).connect() as conn:
        head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
        if backend == "sqlite":
            names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
            assert set(audit_triggers.SQLITE_REPLACE_GUARD) <= names
    with db.get_engine(demo_url).begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    future = tmp_path / "future.tar.gz"
    backup.backup(future)
    before = _fingerprint(demo_url, backend, photo_dir, request)
    _refused(future, capsys, "9999", "未知")
    assert _fingerprint(demo_url, backend, photo_dir, request) == before


def test_restore_refuses_a_database_in_use(live, backend, tmp_path, capsys, request):
    url = live["url"]
    if backend == "sqlite":  # another process (as the app would be) with the database open, idle
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
             "c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT count(*) FROM audit_log').fetchall(); "
             "print('ready', flush=True); sys.stdin.read()", make_url(url).database],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "ready"
        stop = holder.communicate
        expected = "正在被其他程序使用"
    else:
        import psycopg

        cluster = request.getfixturevalue("pg_cluster")
        conn = psycopg.connect(cluster.admin_dsn.replace("dbname=postgres", f"dbname={make_url(url).database}"))
        stop = conn.close
        expected = "正在被 1 个连接使用"
    try:
        before = live["print"]()
        _refused(live["bundle"], capsys, expected)
        assert live["print"]() == before
    finally:
        stop()
    assert main(["restore", str(live["bundle"]), "--force"]) == 0
    assert not (Path(live["bundle"]).parent / "photos" / "2020").exists()  # the directory was replaced


def test_backup_follows_symlinked_folders_and_files(demo_url, backend, photo_dir, tmp_path, request):
    photos = _photos(photo_dir, names=("2019/11/a.jpg",))
    elsewhere = tmp_path / "elsewhere" / "2019-12"  # a month kept on another disk, linked in
    elsewhere.mkdir(parents=True)
    (elsewhere / "b.jpg").write_bytes(b"\xff\xd8linked-folder")
    (photo_dir / "2019" / "12").symlink_to(elsewhere, target_is_directory=True)
    (tmp_path / "loose.jpg").write_bytes(b"\xff\xd8linked-file")
    (photo_dir / "2019" / "11" / "c.jpg").symlink_to(tmp_path / "loose.jpg")
    (photo_dir / "2019" / "11" / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (photo_dir / "2019" / "loop").symlink_to(photo_dir, target_is_directory=True)  # must not recurse forever
    bundle = tmp_path / "b.tar.gz"
    manifest = backup.backup(bundle)
    members = {m.name: m for m, _ in _members(bundle)}
    assert all(m.isfile() for m in members.values())
    photo_members = sorted(n for n in members if n.startswith("photos/"))
    assert photo_members == ["photos/2019/11/a.jpg", "photos/2019/11/c.jpg", "photos/2019/12/b.jpg"]
    assert manifest["photos"] == 3

    _delete_database(demo_url, backend, request)
    shutil.rmtree(photo_dir)
    backup.restore(bundle)
    assert (photo_dir / "2019/11/a.jpg").read_bytes() == photos["2019/11/a.jpg"]
    assert (photo_dir / "2019/12/b.jpg").read_bytes() == b"\xff\xd8linked-folder"
    assert (photo_dir / "2019/11/c.jpg").read_bytes() == b"\xff\xd8linked-file"
    assert not any(p.is_symlink() for p in photo_dir.rglob("*"))


def test_archive_is_created_private_and_verified(demo_url, photo_dir, tmp_path, monkeypatch):
    _photos(photo_dir)
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(b"an older, world-readable backup")
    bundle.chmod(0o644)

    def no_chmod(*args, **kwargs):
        raise AssertionError("the mode is set when the file is created, not changed afterwards")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    old_umask = os.umask(0)
    try:
        backup.backup(bundle)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    assert not bundle.with_name(bundle.name + ".part").exists()
    # The read-back check: a writer that loses bytes makes the backup fail and leaves no file behind.
    real_add = backup._add_file

    def lossy(tar, name, path, size):
        if name.startswith("photos/"):
            data = path.read_bytes()
            tar.addfile(backup._member(name, size), io.BytesIO(data[:-1] + b"?"))
        else:
            real_add(tar, name, path, size)

    monkeypatch.setattr(backup, "_add_file", lossy)
    target = tmp_path / "lossy.tar.gz"
    with pytest.raises(backup.BackupError, match="校验不一致"):
        backup.backup(target)
    assert not target.exists() and not target.with_name(target.name + ".part").exists()


@pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL's swap is a database rename, checked for use first
def test_a_failure_during_the_swap_puts_the_photos_back(backend, live, monkeypatch, capsys):
    target = Path(make_url(live["url"]).database)
    real_replace = os.replace

    def failing(src, dst, *args, **kwargs):
        if Path(dst) == target.absolute():
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(backup.os, "replace", failing)
    before = live["print"]()
    _refused(live["bundle"], capsys, "替换数据库文件失败", "未改动")
    # Photos byte-identical, database content identical, no staging left behind. The database file
    # itself is not byte-identical here: proving no other process has it open meant leaving WAL mode
    # (which rewrites its header); it is back in WAL mode, as the app left it.
    assert live["print"]()[1:] == before[1:]
    with sqlite3.connect(target) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_photo_directory_with_files_needs_force_too(demo_url, backend, photo_dir, tmp_path, request, capsys):
    bundle = tmp_path / "b.tar.gz"
    backup.backup(bundle)
    _delete_database(demo_url, backend, request)  # a missing database needs no --force…
    _photos(photo_dir, names=("2019/11/keep.jpg",))  # …but photos that would be replaced do
    assert main(["restore", str(bundle)]) == 2
    assert "照片目录" in capsys.readouterr().err and (photo_dir / "2019/11/keep.jpg").exists()
    assert main(["restore", str(bundle), "--force"]) == 0
    assert not (photo_dir / "2019/11/keep.jpg").exists()
