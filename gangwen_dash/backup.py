"""Backup and restore: ``python -m gangwen_dash backup FILE`` / ``restore FILE [--force]``.

A backup is one gzipped tar bundle (created mode 0600: it holds password hashes and GPS-tagged photos)
holding
- ``manifest.json`` (format, engine, time, Alembic revision, size and sha256 of every other member,
  photos the database names but the photo directory lacked or held damaged when the backup was made),
- the database: ``database.sqlite3`` made with SQLite's online backup API (consistent while the app
  is running), or ``database.pgdump`` made with ``pg_dump --format=custom`` for PostgreSQL,
- ``photos/…``: the evidence photo directory (``settings.photo_dir``), paths relative to it as stored.
  Symbolic links are followed: the bundle holds the files' contents.
The bundle is read back and checked against the manifest before it replaces ``FILE``.

``restore`` changes nothing until everything has been extracted and verified in a temporary place:
the archive complete and readable, its checksums, the database (``PRAGMA integrity_check`` on SQLite;
on PostgreSQL ``pg_restore --exit-on-error`` into a temporary database), its Alembic revision (head,
or upgraded to head there), the audit and rollup triggers, and the photo files the database names.
Only then are the photo directory and the database swapped in, each by rename; a failure before or
during the swap leaves the old ones as they were. It refuses a database or photo directory that holds
data unless ``--force``, and a SQLite database another process (the app) has open: stop the app first.
The PostgreSQL client binaries are found on PATH or under /usr/lib/postgresql/*/bin (newest first).

Length (~780 lines): one bundle format read by two commands; the restore is a single verify-then-swap
sequence (stage, check, swap, roll back) that is safest read top to bottom in one place.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from gangwen_dash.config import get_settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
PHOTOS = "photos"
DEMO_PREFIX = "demo/"  # demo placeholders: redrawn when missing (gangwen_dash.photos)
CHUNK = 1 << 20
# What a damaged gzip/tar stream raises while being read.
ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError, UnicodeDecodeError)


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


def _sha256_file(path: Path) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _has_table(conn, name: str) -> bool:
    if isinstance(conn, sqlite3.Connection):
        return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
    return conn.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar()


def _photo_rows(conn) -> list[tuple[str, str, str]]:
    """(path, thumb_path, sha256) of every photo row; ``conn`` is sqlite3 or SQLAlchemy."""
    if not _has_table(conn, "photos"):
        return []
    sql = "SELECT path, thumb_path, sha256 FROM photos"
    rows = conn.execute(sql if isinstance(conn, sqlite3.Connection) else text(sql)).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _revision_of(conn) -> str | None:
    """The Alembic revision; None for a database never migrated."""
    if not _has_table(conn, "alembic_version"):
        return None
    sql = "SELECT version_num FROM alembic_version"
    row = conn.execute(sql if isinstance(conn, sqlite3.Connection) else text(sql)).fetchone()
    return row[0] if row else None


# --------------------------------------------------------------------------- backup


def _walk_photos(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix path, file) under ``root``, following symbolic links (each real directory once)."""
    if not root.is_dir():
        return
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:  # a link loop or a second link to the same directory
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.endswith(".part") or not path.is_file():  # half-written, or a dangling link
                continue
            yield path.relative_to(root).as_posix(), path


def _open_private(path: Path):
    """A new file only the owner can read (created 0600, not chmod-ed afterwards)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    return os.fdopen(fd, "wb")


def _verify_written(path: Path, expected: dict[str, dict]) -> None:
    """Read the bundle back: every member present, complete and with the recorded checksum."""
    found: dict[str, dict] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for m in tar:
                if not m.isfile():
                    continue
                h = hashlib.sha256()
                f = tar.extractfile(m)
                while chunk := f.read(CHUNK):
                    h.update(chunk)
                found[m.name] = {"size": m.size, "sha256": h.hexdigest()}
    except ARCHIVE_ERRORS as exc:
        raise BackupError(f"备份文件写入后无法读回（{type(exc).__name__}），备份未完成") from None
    found.pop(MANIFEST, None)
    if found != expected:
        bad = sorted(set(found) ^ set(expected) | {k for k in found if found[k] != expected.get(k)})
        raise BackupError(f"备份文件写入后校验不一致（{'、'.join(bad[:5])}），备份未完成")


def backup(target: str | Path, *, database_url: str | None = None, photo_dir: Path | None = None) -> dict:
    """Write the bundle to ``target``; returns the manifest."""
    from gangwen_dash.db import get_engine

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
                rows = _photo_rows(dst)
                revision = _revision_of(dst)
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"无法读取数据库 {src_path}：{exc}") from None
            finally:
                dst.close()
                src.close()
        elif url.get_backend_name() == "postgresql":
            member, dump = PG_MEMBER, tmp / PG_MEMBER
            args, env = _pg_args(url)
            _run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args,
                  "--file", str(dump), url.database or "postgres"], env)
            # Read after the dump: every photo row in it had its files written before it committed.
            with get_engine(database_url).connect() as conn:
                rows = _photo_rows(conn)
                revision = _revision_of(conn)
        else:
            raise BackupError(f"不支持备份此类数据库：{url.get_backend_name()}")

        size, digest = _sha256_file(dump)
        files: dict[str, dict] = {member: {"size": size, "sha256": digest}}
        photos: list[tuple[str, Path]] = []
        for rel, path in _walk_photos(photo_dir):
            size, digest = _sha256_file(path)
            photos.append((rel, path))
            files[f"{PHOTOS}/{rel}"] = {"size": size, "sha256": digest}
        problems = _photo_problems(rows, files)
        manifest = {
            "format": FORMAT, "engine": url.get_backend_name(), "database": member,
            "created_at": datetime.now().isoformat(timespec="seconds"), "alembic_revision": revision,
            "photos": len(photos), "photo_dir": str(photo_dir), "files": files, "photo_problems": problems,
        }
        partial = target.with_name(target.name + ".part")
        try:
            with _open_private(partial) as raw:
                with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                    _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
                    _add_file(tar, member, dump, files[member]["size"])
                    for rel, path in photos:
                        _add_file(tar, f"{PHOTOS}/{rel}", path, files[f"{PHOTOS}/{rel}"]["size"])
                raw.flush()
                os.fsync(raw.fileno())
            _verify_written(partial, files)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def _member(name: str, size: int, mtime: float | None = None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(mtime if mtime is not None else datetime.now().timestamp())
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_member(name, len(data)), io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path, size: int) -> None:
    """The contents of ``path`` (a link is followed) as a regular member of ``size`` bytes, as hashed."""
    with open(path, "rb") as f:
        tar.addfile(_member(name, size, os.fstat(f.fileno()).st_mtime), f)


def _photo_problems(rows: list[tuple[str, str, str]], files: dict[str, dict]) -> dict[str, str]:
    """Photos the database names that the bundle lacks ("missing") or holds with another sha256."""
    problems: dict[str, str] = {}
    for path, thumb, digest in rows:
        for rel in (path, thumb):
            entry = files.get(f"{PHOTOS}/{rel}")
            if entry is None:
                if not rel.startswith(DEMO_PREFIX):
                    problems[rel] = "missing"
            elif rel == path and not rel.startswith(DEMO_PREFIX) and entry["sha256"] != digest:
                problems[rel] = "sha256"
    return problems


# --------------------------------------------------------------------------- restore: checks


def _has_data_sqlite(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    con = sqlite3.connect(str(path))
    try:
        return bool(con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
    except sqlite3.DatabaseError:
        return True  # not a database we can read: treat as something to keep unless --force
    finally:
        con.close()


def _pg_admin_url(url: URL) -> URL:
    return url.set(database="postgres")


@contextmanager
def _pg_admin(url: URL):
    from sqlalchemy import create_engine

    admin = create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def _pg_state(url: URL) -> str:
    """'missing', 'empty' (no tables) or 'data'."""
    from sqlalchemy import create_engine

    with _pg_admin(url) as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
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
    names: set[str] = set()
    for m in tar.getmembers():
        p = PurePosixPath(m.name)
        if p.is_absolute() or ".." in p.parts or "\\" in m.name or not m.name or m.name in names:
            raise BackupError(f"备份文件含有不安全的路径：{m.name}")
        names.add(m.name)


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from gangwen_dash.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _known_revision(revision: str | None) -> bool:
    from alembic.script import ScriptDirectory

    from gangwen_dash.migrate import alembic_config

    if not revision:
        return False
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for unknown or malformed ids
        return False


def _normal_sql(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").lower()


def _expected_sqlite_triggers() -> dict[str, str]:
    """name → normalised CREATE TRIGGER text, as the migrations write it."""
    from migrations import audit_triggers, rollup_triggers

    statements = [*audit_triggers.sqlite_base_statements(), *audit_triggers.sqlite_replace_guard_statements(),
                  *rollup_triggers.sqlite_statements()]
    return {re.match(r"\s*CREATE TRIGGER (\w+)", stmt).group(1): _normal_sql(stmt) for stmt in statements}


def _expected_pg_triggers() -> set[str]:
    from migrations import audit_triggers, rollup_triggers

    rollup = {m.group(1) for s in rollup_triggers.PG_STATEMENTS if (m := re.match(r"CREATE TRIGGER (\w+)", s))}
    return set(audit_triggers.expected_triggers("postgresql")) | rollup


def _check_sqlite_triggers(con: sqlite3.Connection) -> None:
    found = {name: _normal_sql(sql or "") for name, sql in
             con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    expected = _expected_sqlite_triggers()
    missing = sorted(n for n in expected if n not in found)
    altered = sorted(n for n in expected if n in found and found[n] != expected[n])
    if missing or altered:
        parts = (["缺少 " + "、".join(missing)] if missing else []) + (["被改动 " + "、".join(altered)] if altered else [])
        raise BackupError(f"备份中的数据库触发器不完整（{'；'.join(parts)}）：审计日志或汇总数据不受保护，拒绝恢复")


def _check_pg_triggers(conn) -> None:
    rows = conn.execute(text("SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal")).all()
    enabled = {name for name, state in rows if state != "D"}
    missing = sorted(_expected_pg_triggers() - enabled)
    if missing:
        raise BackupError(f"备份中的数据库触发器不完整（缺少或停用 {'、'.join(missing)}）：审计日志或汇总数据不受保护，"
                          "拒绝恢复")


def _check_photos(rows: list[tuple[str, str, str]], files: dict[str, dict], manifest: dict) -> None:
    """Every photo the database names is in the bundle (with its sha256), unless the backup said otherwise."""
    declared = manifest.get("photo_problems") or {}
    problems = _photo_problems(rows, files)
    unexplained = sorted(rel for rel, why in problems.items() if declared.get(rel) != why)
    if unexplained:
        what = {"missing": "备份中没有", "sha256": "校验值与数据库记录不符"}
        shown = "；".join(f"{rel} {what[problems[rel]]}" for rel in unexplained[:5])
        more = f" 等 {len(unexplained)} 个" if len(unexplained) > 5 else ""
        raise BackupError(f"备份中的照片与数据库记录不一致：{shown}{more}，拒绝恢复")


def _check_revision(revision: str | None) -> None:
    if revision == _head_revision():
        return
    if not revision:
        raise BackupError("备份中的数据库没有迁移版本（alembic_version），不是本系统的数据库")
    if not _known_revision(revision):
        raise BackupError(f"备份中的数据库版本 {revision} 未知（可能来自更新版本的系统），请用相同或更新版本的系统恢复")


# --------------------------------------------------------------------------- restore: staging


@dataclass
class _Staged:
    manifest: dict
    files: dict[str, dict] = field(default_factory=dict)  # member name → size, sha256 as extracted
    database: Path | None = None
    photos: Path | None = None


def _copy_member(tar: tarfile.TarFile, m: tarfile.TarInfo, dest: Path, expected: dict | None) -> dict:
    """Extract one regular member to ``dest`` (a new file); returns its size and sha256."""
    if not m.isfile():
        kind = "目录" if m.isdir() else "链接" if (m.issym() or m.islnk()) else "特殊文件"
        raise BackupError(f"备份文件中的 {m.name} 是{kind}而不是普通文件，拒绝恢复")
    h, size = hashlib.sha256(), 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = tar.extractfile(m)
    with open(dest, "xb") as out:
        while chunk := src.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            out.write(chunk)
    got = {"size": size, "sha256": h.hexdigest()}
    if size != m.size:
        raise BackupError(f"备份文件中的 {m.name} 不完整，拒绝恢复")
    if expected is not None and got != expected:
        raise BackupError(f"备份文件中的 {m.name} 校验失败（大小或 sha256 与清单不符），拒绝恢复")
    return got


def _extract(source: Path, tar: tarfile.TarFile, manifest: dict, db_dir: Path, photo_stage: Path) -> _Staged:
    listed = manifest.get("files")  # absent in bundles made before checksums were recorded
    staged = _Staged(manifest, photos=photo_stage)
    photo_stage.mkdir()
    for m in tar:
        name = m.name
        if name == MANIFEST:
            continue
        if name == manifest["database"]:
            staged.database = db_dir / ("restore-" + Path(name).name)
            staged.files[name] = _copy_member(tar, m, staged.database, (listed or {}).get(name))
        elif name.startswith(f"{PHOTOS}/"):
            if m.isdir():
                continue
            if listed is not None and name not in listed:
                raise BackupError(f"备份文件中的 {name} 不在清单中，拒绝恢复")
            rel = name[len(PHOTOS) + 1:]
            staged.files[name] = _copy_member(tar, m, photo_stage / rel, (listed or {}).get(name))
    if staged.database is None:
        raise BackupError(f"备份文件 {source} 中没有数据库（{manifest['database']}），拒绝恢复")
    missing = sorted(set(listed or {}) - set(staged.files))
    if missing:
        raise BackupError(f"备份文件不完整，缺少 {'、'.join(missing[:5])}，拒绝恢复")
    if listed is None and manifest.get("photos") is not None:
        n = sum(1 for k in staged.files if k.startswith(f"{PHOTOS}/"))
        if n != manifest["photos"]:
            raise BackupError(f"备份文件不完整：清单记载照片 {manifest['photos']} 个，实有 {n} 个，拒绝恢复")
    return staged


def _verify_sqlite(staged: _Staged) -> None:
    from gangwen_dash.db import dispose_engines
    from gangwen_dash.migrate import upgrade

    path = staged.database
    try:
        con = sqlite3.connect(str(path))
        try:
            result = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                raise BackupError(f"备份中的数据库已损坏（integrity_check：{'；'.join(map(str, result[:3]))}），拒绝恢复")
            revision = _revision_of(con)
        finally:
            con.close()
        _check_revision(revision)
        if revision != _head_revision():
            try:
                upgrade(f"sqlite:///{path}")
            finally:
                dispose_engines()
        con = sqlite3.connect(str(path))
        try:
            _check_sqlite_triggers(con)
            _check_photos(_photo_rows(con), staged.files, staged.manifest)
            # Fold any WAL into the file: only the main file is renamed into place.
            con.execute("PRAGMA journal_mode=DELETE").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份中的数据库无法读取（{exc}），拒绝恢复") from None


def _verify_pg(staged: _Staged, url: URL, temp_name: str) -> None:
    from sqlalchemy import create_engine

    from gangwen_dash.db import dispose_engines
    from gangwen_dash.migrate import upgrade

    args, env = _pg_args(url)
    with _pg_admin(url) as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{temp_name}"')
    _run([pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          *args, "--dbname", temp_name, str(staged.database)], env)
    temp_url = url.set(database=temp_name)
    eng = create_engine(temp_url)
    try:
        with eng.connect() as conn:
            revision = _revision_of(conn)
    finally:
        eng.dispose()
    _check_revision(revision)
    if revision != _head_revision():
        try:
            upgrade(temp_url.render_as_string(hide_password=False))
        finally:
            dispose_engines()
    eng = create_engine(temp_url)
    try:
        with eng.connect() as conn:
            _check_pg_triggers(conn)
            _check_photos(_photo_rows(conn), staged.files, staged.manifest)
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- restore: the swap


class _SqliteLock:
    """Exclusive hold on the live SQLite database, proving no other connection has it open.

    In WAL mode (the app's mode, ``gangwen_dash.db``) every open connection keeps a shared lock on the
    file, so leaving WAL fails while any other process has the database open — even idle. Leaving WAL
    also checkpoints and removes the -wal/-shm files, which must not outlive the file they belong to.
    """

    def __init__(self, path: Path) -> None:
        self.con: sqlite3.Connection | None = None
        self.was_wal = False
        if not path.exists():
            return
        try:
            con = sqlite3.connect(str(path), timeout=0, isolation_level=None)
        except sqlite3.Error as exc:
            raise BackupError(f"无法打开目标数据库 {path}：{exc}") from None
        try:
            self.was_wal = con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
            mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower()
            if mode != "delete":
                raise sqlite3.OperationalError("database is locked")
            con.execute("BEGIN EXCLUSIVE")
        except sqlite3.DatabaseError as exc:
            con.close()
            if "not a database" in str(exc):  # a damaged live file: nothing can be using it usefully
                return
            if "locked" in str(exc) or "busy" in str(exc):
                raise BackupError(f"目标数据库 {path} 正在被其他程序使用（看板应用或命令行）："
                                  "请先停止看板应用等所有使用它的进程，再恢复") from None
            raise BackupError(f"目标数据库 {path} 无法锁定：{exc}") from None
        self.con = con

    def release(self, *, swapped: bool) -> None:
        if self.con is None:
            return
        try:
            self.con.execute("ROLLBACK")
            if not swapped and self.was_wal:  # the old database stays: as the app left it
                self.con.execute("PRAGMA journal_mode=WAL")
        finally:
            self.con.close()
            self.con = None


def _swap_photos(new: Path, live: Path, old: Path) -> bool:
    """Put ``new`` at ``live``; the previous directory (if any) goes to ``old``. Returns whether there was one."""
    had = live.exists() or live.is_symlink()
    try:
        if had:
            os.rename(live, old)
        try:
            os.rename(new, live)
        except OSError:
            if had:
                os.rename(old, live)
            raise
    except OSError as exc:
        raise BackupError(f"替换照片目录 {live} 失败（{exc}），原数据库和照片未改动") from None
    return had


def _unswap_photos(new: Path, live: Path, old: Path, had: bool) -> None:
    os.rename(live, new)
    if had:
        os.rename(old, live)


def _photo_dir_has_files(photo_dir: Path) -> bool:
    return any(True for _ in _walk_photos(photo_dir))


def restore(source: str | Path, *, force: bool = False, database_url: str | None = None,
            photo_dir: Path | None = None) -> dict:
    """Restore the bundle ``source`` into the configured database and photo directory; returns the manifest."""
    from gangwen_dash.db import dispose_engines

    settings = get_settings()
    database_url = database_url or settings.database_url
    photo_dir = Path(photo_dir or settings.photo_dir)
    if photo_dir.is_symlink():  # swap the directory the link points to, keep the link
        photo_dir = photo_dir.resolve()
    url = make_url(database_url)
    engine = url.get_backend_name()
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    if engine not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持恢复到此类数据库：{engine}")
    damaged = f"备份文件 {source} 已损坏或不完整"
    dispose_engines()
    try:
        tar = tarfile.open(source, "r:gz")  # noqa: SIM115 - closed by the with-block below
    except ARCHIVE_ERRORS as exc:
        raise BackupError(f"无法读取备份文件 {source}（{type(exc).__name__}），不是有效的备份") from None

    with tar, tempfile.TemporaryDirectory(prefix="gangwen-restore-") as tmp:
        try:
            _safe_members(tar)
            try:
                manifest = json.loads(tar.extractfile(MANIFEST).read().decode("utf-8"))
                if not isinstance(manifest, dict):
                    raise ValueError
            except (KeyError, AttributeError, ValueError):
                raise BackupError("备份文件缺少 manifest.json，不是本系统的备份") from None
        except ARCHIVE_ERRORS as exc:
            raise BackupError(f"{damaged}（{type(exc).__name__}），拒绝恢复") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"备份格式版本 {manifest.get('format')} 不受支持")
        if manifest.get("engine") != engine:
            raise BackupError(f"这是 {manifest.get('engine')} 数据库的备份，不能恢复到 {engine} 数据库")
        if manifest.get("database") not in (SQLITE_MEMBER, PG_MEMBER):
            raise BackupError("备份清单中的数据库条目无效，拒绝恢复")

        if engine == "sqlite":
            path = _sqlite_path(url).absolute()
            if _has_data_sqlite(path) and not force:
                raise BackupError(f"目标数据库 {path} 已有数据；确认要覆盖请加 --force")
            state = None
        else:
            state = _pg_state(url)
            if state == "data" and not force:
                raise BackupError(f"目标数据库 {url.database} 已有数据；确认要覆盖请加 --force")
        if _photo_dir_has_files(photo_dir) and not force:
            raise BackupError(f"照片目录 {photo_dir} 已有文件；确认要覆盖请加 --force")

        # Staging next to the targets, so that the final renames stay on one file system.
        db_dir = Path(tmp)
        if engine == "sqlite":
            path.parent.mkdir(parents=True, exist_ok=True)
            db_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.restore-", dir=path.parent))
        photo_dir.parent.mkdir(parents=True, exist_ok=True)
        photo_tmp = Path(tempfile.mkdtemp(prefix=f".{photo_dir.name}.restore-", dir=photo_dir.parent))
        temp_db = f"gangwen_restore_{uuid.uuid4().hex[:12]}"
        pg_temp_created = False
        try:
            try:
                staged = _extract(source, tar, manifest, db_dir, photo_tmp / "new")
            except ARCHIVE_ERRORS as exc:
                raise BackupError(f"{damaged}（{type(exc).__name__}），拒绝恢复") from None
            if engine == "sqlite":
                _verify_sqlite(staged)
                _swap_sqlite(staged, path, photo_dir, photo_tmp, db_dir)
            else:
                pg_temp_created = True
                _verify_pg(staged, url, temp_db)
                _swap_pg(staged, url, temp_db, state, photo_dir, photo_tmp)
                pg_temp_created = False
        finally:
            if pg_temp_created:
                _drop_pg_database(url, temp_db)
            shutil.rmtree(photo_tmp, ignore_errors=True)
            if db_dir != Path(tmp):
                shutil.rmtree(db_dir, ignore_errors=True)
    return manifest


def _swap_sqlite(staged: _Staged, path: Path, photo_dir: Path, photo_tmp: Path, db_dir: Path) -> None:
    if path.exists():  # the restored file and directory keep the permissions the old ones had
        shutil.copymode(path, staged.database)
    if photo_dir.is_dir():
        shutil.copymode(photo_dir, staged.photos)
    lock = _SqliteLock(path)
    swapped = False
    # A -wal/-shm left beside the old file (the lock removes them when it can) would be replayed into
    # the new one: move them aside with it.
    sidecars = [(Path(f"{path}{suffix}"), db_dir / f"previous{suffix}") for suffix in ("-wal", "-shm")]
    moved: list[tuple[Path, Path]] = []
    try:
        had = _swap_photos(staged.photos, photo_dir, photo_tmp / "old")
        try:
            for live, aside in sidecars:
                if live.exists():
                    os.rename(live, aside)
                    moved.append((live, aside))
            if path.exists():  # keep a link to the old file until the new one is in place
                try:
                    os.link(path, db_dir / "previous.sqlite3")
                except OSError:
                    shutil.copy2(path, db_dir / "previous.sqlite3")
            os.replace(staged.database, path)
            swapped = True
        except OSError as exc:
            for live, aside in reversed(moved):
                os.rename(aside, live)
            _unswap_photos(staged.photos, photo_dir, photo_tmp / "old", had)
            raise BackupError(f"替换数据库文件失败（{exc}），原数据库和照片未改动") from None
    finally:
        lock.release(swapped=swapped)


def _drop_pg_database(url: URL, name: str) -> None:
    try:
        with _pg_admin(url) as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # best effort: the restore's own error is the one to report
        pass


def _swap_pg(staged: _Staged, url: URL, temp_db: str, state: str, photo_dir: Path, photo_tmp: Path) -> None:
    from sqlalchemy.exc import DBAPIError

    target = url.database
    old = f"{temp_db}_old"
    if photo_dir.is_dir():
        shutil.copymode(photo_dir, staged.photos)
    had = _swap_photos(staged.photos, photo_dir, photo_tmp / "old")
    renamed_old = False
    try:
        with _pg_admin(url) as conn:
            if state != "missing":
                n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n "
                                      "AND pid <> pg_backend_pid()"), {"n": target}).scalar()
                if n:
                    raise BackupError(f"目标数据库 {target} 正在被 {n} 个连接使用（看板应用或其他程序）："
                                      "请先停止它们，再恢复")
                conn.exec_driver_sql(f'ALTER DATABASE "{target}" RENAME TO "{old}"')
                renamed_old = True
            conn.exec_driver_sql(f'ALTER DATABASE "{temp_db}" RENAME TO "{target}"')
    except (BackupError, DBAPIError) as exc:
        if renamed_old:
            with _pg_admin(url) as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{old}" RENAME TO "{target}"')
        _unswap_photos(staged.photos, photo_dir, photo_tmp / "old", had)
        if isinstance(exc, BackupError):
            raise
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise BackupError(f"替换数据库失败（{reason}），原数据库和照片未改动") from None
    if renamed_old:  # the restore is done; the previous database is no longer needed
        _drop_pg_database(url, old)
