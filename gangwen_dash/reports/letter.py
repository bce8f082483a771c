"""交办单 as HTML and PDF (issue 15): the letter's stored content, Jinja2-autoescaped, printed to A4
portrait by the weekly pack's Chromium renderer (offline, system CJK fonts embedded, before-photos
inlined as data URIs)."""

from __future__ import annotations

from pathlib import Path

from gangwen_dash.reports import render

MAX_PHOTOS = 2  # before-photos printed per problem


def render_html(content: dict) -> str:
    photos = {it["finding_id"]: [u for u in (render.photo_data_uri(p) for p in it.get("photos", [])[:MAX_PHOTOS]) if u]
              for it in content["items"]}
    return render.jinja_env.get_template("letter.html.j2").render(c=content, photos=photos)


def export_pdf(content: dict, path: Path) -> None:
    """Write the letter's PDF to ``path`` (RenderError, Chinese, when Chromium fails)."""
    render.export_png_pdf(render_html(content), None, Path(path), landscape=False)


def pdf_bytes(content: dict) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "letter.pdf"
        export_pdf(content, out)
        return out.read_bytes()
