"""``python -m gangwen_dash report --week 2019-W46 --out DIR``: the weekly meeting pack's three files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gangwen_dash.config import local_today


def cmd_report(args) -> int:
    from gangwen_dash.cli import CliError
    from gangwen_dash.db import check_connection
    from gangwen_dash.domain.dates import DateFormatError, iso_week_label, parse_iso_week
    from gangwen_dash.reports.export import FORMATS, export_week
    from gangwen_dash.reports.render import RenderError

    week = args.week.strip().lower()
    if week not in ("last", "latest"):
        try:
            parse_iso_week(args.week)
        except DateFormatError as exc:
            raise CliError(str(exc)) from None
        week = args.week
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise CliError(f"未知的输出格式 {','.join(unknown) or '（空）'}，可选 png,pdf,xlsx")
    check_connection()
    if week == "last":  # a job run on Monday morning reports the week that just ended
        week = iso_week_label(local_today() - timedelta(days=7))
    elif week == "latest":
        from gangwen_dash.db import read_session
        from gangwen_dash.queries.weekly import latest_week_with_data

        with read_session() as session:
            monday = latest_week_with_data(session)
        if monday is None:
            raise CliError("数据库中还没有督查记录，无法确定最近有数据的一周，请用 --week 指定周次")
        week = iso_week_label(monday)
    try:
        done = export_week(week, Path(args.out), formats)
    except RenderError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"无法写入输出目录 {args.out}：{exc.strerror or exc}") from None
    pack = done.pack
    state = "" if pack.has_data else "（本周无督查数据，已生成说明“本周无督查记录”的周报）"
    print(f"{pack.title} 第{pack.issue_no}期 {pack.iso_week}（{pack.date_range}）{state}")
    for path in done.files.values():
        print(f"  {path}")
    print(f"用时 {done.seconds:.1f} 秒")
    return 0


def register(sub) -> None:
    p = sub.add_parser("report", help="生成某一 ISO 周的周报（PNG、PDF、XLSX）")
    p.add_argument("--week", required=True,
                   help="ISO 周，如 2019-W46；last = 上一周（按今天），latest = 最近有数据的一周")
    p.add_argument("--out", required=True, help="输出目录（不存在则创建）")
    p.add_argument("--formats", default="png,pdf,xlsx", help="逗号分隔：png,pdf,xlsx（默认全部）")
    p.set_defaults(func=cmd_report)
