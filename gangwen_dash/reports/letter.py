"""交办单 as HTML and PDF (issue 15): the letter's stored content, Jinja2-autoescaped, printed to A4
portrait by the weekly pack's Chromium renderer (offline, system CJK fonts embedded, before-photos
inlined as data URIs)."""

from __future__ import annotations

from pathlib import Path

from gangwen_dash.reports import render

MAX_PHOTOS = 2  # before-photos printed per problem


def render_html(content: dict) -> str:
    photos = {it["finding_id"]: [u for u in (render._data_uri(p) for p in it.get("photos", [])[:MAX_PHOTOS]) if u]
              for it in content["items"]}
    return render._env.get_template("letter.html.j2").render(c=content, photos=photos)


def export_pdf(content: dict, path: Path) -> None:
    """Write the letter's PDF to ``path`` (RenderError, Chinese, when Chromium fails)."""
    render.export_png_pdf(render_html(content), None, Path(path), landscape=False)


def pdf_bytes(content: dict) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "letter.pdf"
        export_pdf(content, out)
        return out.read_bytes()


def cmd_letter(args) -> int:
    from gangwen_dash.cli import CliError
    from gangwen_dash.db import check_connection, read_session
    from gangwen_dash.queries.units import letter_by_number

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
        export_pdf(found.content, Path(args.out))
    except render.RenderError as exc:
        raise CliError(str(exc)) from None
    print(f"{found.number}（{found.unit}，{len(found.content['items'])} 个问题）已写入 {args.out}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("letter", help="重印一份交办单（PDF）")
    p.add_argument("--number", required=True, help="交办单序号，如 12，或 年份-序号，如 2019-12")
    p.add_argument("--year", type=int, help="年份（默认：最近有交办单的年份）")
    p.add_argument("--out", required=True, help="输出 PDF 文件")
    p.set_defaults(func=cmd_letter)
