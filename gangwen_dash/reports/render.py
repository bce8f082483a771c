"""The weekly pack as HTML (Jinja2, autoescaped) and as PNG/PDF through Debian's headless Chromium.

- ``render_fragment``: a ``<style>`` + ``<div>`` fragment; the app shows it with ``st.html``.
- ``render_document``: the same fragment in a full page, 1920 px wide for the screenshot and
  A4 landscape (281 mm wide, centred) when printed to PDF.
- ``export_png_pdf``: one Chromium launch, screenshot (1920×1080) then ``page.pdf``.

Offline by construction: the template has no external links, photos are inlined as ``data:`` URIs
(re-encoded small with Pillow, so the files stay light), the font is the system's Noto Sans CJK, and
every network request the page might still make is aborted.
"""

from __future__ import annotations

import base64
import concurrent.futures
import io
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gangwen_dash.reports.weekly import WeeklyPack

TEMPLATES = Path(__file__).parent / "templates"
CHROMIUM = os.environ.get("GANGWEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
WIDTH, HEIGHT = 1920, 1080
PHOTO_EDGE = 640  # longest edge of an inlined photo, px

jinja_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html", "j2", "html.j2"), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class RenderError(RuntimeError):
    """Chromium could not be started or failed to render; the message is Chinese."""


def photo_data_uri(rel: str) -> str | None:
    """A small JPEG data URI of the stored photo ``rel`` (None when missing, unreadable or outside the store)."""
    from PIL import Image, ImageOps

    from gangwen_dash.photos import resolve

    path = resolve(rel) if rel else None
    if path is None:
        return None
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img).convert("RGB")
            img.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=80, optimize=True)
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def photo_uris(pack: WeeklyPack) -> dict[tuple[int, str], str | None]:
    """Inlined before/after photos of the pack's typical problems (paths relative to the photo store)."""
    out = {}
    for pair in pack.pairs:
        out[(pair.finding_id, "before")] = photo_data_uri(pair.before_path)
        out[(pair.finding_id, "after")] = photo_data_uri(pair.after_path)
    return out


def render_fragment(pack: WeeklyPack) -> str:
    from gangwen_dash.reports.xlsx import OVERDUE_TITLE

    return jinja_env.get_template("weekly.html.j2").render(p=pack, photos=photo_uris(pack), overdue_sheet=OVERDUE_TITLE)


def render_document(pack: WeeklyPack) -> str:
    return jinja_env.get_template("document.html.j2").render(
        p=pack, fragment=render_fragment(pack), width=WIDTH, height=HEIGHT
    )


def check_chromium() -> None:
    """Raise RenderError (Chinese) when the Chromium binary is missing."""
    if not Path(CHROMIUM).is_file():
        raise RenderError(f"未找到 Chromium（{CHROMIUM}）：请先执行 apt-get install chromium fonts-noto-cjk")


def _export(html: str, png_path: Path | None, pdf_path: Path | None, landscape: bool = True) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    check_chromium()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
                # Offline: nothing may leave the machine (data: URIs are not routed).
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="load")
                page.evaluate("document.fonts.ready.then(() => true)")
                if png_path is not None:
                    page.screenshot(path=str(png_path), clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT})
                if pdf_path is not None:
                    page.pdf(path=str(pdf_path), format="A4", landscape=landscape, print_background=True,
                             prefer_css_page_size=True)
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RenderError(f"Chromium 渲染失败：{first}") from exc


def export_png_pdf(html: str, png_path: Path | None, pdf_path: Path | None, *, landscape: bool = True) -> None:
    """Render ``html`` (a full document) to PNG and/or PDF.

    Runs in a worker thread: Playwright's sync API refuses to run in a thread that has an asyncio
    loop (as a Streamlit script thread may), and this keeps the CLI and the app on one code path.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_export, html, png_path, pdf_path, landscape).result()
