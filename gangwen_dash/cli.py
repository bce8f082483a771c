"""Command line: ``python -m gangwen_dash <command>``.

Every command reports bad input and unreachable databases as one line on stderr with exit code 2,
never a traceback. Feature modules add their commands through ``COMMAND_MODULES``: each exposes
``register(subparsers)`` and sets ``func`` on its parser.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from gangwen_dash.dates import DateFormatError, parse_date


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


# Modules that contribute subcommands (each has ``register(subparsers)``).
COMMAND_MODULES: tuple[str, ...] = ("gangwen_dash.reports.cli", "gangwen_dash.cli_users", "gangwen_dash.exchange.cli", "gangwen_dash.backup", "gangwen_dash.map_cli", "gangwen_dash.bench.cli",
                                 "gangwen_dash.reports.letter", "gangwen_dash.notify.cli")


def _period(args):
    from gangwen_dash.queries.kpis import Period

    try:
        start, end = parse_date(args.date_from), parse_date(args.date_to)
    except DateFormatError as exc:
        raise CliError(str(exc)) from None
    if start > end:
        raise CliError(f"--from {start} 晚于 --to {end}，请检查日期范围")
    return Period(start, end)


def cmd_init_db(args) -> int:
    from gangwen_dash import migrate
    from gangwen_dash.db import check_connection

    check_connection()
    migrate.upgrade()
    print("数据库已迁移到最新版本")
    return 0


def cmd_seed_demo(args) -> int:
    from gangwen_dash import demo
    from gangwen_dash.db import check_connection, write_session

    check_connection()
    try:
        with write_session() as session:
            counts = demo.load(session, reset=args.reset)
    except demo.DatabaseNotEmpty as exc:
        raise CliError(str(exc)) from None
    print("演示数据已写入：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_bootstrap(args) -> int:
    """What ``make run`` does before starting the app: migrate, then seed the demo if empty and allowed."""
    from gangwen_dash import demo, migrate
    from gangwen_dash.config import auth_config_problem, get_settings
    from gangwen_dash.db import check_connection, read_session, write_session

    problem = auth_config_problem()
    if problem:
        raise CliError(problem)
    check_connection()
    migrate.upgrade()
    with read_session() as session:
        empty = demo.is_empty(session)
    if empty and get_settings().seed_demo:
        with write_session() as session:
            demo.load(session)
        print("空数据库（无账号、无业务数据）：已写入 2019 年演示数据与公开密码的演示账号"
              "（正式部署请设置 GANGWEN_SEED_DEMO=0）")
    else:
        print("数据库已就绪")
    return 0


def cmd_kpis(args) -> int:
    from gangwen_dash.db import check_connection, read_session
    from gangwen_dash.queries.kpis import Filters, kpis

    period = _period(args)
    check_connection()
    with read_session() as session:
        result = kpis(session, period, Filters(group_id=args.group, street_id=args.street)).as_dict()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        from gangwen_dash.labels import KPI_LABELS

        print(f"统计区间 {period.start} 至 {period.end}")
        for key, value in result.items():
            shown = "—" if value is None else (f"{value:.1%}" if isinstance(value, float) else value)
            print(f"  {KPI_LABELS.get(key, key)}: {shown}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gangwen_dash", description="港闻区政协 督查与履职看板")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init-db", help="应用数据库迁移")
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("seed-demo", help="写入 2019 年演示数据")
    p.add_argument("--reset", action="store_true", help="清空现有业务数据后写入（审计日志保留）")
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("bootstrap", help="迁移；空库且允许时写入演示数据（make run 使用）")
    p.set_defaults(func=cmd_bootstrap)

    p = sub.add_parser("kpis", help="某一时期的核心指标")
    p.add_argument("--from", dest="date_from", required=True, help="开始日期，如 2019-01-01")
    p.add_argument("--to", dest="date_to", required=True, help="结束日期（含），如 2019-12-31")
    p.add_argument("--group", type=int, help="督查组 ID")
    p.add_argument("--street", type=int, help="街道 ID")
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    p.set_defaults(func=cmd_kpis)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from gangwen_dash.db import DatabaseUnavailable

    try:
        return args.func(args)
    except CliError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        print(f"错误：数据库操作失败：{reason}（是否已执行 init-db？）", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"错误：数据库错误：{str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
