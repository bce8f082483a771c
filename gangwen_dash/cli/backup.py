"""``backup FILE`` and ``restore FILE [--force]``: the database and the photos in one verified archive."""

from __future__ import annotations

import sys

from gangwen_dash import backup as archive
from gangwen_dash.cli import CliError


def cmd_backup(args) -> int:
    try:
        manifest = archive.backup(args.file)
    except archive.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"已备份到 {args.file}（{manifest['engine']} 数据库，照片 {manifest['photos']} 个）")
    problems = manifest["photo_problems"]
    if problems:
        what = {"missing": "照片目录中没有", "sha256": "文件与数据库记录的校验值不符"}
        print(f"注意：数据库记录的 {len(problems)} 个照片文件有问题（已如实备份并记入清单）：", file=sys.stderr)
        for rel, why in sorted(problems.items())[:20]:
            print(f"  {rel}：{what[why]}", file=sys.stderr)
    return 0


def cmd_restore(args) -> int:
    try:
        manifest = archive.restore(args.file, force=args.force)
    except archive.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"已从 {args.file} 恢复（备份时间 {manifest['created_at']}，照片 {manifest['photos']} 个）")
    return 0


def register(sub) -> None:
    p = sub.add_parser("backup", help="备份数据库和照片到一个 .tar.gz 文件")
    p.add_argument("file", help="目标文件，如 backups/gangwen-2019-11-14.tar.gz")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="从备份文件恢复数据库和照片（先完整校验，最后一步替换）")
    p.add_argument("file", help="backup 命令写出的文件")
    p.add_argument("--force", action="store_true", help="目标数据库或照片目录已有数据时仍然覆盖")
    p.set_defaults(func=cmd_restore)
