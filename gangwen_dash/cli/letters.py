"""``letter --number N --out FILE.pdf``: reprint a 交办单 exactly as issued."""

from __future__ import annotations

from pathlib import Path

from gangwen_dash.cli import CliError


def cmd_letter(args) -> int:
    from gangwen_dash.db import check_connection, read_session
    from gangwen_dash.queries.units import letter_by_number
    from gangwen_dash.reports import letter
    from gangwen_dash.reports.render import RenderError

    text = str(args.number).strip()
    year, _, seq = text.rpartition("-")
    if not seq.isdigit() or (year and not year.isdigit()):
        raise CliError(f"--number 应为交办单序号（如 12）或 年份-序号（如 2019-12），收到“{text}”")
    check_connection()
    with read_session() as session:
        found = letter_by_number(session, int(seq), int(year) if year else args.year)
    if found is None:
        raise CliError(f"没有编号为 {text} 的交办单")
    try:
        letter.export_pdf(found.content, Path(args.out))
    except RenderError as exc:
        raise CliError(str(exc)) from None
    print(f"{found.number}（{found.unit}，{len(found.content['items'])} 个问题）已写入 {args.out}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("letter", help="重印一份交办单（PDF）")
    p.add_argument("--number", required=True, help="交办单序号，如 12，或 年份-序号，如 2019-12")
    p.add_argument("--year", type=int, help="年份（默认：最近有交办单的年份）")
    p.add_argument("--out", required=True, help="输出 PDF 文件")
    p.set_defaults(func=cmd_letter)
