"""Evidence photos: validation, re-encoding, EXIF place/time, on-site verification and storage.

No streamlit here. The flow of one upload:

1. ``process(raw, name)`` refuses anything that is not a real JPEG/PNG/WebP image of at most
   ``MAX_BYTES`` (Chinese message in ``PhotoRejected``), reads EXIF time and GPS, applies the EXIF
   orientation, downscales to ``MAX_SIDE`` px and re-encodes as JPEG (EXIF stripped: the values kept
   are stored in columns), and makes a ``THUMB_SIDE`` px thumbnail.
2. ``verify(photo, site_lat, site_lon, at)`` compares the EXIF place and time with the site and the
   inspection: within ``VERIFY_RADIUS_M`` and ``VERIFY_HOURS`` → 现场核验; a contradiction →
   位置不符 / 时间不符 (flagged, never silently accepted); no EXIF position or time → 无定位信息.
3. ``PhotoWriter`` writes files under ``settings.photo_dir`` inside the caller's transaction and
   removes them again if the transaction fails, so a rolled-back submission leaves neither rows nor
   files. Paths are stored relative to the photo directory.

Demo photos (``demo/…`` paths) are generated placeholders: ``resolve()`` draws a missing one again,
deterministically, so a demo database copied to another photo directory still shows its pictures.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from gangwen_dash import domain
from gangwen_dash.config import get_settings

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000  # 60 MP: above any phone camera, below a decompression bomb
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "MPO": "JPEG"}
MAX_SIDE = 2048
THUMB_SIDE = 320
JPEG_QUALITY = 85
VERIFY_RADIUS_M = 300.0
VERIFY_HOURS = 12.0

CHECK_OK, CHECK_PLACE, CHECK_TIME, CHECK_NONE = "现场核验", "位置不符", "时间不符", "无定位信息"
assert (CHECK_OK, CHECK_PLACE, CHECK_TIME, CHECK_NONE) == domain.PHOTO_CHECKS
FLAGGED = (CHECK_PLACE, CHECK_TIME)

# EXIF tags
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME, _DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 306, 36867, 36868


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; ``str(exc)`` is a Chinese sentence."""


@dataclass(frozen=True)
class ProcessedPhoto:
    name: str
    data: bytes  # re-encoded JPEG
    thumb: bytes  # JPEG thumbnail
    width: int
    height: int
    sha256: str  # of the re-encoded JPEG
    exif_time: datetime | None
    exif_lat: float | None
    exif_lon: float | None


@dataclass(frozen=True)
class Verification:
    result: str  # one of domain.PHOTO_CHECKS
    distance_m: float | None
    hours_apart: float | None

    @property
    def flagged(self) -> bool:
        return self.result in FLAGGED

    def explain(self, name: str = "照片") -> str:
        """A Chinese sentence saying why, e.g. for the confirmation prompt."""
        if self.result == CHECK_PLACE:
            return f"{name}的拍摄位置距工地约 {_distance_text(self.distance_m)}，超出 {VERIFY_RADIUS_M:.0f} 米，位置不符"
        if self.result == CHECK_TIME:
            return f"{name}的拍摄时间与督查时间相差约 {self.hours_apart:.0f} 小时，超出 {VERIFY_HOURS:.0f} 小时，时间不符"
        if self.result == CHECK_OK:
            return f"{name}的拍摄位置和时间与现场一致（现场核验）"
        return f"{name}没有拍摄位置或时间信息，无法现场核验"


def _distance_text(m: float | None) -> str:
    if m is None:
        return "—"
    return f"{m / 1000:.1f} 公里" if m >= 1000 else f"{m:.0f} 米"


# --------------------------------------------------------------------------- validation and EXIF


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def process(raw: bytes, name: str = "照片") -> ProcessedPhoto:
    """Validate and re-encode one upload; raise ``PhotoRejected`` with a Chinese message."""
    label = f"“{name}”" if name else "照片"
    if not raw:
        raise PhotoRejected(f"{label}是空文件，请重新拍摄或选择")
    if len(raw) > MAX_BYTES:
        raise PhotoRejected(f"{label}文件过大（{_size_text(len(raw))}），单张照片不得超过 {MAX_BYTES // 1024 // 1024} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = probe.format
                if fmt not in ALLOWED_FORMATS:
                    raise PhotoRejected(f"{label}的格式（{fmt}）不受支持，仅支持 JPEG、PNG、WebP 照片")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoRejected(f"{label}像素过大（{probe.width}×{probe.height}），请用相机的常规分辨率拍摄")
                probe.verify()  # structure check; the image must be reopened afterwards
            img = Image.open(io.BytesIO(raw))
            exif = img.getexif()
            img.load()
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(f"{label}不是有效的图片文件（仅支持 JPEG、PNG、WebP 照片）") from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoRejected(f"{label}已损坏或不完整，无法读取，请重新拍摄或选择") from None

    exif_time = _exif_time(exif)
    exif_lat, exif_lon = _exif_gps(exif)
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB", "L"):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, (255, 255, 255))
        img.paste(rgba, mask=rgba.split()[-1])
    elif img.mode == "L":
        img = img.convert("RGB")
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    data = _jpeg(img, JPEG_QUALITY)
    thumb_img = img.copy()
    thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    thumb = _jpeg(thumb_img, 80)
    return ProcessedPhoto(name=name, data=data, thumb=thumb, width=img.width, height=img.height,
                          sha256=hashlib.sha256(data).hexdigest(), exif_time=exif_time,
                          exif_lat=exif_lat, exif_lon=exif_lon)


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _exif_time(exif: Image.Exif) -> datetime | None:
    sub = exif.get_ifd(_EXIF_IFD)
    for value in (sub.get(_DATETIME_ORIGINAL), sub.get(_DATETIME_DIGITIZED), exif.get(_DATETIME)):
        if not value:
            continue
        try:
            return datetime.strptime(str(value).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
    return None


def _rational(v) -> float:
    if isinstance(v, tuple) and len(v) == 2:
        return v[0] / v[1] if v[1] else float("nan")
    return float(v)


def _dms(values) -> float:
    d, m, s = (_rational(v) for v in values)
    return d + m / 60 + s / 3600


def _exif_gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)
    try:
        lat, lon = _dms(gps[2]), _dms(gps[4])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if str(gps.get(1, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).upper().startswith("W"):
        lon = -lon
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:  # cameras write 0/0 when they had no fix
        return None, None
    return round(lat, 7), round(lon, 7)


# --------------------------------------------------------------------------- verification


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def verify(photo: ProcessedPhoto, site_lat: float, site_lon: float, at: datetime) -> Verification:
    """Compare the photo's EXIF place and time with the site and the moment of the inspection/reply.

    A position contradiction wins over a time one. Without EXIF position or time nothing can be
    verified: 无定位信息 (neither accepted as on-site evidence nor flagged as contradicting).
    """
    distance = hours = None
    if photo.exif_lat is not None and photo.exif_lon is not None:
        distance = haversine_m(photo.exif_lat, photo.exif_lon, site_lat, site_lon)
    if photo.exif_time is not None:
        hours = abs((photo.exif_time - at).total_seconds()) / 3600
    if distance is not None and distance > VERIFY_RADIUS_M:
        return Verification(CHECK_PLACE, distance, hours)
    if hours is not None and hours > VERIFY_HOURS:
        return Verification(CHECK_TIME, distance, hours)
    if distance is not None and hours is not None:
        return Verification(CHECK_OK, distance, hours)
    return Verification(CHECK_NONE, distance, hours)


# --------------------------------------------------------------------------- storage


def photo_root() -> Path:
    return Path(get_settings().photo_dir)


class PhotoWriter:
    """Writes photo files for one transaction; ``discard()`` removes them if it fails.

    Use as a context manager around the transaction: on an exception every file written is removed.
    Each file gets a fresh name, so a discard never removes a file another submission relies on.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else photo_root()
        self.written: list[Path] = []

    def __enter__(self) -> PhotoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()

    def _write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.written.append(path)

    def write(self, photo: ProcessedPhoto, when: datetime) -> tuple[str, str]:
        """Store the photo and its thumbnail; returns (path, thumb_path) relative to the root."""
        stem = f"{when:%Y/%m}/{uuid.uuid4().hex}"
        rel, rel_thumb = f"{stem}.jpg", f"{stem}.thumb.jpg"
        self._write(rel, photo.data)
        self._write(rel_thumb, photo.thumb)
        return rel, rel_thumb

    def discard(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()


def resolve(rel: str) -> Path | None:
    """Absolute path of a stored photo (None when missing). Demo placeholders are redrawn if missing."""
    root = photo_root()
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        return None
    if path.is_file():
        return path
    if rel.startswith(DEMO_PREFIX):
        try:
            data = demo_image_bytes(rel)
        except ValueError:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{uuid.uuid4().hex}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path
    return None


def read_bytes(rel: str) -> bytes | None:
    path = resolve(rel)
    return path.read_bytes() if path else None


# --------------------------------------------------------------------------- demo placeholders

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
    return _jpeg(img, 80)
