"""``python -m gangwen_dash notify [--date D] [--dry-run]`` (cron, e.g. daily at 07:30)."""

from __future__ import annotations

from gangwen_dash.cli import CliError
from gangwen_dash.config import local_today


def cmd_notify(args) -> int:
    from gangwen_dash.db import check_connection, read_session
    from gangwen_dash.domain.dates import DateFormatError, parse_date
    from gangwen_dash.notify import build_digests, run
    from gangwen_dash.notify.outbox import messages_for

    try:
        day = parse_date(args.date) if args.date else local_today()
    except DateFormatError as exc:
        raise CliError(str(exc)) from None
    check_connection()
    if args.dry_run:
        with read_session() as session:
            digests = build_digests(session, day)
        for d in digests:
            targets = "；".join(f"{m['channel']} {m['recipient']}" for m in messages_for(d, day))
            print(f"=== {d.subject(day)}\n收件：{targets}\n{d.body(day)}\n")
        print(f"（试运行：{len(digests)} 份提醒，未发送、未写入发件箱）")
        return 0
    added, done = run(day)
    print(f"{day:%Y-%m-%d}：新加入发件箱 {added} 条；本次发送成功 {done.sent} 条，失败 {done.failed} 条")
    return 0


def register(sub) -> None:
    p = sub.add_parser("notify", help="生成并发送每日督查提醒（责任单位、督查组），可重复运行")
    p.add_argument("--date", help="提醒日期，如 2019-11-14（默认今天）")
    p.add_argument("--dry-run", action="store_true", help="只打印提醒内容，不发送、不写入发件箱")
    p.set_defaults(func=cmd_notify)
