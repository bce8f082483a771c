"""Backup and restore: ``python -m gangwen_dash backup FILE`` / ``restore FILE [--force]``.

A backup is one gzipped tar bundle holding
- ``manifest.json`` (format, engine, time, Alembic revision, photo count),
- the database: ``database.sqlite3`` made with SQLite's online backup API (consistent while the app
  is running), or ``database.pgdump`` made with ``pg_dump --format=custom`` for PostgreSQL,
- ``photos/…``: the evidence photo directory (``settings.photo_dir``), paths relative to it as stored.

``restore`` refuses a database that holds data unless ``--force`` (then it replaces it). A missing
PostgreSQL database is created first; photos are extracted back into the photo directory.
The PostgreSQL client binaries are found on PATH or under /usr/lib/postgresql/*/bin (newest first).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from gangwen_dash.config import get_settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
PHOTOS = "photos"


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message is Chinese."""


def pg_binary(name: str) -> str:
    found = shutil.which(name)
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0, reverse=True)
    if candidates:  # the newest client can dump any older server
        return str(candidates[0])
    if found:
        return found
    raise BackupError(f"找不到 PostgreSQL 工具 {name}，请安装 postgresql-client（apt-get install postgresql-client）")


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432)]
    if url.username:
        args += ["-U", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps would show it
    return args, env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        reason = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError(f"{Path(cmd[0]).name} 失败：{reason[-1] if reason else proc.returncode}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(url.database)


def _revision(database_url: str) -> str | None:
    from gangwen_dash.db import get_engine

    try:
        with get_engine(database_url).connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # an empty or unreachable database has no revision to report
        return None


def backup(target: str | Path, *, database_url: str | None = None, photo_dir: Path | None = None) -> dict:
    """Write the bundle to ``target``; returns the manifest."""
    settings = get_settings()
    database_url = database_url or settings.database_url
    photo_dir = Path(photo_dir or settings.photo_dir)
    url = make_url(database_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gangwen-backup-") as tmp:
        tmp = Path(tmp)
        if url.get_backend_name() == "sqlite":
            src_path = _sqlite_path(url)
            if not src_path.is_file():
                raise BackupError(f"数据库文件不存在：{src_path}")
            member, dump = SQLITE_MEMBER, tmp / SQLITE_MEMBER
            src = sqlite3.connect(str(src_path), timeout=30)
            dst = sqlite3.connect(str(dump))
            try:
                src.backup(dst)  # online backup API: a consistent copy while others write
            finally:
                dst.close()
                src.close()
        elif url.get_backend_name() == "postgresql":
            member, dump = PG_MEMBER, tmp / PG_MEMBER
            args, env = _pg_args(url)
            _run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args,
                  "--file", str(dump), url.database or "postgres"], env)
        else:
            raise BackupError(f"不支持备份此类数据库：{url.get_backend_name()}")
        photos = sorted(p for p in photo_dir.rglob("*") if p.is_file() and not p.name.endswith(".part")) \
            if photo_dir.is_dir() else []
        manifest = {
            "format": FORMAT, "engine": url.get_backend_name(), "database": member,
            "created_at": datetime.now().isoformat(timespec="seconds"), "alembic_revision": _revision(database_url),
            "photos": len(photos), "photo_dir": str(photo_dir),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = target.with_name(target.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(tmp / MANIFEST, arcname=MANIFEST)
            tar.add(dump, arcname=member)
            for p in photos:
                tar.add(p, arcname=f"{PHOTOS}/{p.relative_to(photo_dir).as_posix()}")
        os.replace(partial, target)
    return manifest


def _has_data_sqlite(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    con = sqlite3.connect(str(path))
    try:
        return bool(con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
    finally:
        con.close()


def _pg_admin_url(url: URL) -> URL:
    return url.set(database="postgres")


def _pg_state(url: URL) -> str:
    """'missing', 'empty' (no tables) or 'data'."""
    from sqlalchemy import create_engine

    admin = create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
    finally:
        admin.dispose()
    if not exists:
        return "missing"
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
            return "data" if n.scalar() else "empty"
    finally:
        eng.dispose()


def _safe_members(tar: tarfile.TarFile) -> None:
    for m in tar.getmembers():
        p = Path(m.name)
        if p.is_absolute() or ".." in p.parts or not (m.isfile() or m.isdir()):
            raise BackupError(f"备份文件含有不安全的路径：{m.name}")


def restore(source: str | Path, *, force: bool = False, database_url: str | None = None,
            photo_dir: Path | None = None) -> dict:
    """Restore the bundle ``source`` into the configured database and photo directory; returns the manifest."""
    from gangwen_dash.db import dispose_engines

    settings = get_settings()
    database_url = database_url or settings.database_url
    photo_dir = Path(photo_dir or settings.photo_dir)
    url = make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    try:
        tar = tarfile.open(source, "r:gz")  # noqa: SIM115 - closed by the with-block below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"无法读取备份文件 {source}：{exc}") from None
    with tar, tempfile.TemporaryDirectory(prefix="gangwen-restore-") as tmp:
        tmp = Path(tmp)
        _safe_members(tar)
        try:
            manifest = json.loads(tar.extractfile(MANIFEST).read().decode("utf-8"))
        except (KeyError, AttributeError, ValueError):
            raise BackupError("备份文件缺少 manifest.json，不是本系统的备份") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"备份格式版本 {manifest.get('format')} 不受支持")
        if manifest["engine"] != url.get_backend_name():
            raise BackupError(f"这是 {manifest['engine']} 数据库的备份，不能恢复到 {url.get_backend_name()} 数据库")
        tar.extract(manifest["database"], tmp, filter="data")
        dump = tmp / manifest["database"]
        dispose_engines()
        if url.get_backend_name() == "sqlite":
            path = _sqlite_path(url)
            if _has_data_sqlite(path) and not force:
                raise BackupError(f"目标数据库 {path} 已有数据；确认要覆盖请加 --force")
            path.parent.mkdir(parents=True, exist_ok=True)
            src = sqlite3.connect(str(dump))
            dst = sqlite3.connect(str(path), timeout=30)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        else:
            state = _pg_state(url)
            if state == "data" and not force:
                raise BackupError(f"目标数据库 {url.database} 已有数据；确认要覆盖请加 --force")
            args, env = _pg_args(url)
            if state == "missing":
                from sqlalchemy import create_engine

                admin = create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
                try:
                    with admin.connect() as conn:
                        conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
                finally:
                    admin.dispose()
            clean = ["--clean", "--if-exists"] if state == "data" else []
            _run([pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  *clean, *args, "--dbname", url.database, str(dump)], env)
        photos = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(f"{PHOTOS}/")]
        if photos:
            photo_dir.mkdir(parents=True, exist_ok=True)
            for m in photos:
                m.name = m.name[len(PHOTOS) + 1:]
                tar.extract(m, photo_dir, filter="data")
    return manifest


def cmd_backup(args) -> int:
    from gangwen_dash.cli import CliError

    try:
        manifest = backup(args.file)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"已备份到 {args.file}（{manifest['engine']} 数据库，照片 {manifest['photos']} 个）")
    return 0


def cmd_restore(args) -> int:
    from gangwen_dash.cli import CliError

    try:
        manifest = restore(args.file, force=args.force)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"已从 {args.file} 恢复（备份时间 {manifest['created_at']}，照片 {manifest['photos']} 个）")
    return 0


def register(sub) -> None:
    p = sub.add_parser("backup", help="备份数据库和照片到一个 .tar.gz 文件")
    p.add_argument("file", help="目标文件，如 backups/gangwen-2019-11-14.tar.gz")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="从备份文件恢复数据库和照片")
    p.add_argument("file", help="backup 命令写出的文件")
    p.add_argument("--force", action="store_true", help="目标数据库已有数据时仍然覆盖")
    p.set_defaults(func=cmd_restore)
