"""``kpis --from --to``: the core figures of a period, as text or JSON."""

from __future__ import annotations

import json

from gangwen_dash.cli import parse_period


def cmd_kpis(args) -> int:
    from gangwen_dash.db import check_connection, read_session
    from gangwen_dash.domain.periods import Filters
    from gangwen_dash.queries.kpis import kpis

    period = parse_period(args)
    check_connection()
    with read_session() as session:
        result = kpis(session, period, Filters(group_id=args.group, street_id=args.street)).as_dict()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        from gangwen_dash.domain.labels import KPI_LABELS

        print(f"统计区间 {period.start} 至 {period.end}")
        for key, value in result.items():
            shown = "—" if value is None else (f"{value:.1%}" if isinstance(value, float) else value)
            print(f"  {KPI_LABELS.get(key, key)}: {shown}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("kpis", help="某一时期的核心指标")
    p.add_argument("--from", dest="date_from", required=True, help="开始日期，如 2019-01-01")
    p.add_argument("--to", dest="date_to", required=True, help="结束日期（含），如 2019-12-31")
    p.add_argument("--group", type=int, help="督查组 ID")
    p.add_argument("--street", type=int, help="街道 ID")
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    p.set_defaults(func=cmd_kpis)
