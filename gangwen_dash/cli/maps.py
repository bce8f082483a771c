"""``python -m gangwen_dash map-html``: the district map as one standalone HTML file.

Leaflet and its plugins are inlined (from static/vendor/, installed by ``make assets``), so the file opens
in a browser without internet; the only outside address it asks for is the configured tile server
(none at all with ``--tiles none``). For sharing and archiving.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gangwen_dash.cli import CliError, parse_period
from gangwen_dash.config import DISTRICT_NAME, local_today


def register(subparsers) -> None:
    p = subparsers.add_parser("map-html", help="导出督查地图为单个离线 HTML 文件")
    p.add_argument("--out", required=True, help="输出文件，如 map.html")
    p.add_argument("--from", dest="date_from", help="开始日期（默认：最新数据所在年份的 1 月 1 日）")
    p.add_argument("--to", dest="date_to", help="结束日期（含）；牌色按此日计算（默认：该年 12 月 31 日）")
    p.add_argument("--tiles", choices=("osm", "tianditu", "gaode", "custom", "none"),
                   help="底图（默认按配置 [tiles] / GANGWEN_TILES，未配置时为 osm）")
    p.add_argument("--group", type=int, help="督查组 ID")
    p.add_argument("--street", type=int, help="街道 ID")
    p.set_defaults(func=cmd_map_html)


def _period(args, session):
    from gangwen_dash.domain.periods import Period
    from gangwen_dash.queries.kpis import latest_data_date

    if args.date_from and args.date_to:
        return parse_period(args)
    if args.date_from or args.date_to:
        raise CliError("--from 和 --to 需要同时提供（或都不提供，默认最新数据所在年份）")
    latest = latest_data_date(session) or local_today()
    return Period(date(latest.year, 1, 1), date(latest.year, 12, 31))


def cmd_map_html(args) -> int:
    from gangwen_dash import maps
    from gangwen_dash.config import get_settings
    from gangwen_dash.db import check_connection, read_session
    from gangwen_dash.domain.periods import Filters
    from gangwen_dash.queries.sites import map_data

    try:
        tiles = maps.resolve_tiles(get_settings().tiles, args.tiles)
    except maps.TileConfigError as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    if out.parent and not out.parent.exists():
        raise CliError(f"输出目录不存在：{out.parent}")
    check_connection()
    with read_session() as session:
        period = _period(args, session)
        title = f"{DISTRICT_NAME}督查地图 {period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d}"
        data = map_data(session, period, Filters(args.group, args.street), title)
    try:
        page = maps.standalone_html(data, tiles, title)
    except maps.AssetsMissing as exc:
        raise CliError(str(exc)) from None
    out.write_text(page, encoding="utf-8")
    print(f"已写出 {out}：{len(data.sites)} 个工地，{len(page.encode()) / 1024:.0f} KB，底图 {tiles.label}"
          f"（牌色截至 {period.end:%Y-%m-%d}）")
    return 0
