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
    from gangwen_dash.db import check_connection, read_session
    from gangwen_dash.exchange import workbook
    from gangwen_dash.services.units import active_names

    check_connection()
    with read_session() as session:
        units = tuple(active_names(session))
    workbook.save(workbook.build(units=units), args.file)
    print(f"导入模板已写入 {args.file}")
    return 0


def cmd_import(args) -> int:
    from gangwen_dash.cli import CliError
    from gangwen_dash.db import check_connection
    from gangwen_dash.exchange import importer

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"文件不存在：{path}")
    check_connection()
    data = path.read_bytes()
    own_layout = args.sheet or args.map or args.set or args.target or not importer.is_template(data)
    if own_layout:
        report = _import_ledger(args, data, path.name)
    else:
        report = importer.import_workbook(CLI_ACTOR, data, dry_run=args.dry_run, filename=path.name)
    for err in report.errors:
        print(err.text(), file=sys.stderr)
    for change in report.changes:
        print(f"更新 第 {change.row} 行 {change.record}：{change.text()}")
    print(report.summary(), file=sys.stderr if report.errors else sys.stdout)
    return 2 if report.errors else 0  # bad input, like every other command


def _import_ledger(args, data: bytes, filename: str):
    """A ledger in the secretariat's own layout: the sheet, the header row and the mapping, as the page offers
    them (remembered for these headers, else suggested), corrected by --map/--set/--year."""
    from gangwen_dash.cli import CliError
    from gangwen_dash.db import read_session
    from gangwen_dash.exchange import importer, ledger, mapping

    year = _whole_number(args.year, "--year", 1900, 2100)
    header_row = _whole_number(args.header_row, "--header-row", 1, ledger.MAX_ROWS)
    try:
        wb = ledger.open_book(data)
        names = ledger.sheet_names(wb)
        sheet = args.sheet or max(names, key=lambda n: mapping.known_header_count(
            ledger.read_sheet(wb, n).headers))
        table = ledger.read_sheet(wb, sheet, header_row)
    except ledger.LedgerError as exc:
        raise CliError(str(exc)) from None
    if args.target and args.target not in mapping.TARGETS:
        raise CliError(f"--target “{args.target}”无效（可选：{'、'.join(mapping.TARGETS)}）")
    with read_session() as session:
        chosen, remembered = mapping.initial(session, table.headers, args.target)
    try:
        chosen = mapping.apply_overrides(chosen, table.headers, args.map or [], args.set or [])
    except ValueError as exc:
        raise CliError(str(exc)) from None
    chosen.year = year or chosen.year
    print(f"工作表“{sheet}”，表头在第 {table.header_row} 行，导入为“{chosen.target}”"
          + ("（沿用上次保存的列对应）" if remembered else ""))
    for header, key in chosen.columns.items():
        ours = mapping.column(chosen.target, key).header if key else "不导入"
        print(f"  {header} → {ours}")
    for key, value in chosen.fixed.items():
        print(f"  统一值：{mapping.column(chosen.target, key).header} = {value}")
    return importer.import_ledger(CLI_ACTOR, data, chosen, sheet=sheet, header_row=header_row,
                                  dry_run=args.dry_run, filename=filename)


def cmd_export(args) -> int:
    from gangwen_dash.db import check_connection
    from gangwen_dash.exchange.exporter import export

    check_connection()
    counts = export(CLI_ACTOR, Path(args.file))
    print(f"已导出到 {args.file}：" + "，".join(f"{k} {v} 条" for k, v in counts.items()))
    return 0


def _whole_number(text: str | None, option: str, low: int, high: int) -> int | None:
    from gangwen_dash.cli import CliError

    if text is None:
        return None
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise CliError(f"{option} 应为 {low}–{high} 之间的整数，实际为“{text}”")
    return int(text)


def _targets() -> tuple[str, ...]:
    from gangwen_dash.exchange.mapping import TARGETS

    return TARGETS


def register(sub) -> None:
    p = sub.add_parser("template", help="写出 Excel 导入模板（每类一张表，含说明和下拉列表）")
    p.add_argument("file", help="目标 .xlsx 文件")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("import", help="导入 Excel 台账：模板格式或自有格式（全部或全不；已存在的记录更新或跳过）")
    p.add_argument("file", help=".xlsx 文件")
    p.add_argument("--sheet", help="自有格式台账的工作表名称（默认：最像台账的一张）")
    p.add_argument("--map", action="append", metavar="文件列=系统列",
                   help="列对应，如 '日期=督查时间'；'备注=' 表示不导入该列；可重复")
    p.add_argument("--set", action="append", metavar="系统列=值", help="文件中没有的列取统一值，如 '督查组=第一督查组'")
    p.add_argument("--year", help="“11月14日”这类不带年份的日期所属的年份（默认取表头上方标题中的年份）")
    p.add_argument("--header-row", help="表头所在行（默认自动识别）")
    p.add_argument("--target", help="导入为哪类记录：" + "、".join(_targets()) + "（默认按表头判断）")
    p.add_argument("--dry-run", action="store_true", help="只检查并报告（含将更新的字段：旧 → 新），不写入")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="按模板格式导出全部数据到 Excel")
    p.add_argument("file", help="目标 .xlsx 文件")
    p.set_defaults(func=cmd_export)
