"""Real test images made with Pillow: JPEGs with EXIF time and GPS, PNGs, fakes."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), float(s))


def jpeg(lat: float | None = None, lon: float | None = None, when: datetime | None = None,
         size: tuple[int, int] = (1600, 1200), color=(120, 130, 140)) -> bytes:
    """A JPEG carrying EXIF DateTimeOriginal and GPS (WGS-84) when given."""
    img = Image.new("RGB", size, color)
    # Some structure so the encoder has work to do and thumbnails differ from the original.
    for x in range(0, size[0], 40):
        img.paste((200, 80, 60), (x, 0, x + 8, size[1]))
    exif = Image.Exif()
    if when is not None:
        stamp = when.strftime("%Y:%m:%d %H:%M:%S")
        exif[306] = stamp
        exif.get_ifd(0x8769)[36867] = stamp
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 30, 128)).save(out, "PNG")
    return out.getvalue()


def huge_file(megabytes: int = 40) -> bytes:
    """A real JPEG padded to ``megabytes`` (trailing bytes after EOI are legal and ignored by decoders)."""
    return jpeg(size=(320, 240)) + b"\0" * (megabytes * 1024 * 1024)
