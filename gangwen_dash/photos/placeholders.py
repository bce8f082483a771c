"""Demo photos (``demo/…`` paths): generated placeholder pictures, drawn again deterministically when missing, so a
demo database copied to another photo directory still shows its pictures."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from gangwen_dash import domain
from gangwen_dash.photos.processing import THUMB_SIDE, encode_jpeg

DEMO_PREFIX = "demo/"


def demo_paths(n: int, kind: str, category: str) -> tuple[str, str]:
    """Relative (path, thumb_path) of the n-th demo placeholder of ``kind`` (整改前/整改后)."""
    tag = "before" if kind == domain.PHOTO_KINDS[0] else "after"
    code = category.encode("utf-8").hex()
    stem = f"{DEMO_PREFIX}{n:03d}-{tag}-{code}"
    return f"{stem}.jpg", f"{stem}.thumb.jpg"


def _font(size: int):
    for candidate in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                      "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
                      "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"):
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def demo_image_bytes(rel: str) -> bytes:
    """Deterministic placeholder picture for a ``demo/NNN-before|after-HEX(.thumb).jpg`` path."""
    name = rel[len(DEMO_PREFIX):]
    thumb = name.endswith(".thumb.jpg")
    stem = name.removesuffix(".thumb.jpg").removesuffix(".jpg")
    try:
        n_text, tag, code = stem.split("-", 2)
        n, category = int(n_text), bytes.fromhex(code).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"not a demo photo path: {rel}") from None
    before = tag == "before"
    w, h = 960, 720
    sky = (196, 186, 160) if before else (160, 200, 235)
    ground = (150, 120, 80) if before else (110, 150, 95)
    img = Image.new("RGB", (w, h), sky)
    d = ImageDraw.Draw(img)
    d.rectangle([0, h * 0.55, w, h], fill=ground)
    # A building under construction and a hoarding; before: dust haze and an uncovered heap.
    d.rectangle([w * 0.55, h * 0.18, w * 0.82, h * 0.55], fill=(170, 170, 175), outline=(90, 90, 90), width=4)
    for i in range(5):
        y = h * 0.22 + i * h * 0.065
        d.line([w * 0.55, y, w * 0.82, y], fill=(110, 110, 110), width=3)
    d.rectangle([0, h * 0.48, w, h * 0.58], fill=(40, 110, 170) if not before else (60, 110, 150))
    heap = [(w * 0.08, h * 0.9), (w * 0.25, h * 0.62 + (n % 5) * 6), (w * 0.45, h * 0.9)]
    d.polygon(heap, fill=(120, 90, 55) if before else (30, 120, 60))
    if before:
        for i in range(14):
            x = (i * 73 + n * 37) % w
            d.ellipse([x, h * 0.3 + (i * 29) % 120, x + 140, h * 0.3 + (i * 29) % 120 + 60], outline=(225, 215, 190),
                      width=6)
    label = f"{'整改前' if before else '整改后'} · {category} · 演示照片 #{n}"
    d.rectangle([0, 0, w, 64], fill=(180, 30, 30) if before else (30, 130, 60))
    d.text((20, 12), label, fill=(255, 255, 255), font=_font(34))
    if thumb:
        img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return encode_jpeg(img, 80)
