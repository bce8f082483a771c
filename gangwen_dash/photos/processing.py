"""Photo processing: validation from the header, re-encoding, thumbnail and EXIF place/time.

Over 300 lines on purpose: the memory limits, the decoder arrangement that keeps them and the reasoning
behind each value (the long comment below) only make sense read together with the code that enforces them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import math
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from PIL import Image, PngImagePlugin, UnidentifiedImageError

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

Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS  # Pillow's own bomb check: warning above, error above twice this
PngImagePlugin.MAX_TEXT_MEMORY = PNG_TEXT_BYTES


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


# --------------------------------------------------------------------------- validation and EXIF
#
# Memory. An upload is at most MAX_BYTES, but a compressed image can hold far more pixels than bytes
# (a 16 KB 1-bit PNG of 7745×7745 used to take 710 MB and 2 s), so every limit is checked from the
# header before a pixel is decoded, and decoding is arranged so that processing the worst accepted
# photo stays under 200 MB of peak RSS (tests/unit/photos/test_processing.py measures it in a fresh process):
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
            data = encode_jpeg(img, JPEG_QUALITY)
            thumb_img = img.copy()
            thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
            thumb = encode_jpeg(thumb_img, 80)
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


def encode_jpeg(img: Image.Image, quality: int) -> bytes:
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
