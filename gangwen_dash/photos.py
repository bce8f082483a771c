"""Evidence photos: validation, re-encoding, EXIF place/time, on-site verification and storage.

No streamlit here. The flow of one upload:

1. ``process(raw, name)`` refuses anything that is not a real JPEG/PNG/WebP image of at most
   ``MAX_BYTES`` and within the pixel limits read from its header (Chinese message in
   ``PhotoRejected``, whatever the decoder raised), decodes a JPEG at reduced size, reads EXIF time
   and GPS, downscales to ``MAX_SIDE`` px, applies the EXIF orientation and re-encodes as JPEG (EXIF
   stripped: the values kept are stored in columns), and makes a ``THUMB_SIDE`` px thumbnail. The
   result is kept by the upload's SHA-256, so staging a photo and submitting it decode it once.
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

import contextlib
import hashlib
import io
import logging
import math
import os
import threading
import uuid
import warnings
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin, UnidentifiedImageError

from gangwen_dash import domain
from gangwen_dash.config import get_settings
from gangwen_dash.domain import geo

log = logging.getLogger(__name__)

MAX_BYTES = 15 * 1024 * 1024
# Pixel and memory limits, all checked from the header before decoding; why these values: see
# "Memory" under validation below.
MAX_JPEG_PIXELS = 52_000_000  # a 50 MP phone camera (8192×6144 = 50.3 MP) with a little margin
MAX_PNG_PIXELS = 16_000_000  # decoded whole, up to 4 bytes a pixel
MAX_WEBP_PIXELS = 6_000_000  # decoded whole, and Pillow's WebP decoder holds four copies
MAX_COEFFICIENT_BYTES = 64 * 1024 * 1024  # progressive / multi-scan JPEG: libjpeg's whole-image buffer
DECODE_PIXELS = MAX_JPEG_PIXELS // 4  # a JPEG is decoded at 1/2, 1/4 or 1/8 size down to this
PNG_TEXT_BYTES = 4 * 1024 * 1024  # decompressed PNG text chunks (Pillow's default is 64 MB)
PROCESS_SLOTS = 2  # photos decoded at once in one process
PROCESS_WAIT_S = 60.0
CACHE_BYTES = 64 * 1024 * 1024  # processed results kept by the upload's SHA-256
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "MPO": "JPEG"}
MAX_SIDE = 2048
THUMB_SIDE = 320
JPEG_QUALITY = 85
VERIFY_RADIUS_M = 300.0
VERIFY_HOURS = 12.0

Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS  # Pillow's own bomb check: warning above, error above twice this
PngImagePlugin.MAX_TEXT_MEMORY = PNG_TEXT_BYTES

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
#
# Memory. An upload is at most MAX_BYTES, but a compressed image can hold far more pixels than bytes
# (a 16 KB 1-bit PNG of 7745×7745 used to take 710 MB and 2 s), so every limit is checked from the
# header before a pixel is decoded, and decoding is arranged so that processing the worst accepted
# photo stays under 200 MB of peak RSS (tests/unit/test_photos.py measures it in a fresh process):
#
# - JPEG, what phone cameras write: up to MAX_JPEG_PIXELS. A 50 MP sensor writes 8160×6120 or
#   8192×6144; 108/200 MP phones save 12 MP binned pictures by default, and their full-size files
#   exceed MAX_BYTES anyway. libjpeg scales while it decodes (``Image.draft``: 1/2, 1/4, 1/8), so a
#   50 MP JPEG is decoded straight to 4096×3072 (38 MB RGB), never to 150 MB.
# - Progressive and multi-scan JPEGs are the exception: libjpeg keeps every DCT coefficient of the
#   whole image (2 bytes × 64 per 8×8 block and component, whatever the draft scale: 3 bytes a pixel
#   at 4:2:0, 6 at 4:4:4, 300 MB for 50 MP). Cameras write baseline JPEGs; a progressive one is a
#   re-saved picture, so it is limited by that buffer, MAX_COEFFICIENT_BYTES (≈ 21 MP at 4:2:0,
#   ≈ 11 MP at 4:4:4).
# - PNG and WebP cannot be decoded at a reduced size. Phones save photos as JPEG (or HEIC, not
#   accepted); a PNG/WebP is a screenshot (1440×3200 = 4.6 MP) or an exported picture, so the caps
#   are lower. PNG: decoded at up to 4 bytes a pixel plus one RGB copy to flatten transparency, so
#   16 MP (a 4624×3468 photo) stays near 150 MB. WebP: Pillow's decoder keeps two canvases, a bytes
#   copy and the image (16 bytes a pixel, ≈ 180 MB at 8 MP), so 6 MP (3000×2000).
# - Each upload is processed once: the result is kept under the upload's SHA-256, so the photo the
#   entry page validated when it was chosen (and staged) is not decoded again when the form is
#   submitted. At most PROCESS_SLOTS photos are decoded at once (12 photos a form, several users).
#
# Robustness: uploads are untrusted bytes and Pillow's parsers raise almost anything on garbage
# (struct.error, TypeError, ValueError, OSError, SyntaxError, EOFError, ZeroDivisionError,
# MemoryError…). Every failure while decoding becomes ``PhotoRejected`` with a Chinese message; EXIF
# is optional metadata, so unreadable EXIF (time, GPS, orientation) is ignored, not fatal.

_PROCESSING = threading.BoundedSemaphore(PROCESS_SLOTS)
_CACHE: OrderedDict[str, ProcessedPhoto] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_cache_bytes = 0

# EXIF orientation → the transposition that shows the picture upright (as ImageOps.exif_transpose)
_ORIENTATION = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270,
                7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
_ORIENTATION_TAG = 0x0112


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def process(raw: bytes, name: str = "照片") -> ProcessedPhoto:
    """Validate and re-encode one upload; raise ``PhotoRejected`` with a Chinese message.

    The same bytes are processed once: a second call (e.g. on submit, after the entry page staged the
    photo) returns the kept result under the new name.
    """
    label = f"“{name}”" if name else "照片"
    if not raw:
        raise PhotoRejected(f"{label}是空文件，请重新拍摄或选择")
    if len(raw) > MAX_BYTES:
        raise PhotoRejected(f"{label}文件过大（{_size_text(len(raw))}），单张照片不得超过 {MAX_BYTES // 1024 // 1024} MB")
    key = hashlib.sha256(raw).hexdigest()
    if (hit := _cached(key)) is not None:
        return replace(hit, name=name)
    if not _PROCESSING.acquire(timeout=PROCESS_WAIT_S):
        raise PhotoRejected(f"服务器正忙，{label}暂未处理，请稍后重试")
    try:
        if (hit := _cached(key)) is not None:  # the same upload finished in another thread meanwhile
            return replace(hit, name=name)
        photo = _process(raw, name, label)
    finally:
        _PROCESSING.release()
    _remember(key, photo)
    return photo


def _cached(key: str) -> ProcessedPhoto | None:
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
        return hit


def _remember(key: str, photo: ProcessedPhoto) -> None:
    global _cache_bytes
    with _CACHE_LOCK:
        if key in _CACHE:
            return
        _CACHE[key] = photo
        _cache_bytes += len(photo.data) + len(photo.thumb)
        while _cache_bytes > CACHE_BYTES and len(_CACHE) > 1:
            _, old = _CACHE.popitem(last=False)
            _cache_bytes -= len(old.data) + len(old.thumb)


def clear_cache() -> None:
    global _cache_bytes
    with _CACHE_LOCK:
        _CACHE.clear()
        _cache_bytes = 0


def _process(raw: bytes, name: str, label: str) -> ProcessedPhoto:
    corrupt = f"{label}已损坏或不完整，无法读取，请重新拍摄或选择"
    try:
        with warnings.catch_warnings():
            # "Corrupt EXIF data"…: handled below; DecompressionBombWarning: _check_header says it better
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(raw)) as probe:
                _check_header(probe, raw, label)
                probe.verify()  # structure check (PNG CRCs); the image must be reopened afterwards
            img = Image.open(io.BytesIO(raw))
            _check_header(img, raw, label)
            if img.format in ("JPEG", "MPO"):
                _draft(img)
            img.load()
            exif_time, exif_lat, exif_lon, orientation = _exif_values(img)
            img = _rgb_or_l(img)  # reassigned here, so the decoded image is freed before resizing
            img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
            if img.mode != "RGB":
                img = img.convert("RGB")
            if orientation in _ORIENTATION:  # after downscaling: cheaper, same result (square bound)
                img = img.transpose(_ORIENTATION[orientation])
            data = _jpeg(img, JPEG_QUALITY)
            thumb_img = img.copy()
            thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
            thumb = _jpeg(thumb_img, 80)
    except PhotoRejected:
        raise
    except UnidentifiedImageError:
        raise PhotoRejected(f"{label}不是有效的图片文件（仅支持 JPEG、PNG、WebP 照片）") from None
    except Image.DecompressionBombError:
        raise PhotoRejected(f"{label}像素过大，请用相机的常规分辨率拍摄") from None
    except MemoryError:
        raise PhotoRejected(f"{label}过大，服务器无法处理，请用相机的常规分辨率拍摄") from None
    except Exception as exc:  # any other parser failure on untrusted bytes: a bad file
        log.info("photo %r rejected: %s: %s", name, type(exc).__name__, exc)
        raise PhotoRejected(corrupt) from None
    return ProcessedPhoto(name=name, data=data, thumb=thumb, width=img.width, height=img.height,
                          sha256=hashlib.sha256(data).hexdigest(), exif_time=exif_time,
                          exif_lat=exif_lat, exif_lon=exif_lon)


def _check_header(img: Image.Image, raw: bytes, label: str) -> None:
    """Format and size limits from the header alone (nothing decoded yet)."""
    fmt = img.format
    if fmt not in ALLOWED_FORMATS:
        raise PhotoRejected(f"{label}的格式（{fmt}）不受支持，仅支持 JPEG、PNG、WebP 照片")
    w, h = img.size
    if w <= 0 or h <= 0:
        raise PhotoRejected(f"{label}已损坏或不完整，无法读取，请重新拍摄或选择")
    too_big = f"{label}像素过大（{w}×{h}，{w * h / 1e6:.1f} 百万像素），"
    if fmt in ("JPEG", "MPO"):
        if w * h > MAX_JPEG_PIXELS:
            raise PhotoRejected(too_big + f"JPEG 照片不得超过 {MAX_JPEG_PIXELS // 1_000_000} 百万像素，请用相机的常规分辨率拍摄")
        if _jpeg_buffered(img, raw) and _coefficient_bytes(img) > MAX_COEFFICIENT_BYTES:
            raise PhotoRejected(too_big + "渐进式 JPEG 无法按此尺寸处理，请上传相机拍摄的原图或缩小后再上传")
    elif w * h > (cap := MAX_PNG_PIXELS if fmt == "PNG" else MAX_WEBP_PIXELS):
        raise PhotoRejected(too_big + f"{ALLOWED_FORMATS[fmt]} 图片不得超过 {cap // 1_000_000} 百万像素，"
                                      "请上传相机拍摄的 JPEG 照片或缩小后再上传")


def _jpeg_buffered(img: Image.Image, raw: bytes) -> bool:
    """Whether libjpeg must buffer the whole image: progressive, or a first scan without every component."""
    if img.info.get("progressive") or img.info.get("progression"):
        return True
    # Walk the marker segments to the first SOS (start of scan); anything unexpected counts as buffered.
    i, n = 2, len(raw)
    for _ in range(100_000):
        if i + 4 > n:
            break
        if raw[i] != 0xFF:
            return True
        marker = raw[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            i += 2
            continue
        length = int.from_bytes(raw[i + 2:i + 4], "big")
        if length < 2:
            return True
        if marker == 0xDA:
            return i + 4 < n and raw[i + 4] < max(1, len(getattr(img, "layer", ())))
        i += 2 + length
    return True


def _coefficient_bytes(img: Image.Image) -> int:
    """libjpeg's whole-image coefficient buffer: 64 two-byte coefficients per 8×8 block per component."""
    layers = getattr(img, "layer", None) or [(0, 1, 1, 0)] * 3
    hmax = max(max(h for _, h, _, _ in layers), 1)
    vmax = max(max(v for _, _, v, _ in layers), 1)
    w, h = img.size
    blocks = sum(math.ceil(w * max(hs, 1) / hmax / 8) * math.ceil(h * max(vs, 1) / vmax / 8)
                 for _, hs, vs, _ in layers)
    return blocks * 128


def _draft(img: Image.Image) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8: at most DECODE_PIXELS, and not below 2×MAX_SIDE needlessly."""
    w, h = img.size
    scale = 1
    while scale < 8 and ((w // scale) * (h // scale) > DECODE_PIXELS or max(w, h) // (scale * 2) >= 2 * MAX_SIDE):
        scale *= 2
    if scale > 1:
        img.draft(None, (max(1, w // scale), max(1, h // scale)))


def _rgb_or_l(img: Image.Image) -> Image.Image:
    """The decoded image as RGB or L; transparency flattened onto white, strip by strip.

    The caller drops the decoded image as soon as this returns, so at any time there is the decoded
    image plus one RGB copy (plus a strip), never a premultiplied RGBa copy of the whole image.
    """
    mode = img.mode
    if mode in ("RGB", "L"):
        if "transparency" not in img.info:
            return img
    elif mode.startswith("I") or mode == "F":  # 16-bit / 32-bit grey: scale to 8 bits
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif mode == "1":
        return img.convert("L")
    elif mode not in ("RGBA", "LA", "PA", "La", "RGBa") and "transparency" not in img.info:
        return img.convert("RGB")  # P, CMYK, YCbCr…
    w, h = img.size
    out = Image.new("RGB", (w, h), (255, 255, 255))
    rows = max(1, (1 << 20) // w)  # strips of about a million pixels
    for y in range(0, h, rows):
        strip = img.crop((0, y, w, min(h, y + rows)))
        if strip.mode != "RGBA":
            strip = strip.convert("RGBA")
        out.paste(strip, (0, y), strip)
    return out


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _exif_values(img: Image.Image) -> tuple[datetime | None, float | None, float | None, int | None]:
    """(time, lat, lon, orientation) from EXIF; unreadable EXIF counts as none (it is optional metadata)."""
    when = lat = lon = orientation = None
    try:
        exif = img.getexif()
    except Exception:  # struct.error, TypeError, ValueError, OSError… on corrupt EXIF
        return when, lat, lon, orientation
    with contextlib.suppress(Exception):
        when = _exif_time(exif)
    with contextlib.suppress(Exception):
        lat, lon = _exif_gps(exif)
    with contextlib.suppress(Exception):
        orientation = _exif_orientation(exif)
    return when, lat, lon, orientation


def _exif_orientation(exif: Image.Exif) -> int | None:
    value = exif.get(_ORIENTATION_TAG)
    return value if isinstance(value, int) and value in _ORIENTATION else None


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
    except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
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


def verify(photo: ProcessedPhoto, site_lat: float, site_lon: float, at: datetime) -> Verification:
    """Compare the photo's EXIF place and time with the site and the moment of the inspection/reply.

    A position contradiction wins over a time one. Without EXIF position or time nothing can be
    verified: 无定位信息 (neither accepted as on-site evidence nor flagged as contradicting).
    """
    distance = hours = None
    if photo.exif_lat is not None and photo.exif_lon is not None:
        distance = geo.distance_m(photo.exif_lat, photo.exif_lon, site_lat, site_lon)
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
