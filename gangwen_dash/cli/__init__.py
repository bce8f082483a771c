"""Command line: ``python -m gangwen_dash <command>``, one module of this package per area.

Every command reports bad input and unreachable databases as one line on stderr with exit code 2,
never a traceback. Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)`` and sets ``func``
on its parsers. Command functions import what they need when they run: ``--help`` and the light
commands start in under a second instead of loading pandas, folium and the renderers.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from gangwen_dash.domain.dates import DateFormatError, parse_date


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


# Modules that contribute subcommands (each has ``register(subparsers)``).
COMMAND_MODULES: tuple[str, ...] = tuple(f"gangwen_dash.cli.{name}" for name in (
    "database", "kpis", "reports", "letters", "notify", "users", "exchange", "backup", "maps", "bench"))


def parse_period(args):
    """``--from``/``--to`` as a Period; bad or reversed dates are a CliError."""
    from gangwen_dash.domain.periods import Period

    try:
        start, end = parse_date(args.date_from), parse_date(args.date_to)
    except DateFormatError as exc:
        raise CliError(str(exc)) from None
    if start > end:
        raise CliError(f"--from {start} 晚于 --to {end}，请检查日期范围")
    return Period(start, end)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gangwen_dash", description="港闻区政协 督查与履职看板")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
