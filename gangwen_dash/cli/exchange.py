"""``python -m gangwen_dash template|import|export``: the Excel ledgers from the command line.

The command line acts as the secretariat (it runs on the server, by whoever may run it there);
every import and export is audited under the user name ``cli``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gangwen_dash.services.base import Actor

CLI_ACTOR = Actor(user_id=None, username="cli", role="secretariat", display_name="命令行")


def cmd_template(args) -> int:
    from gangwen_dash.exchange import workbook

    workbook.save(workbook.build(), args.file)
    print(f"导入模板已写入 {args.file}")
    return 0


def cmd_import(args) -> int:
    from gangwen_dash.cli import CliError
    from gangwen_dash.db import check_connection
    from gangwen_dash.exchange.importer import import_workbook

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"文件不存在：{path}")
    check_connection()
    report = import_workbook(CLI_ACTOR, path, dry_run=args.dry_run)
    for err in report.errors:
        print(err.text(), file=sys.stderr)
    print(report.summary(), file=sys.stderr if report.errors else sys.stdout)
    return 2 if report.errors else 0  # bad input, like every other command


def cmd_export(args) -> int:
    from gangwen_dash.db import check_connection
    from gangwen_dash.exchange.exporter import export

    check_connection()
    counts = export(CLI_ACTOR, Path(args.file))
    print(f"已导出到 {args.file}：" + "，".join(f"{k} {v} 条" for k, v in counts.items()))
    return 0


def register(sub) -> None:
    p = sub.add_parser("template", help="写出 Excel 导入模板（每类一张表，含说明和下拉列表）")
    p.add_argument("file", help="目标 .xlsx 文件")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("import", help="导入 Excel 台账（全部或全不；已存在的记录跳过）")
    p.add_argument("file", help=".xlsx 文件")
    p.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="按模板格式导出全部数据到 Excel")
    p.add_argument("file", help="目标 .xlsx 文件")
    p.set_defaults(func=cmd_export)
