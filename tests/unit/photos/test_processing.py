"""Photo validation, re-encoding and EXIF on-site verification with real JPEGs made by Pillow."""

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFile

from gangwen_dash import photos
from gangwen_dash.photos import processing
from tests.support import images

SITE = (32.0620, 120.8240)
AT = datetime(2019, 11, 12, 10, 0)
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _fresh_cache():
    photos.clear_cache()
    yield
    photos.clear_cache()


def test_exif_gps_and_time_are_read_from_a_real_jpeg():
    p = photos.process(images.jpeg(32.0621, 120.8243, AT), "现场.jpg")
    assert p.exif_time == AT
    assert p.exif_lat == pytest.approx(32.0621, abs=1e-5)
    assert p.exif_lon == pytest.approx(120.8243, abs=1e-5)


def test_reencoded_downscaled_with_thumbnail_and_hash():
    p = photos.process(images.jpeg(size=(4000, 3000)), "big.jpg")
    assert max(p.width, p.height) == photos.MAX_SIDE
    with Image.open(io.BytesIO(p.data)) as img:
        assert img.format == "JPEG" and img.size == (p.width, p.height)
        assert not img.getexif()  # EXIF stripped from the stored copy (kept in columns)
    with Image.open(io.BytesIO(p.thumb)) as thumb:
        assert max(thumb.size) == photos.THUMB_SIDE
    assert p.sha256 == hashlib.sha256(p.data).hexdigest()


def test_png_with_alpha_accepted_and_flattened():
    p = photos.process(images.png(), "a.png")
    assert (p.width, p.height) == (640, 480) and p.exif_lat is None


@pytest.mark.parametrize("lat,lon,when,expected", [
    (32.0625, 120.8245, AT + timedelta(hours=2), "现场核验"),        # ~70 m, 2 h
    (32.0620 + 0.0025, 120.8240, AT - timedelta(hours=11), "现场核验"),  # ~278 m, 11 h
    (32.0620 + 0.0035, 120.8240, AT, "位置不符"),                      # ~390 m
    (32.1000, 120.9000, AT, "位置不符"),                               # km away
    (32.0621, 120.8241, AT + timedelta(hours=13), "时间不符"),
    (32.0621, 120.8241, AT - timedelta(days=30), "时间不符"),
    (None, None, AT, "无定位信息"),
    (32.0621, 120.8241, None, "无定位信息"),
])
def test_verification_against_site_and_time(lat, lon, when, expected):
    p = photos.process(images.jpeg(lat, lon, when), "p.jpg")
    v = photos.verify(p, *SITE, AT)
    assert v.result == expected
    assert v.flagged == (expected in ("位置不符", "时间不符"))
    if expected == "位置不符":
        assert v.distance_m > 300 and "位置不符" in v.explain()


def test_text_file_renamed_jpg_is_refused_in_chinese():
    with pytest.raises(photos.PhotoRejected, match="不是有效的图片"):
        photos.process("这不是照片，只是一段文字".encode() * 100, "伪装.jpg")


def test_40mb_file_is_refused_in_chinese():
    with pytest.raises(photos.PhotoRejected, match=r"文件过大（40\.0 MB）.*15 MB"):
        photos.process(images.huge_file(40), "巨大.jpg")


def test_other_formats_and_truncated_files_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(photos.PhotoRejected, match="仅支持 JPEG、PNG、WebP"):
        photos.process(out.getvalue(), "a.gif")
    with pytest.raises(photos.PhotoRejected):
        photos.process(images.jpeg()[:2000], "cut.jpg")
    with pytest.raises(photos.PhotoRejected, match="空文件"):
        photos.process(b"", "empty.jpg")


def test_writer_discards_files_on_failure(photo_dir):
    p = photos.process(images.jpeg(), "x.jpg")
    with pytest.raises(RuntimeError), photos.PhotoWriter() as writer:
        rel, thumb = writer.write(p, AT)
        assert (photo_dir / rel).is_file() and (photo_dir / thumb).is_file()
        raise RuntimeError("transaction failed")
    assert not [f for f in photo_dir.rglob("*") if f.is_file()]


def test_demo_placeholder_regenerated_deterministically(photo_dir):
    rel, thumb = photos.demo_paths(3, "整改前", "S2")
    first = photos.resolve(rel)
    assert first is not None and first.is_relative_to(photo_dir)
    data = first.read_bytes()
    first.unlink()
    assert photos.read_bytes(rel) == data  # drawn again, byte for byte
    with Image.open(photos.resolve(thumb)) as img:
        assert max(img.size) == photos.THUMB_SIDE
    assert photos.resolve("../../etc/passwd") is None
    assert photos.resolve("2019/11/missing.jpg") is None


# --------------------------------------------------------------------------- decompression limits


def _jpeg_declaring(width: int, height: int, **kw) -> bytes:
    """A small real JPEG whose frame header (SOF) claims width×height: the pixels are never there."""
    raw = bytearray(images.jpeg(size=(64, 48)) if not kw else _small_jpeg(**kw))
    sof = max(raw.find(b"\xff\xc0"), raw.find(b"\xff\xc2"))
    raw[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(raw)


def _small_jpeg(**kw) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 100, 110)).save(out, "JPEG", **kw)
    return out.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    raw = bytearray(images.png(size=(64, 48)))
    raw[16:24] = struct.pack(">II", width, height)
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(raw[12:29])))  # a valid IHDR CRC
    return bytes(raw)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail if anything decodes pixels: the refusal must come from the header alone."""
    def boom(self):
        raise AssertionError("decoded although the header already says no")
    monkeypatch.setattr(ImageFile.ImageFile, "load", boom)


def test_7745px_png_bomb_refused_in_chinese_before_decoding(no_decoding):
    img = Image.new("1", (7745, 7745), 0)  # 60 MP: used to take 710 MB and 2 s to process
    ImageDraw.Draw(img).line([0, 0, 7744, 7744], fill=1, width=9)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    raw = out.getvalue()
    assert len(raw) < 300_000
    with pytest.raises(photos.PhotoRejected,
                       match=r"“炸弹\.png”像素过大（7745×7745，60\.0 百万像素）.*PNG 图片不得超过 16 百万像素"):
        photos.process(raw, "炸弹.png")


@pytest.mark.parametrize("raw,message", [
    (_jpeg_declaring(8192, 6400), r"像素过大（8192×6400，52\.4 百万像素），JPEG 照片不得超过 52 百万像素"),
    (_jpeg_declaring(65535, 65535), r"像素过大|不是有效的图片"),  # Pillow's own bomb check (MAX_IMAGE_PIXELS)
    (_jpeg_declaring(4000, 3000, progressive=True, subsampling=0), r"4000×3000.*渐进式 JPEG"),
    (_png_declaring(4001, 4000), r"像素过大（4001×4000，16\.0 百万像素），PNG 图片不得超过 16 百万像素"),
    (_png_declaring(2**31 - 1, 2**31 - 1), r"像素过大|不是有效的图片"),
], ids=["jpeg-over-52MP", "jpeg-65535", "progressive-12MP-444", "png-over-16MP", "png-2^31"])
def test_oversized_headers_refused_before_decoding(no_decoding, raw, message):
    with pytest.raises(photos.PhotoRejected, match=message):
        photos.process(raw, "大图.jpg")


def test_webp_over_6mp_refused():
    out = io.BytesIO()
    Image.new("RGB", (2600, 2400), (10, 200, 30)).save(out, "WEBP", lossless=True)
    with pytest.raises(photos.PhotoRejected, match=r"2600×2400.*WebP 图片不得超过 6 百万像素"):
        photos.process(out.getvalue(), "a.webp")


def test_jpeg_decoded_at_reduced_size(monkeypatch):
    seen = []
    real = Image.Image.thumbnail
    monkeypatch.setattr(Image.Image, "thumbnail", lambda self, *a, **kw: (seen.append(self.size), real(self, *a, **kw))[1])
    p = photos.process(images.jpeg(size=(8192, 6144)), "50mp.jpg")
    assert (p.width, p.height) == (2048, 1536)
    assert seen[0] == (4096, 3072)  # libjpeg decoded at 1/2 (38 MB), not 50 MP (150 MB)


@pytest.mark.parametrize("orientation,size", [(1, (160, 80)), (3, (160, 80)), (6, (80, 160)), (8, (80, 160))])
def test_exif_orientation_applied(orientation, size):
    img = Image.new("RGB", (160, 80), (255, 255, 255))
    img.paste((255, 0, 0), (0, 0, 40, 80))  # red on the left of the stored image
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=95)
    p = photos.process(out.getvalue(), "o.jpg")
    assert (p.width, p.height) == size
    with Image.open(io.BytesIO(p.data)) as shown:
        red_at = {1: (5, 40), 3: (155, 40), 6: (40, 5), 8: (40, 155)}[orientation]
        r, g, b = shown.convert("RGB").getpixel(red_at)
        assert r > 200 and g < 80 and b < 80


def _with_exif(container: str, tiff: bytes) -> bytes:
    if container == "jpeg":
        raw, body = images.jpeg(size=(160, 80)), b"Exif\0\0" + tiff
        return raw[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + raw[2:]
    raw = images.png(size=(160, 80))
    chunk = struct.pack(">I", len(tiff)) + b"eXIf" + tiff + struct.pack(">I", zlib.crc32(b"eXIf" + tiff))
    return raw[:33] + chunk + raw[33:]  # right after IHDR


@pytest.mark.parametrize("container", ["jpeg", "png"])
@pytest.mark.parametrize("tiff", [
    b"II+\0\x08\0\0\0" + b"\x07\0\x12\x01\x0d\0\xff\xff\xff\xff",  # BigTIFF magic: struct.error (PNG)
    b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x02\0\0\0\x02" + b"6\0\0\0" + b"\0\0\0\0",  # Orientation = "6" (text)
    b"II*\0\x08\0\0\0\xff\xff" + b"\x12\x01\x03\0" * 3,  # 65535 entries announced, 1 present
    b"\x3a\xfc\xf0\xbf\x03\x44\x85\xd5",  # not TIFF at all: SyntaxError (PNG)
], ids=["bigtiff", "text-orientation", "entry-count", "not-tiff"])
def test_garbage_exif_is_ignored_not_fatal(container, tiff):
    p = photos.process(_with_exif(container, tiff), "坏EXIF")
    assert (p.width, p.height) == (160, 80)  # untransposed
    assert p.exif_time is None and p.exif_lat is None


@pytest.mark.parametrize("error", [
    struct.error("unpack requires a buffer of 8 bytes"), TypeError("unhashable type: 'tuple'"), ValueError("x"),
    OSError("image file is truncated"), SyntaxError("not a TIFF file"), EOFError(), ZeroDivisionError(),
    MemoryError(), Image.DecompressionBombError("bomb"), KeyError(3), IndexError(), OverflowError(),
])
def test_every_decoder_failure_becomes_photo_rejected_in_chinese(monkeypatch, error):
    def fail(img):
        raise error
    monkeypatch.setattr(processing, "_rgb_or_l", fail)
    with pytest.raises(photos.PhotoRejected) as exc:
        photos.process(images.jpeg(size=(64, 48)), "x.jpg")
    assert "“x.jpg”" in str(exc.value) and any("\u4e00" <= c <= "\u9fff" for c in str(exc.value))


# --------------------------------------------------------------------------- processed once, bounded


def test_staged_photo_is_not_processed_again_on_submit(monkeypatch):
    from gangwen_dash.services import evidence

    calls = []
    real = processing._process
    monkeypatch.setattr(processing, "_process", lambda raw, name, label: (calls.append(name), real(raw, name, label))[1])
    raw = images.jpeg(32.0621, 120.8243, AT, size=(4000, 3000))
    staged = photos.process(raw, "现场.jpg")  # the entry page, when the photo is chosen
    [submitted] = evidence.prepare([evidence.PhotoUpload(name="现场2.jpg", data=raw)], "photos")  # on submit
    assert calls == ["现场.jpg"]
    assert submitted.name == "现场2.jpg" and submitted.data == staged.data and submitted.exif_time == AT
    photos.process(images.jpeg(size=(640, 480)), "另一张.jpg")
    assert calls == ["现场.jpg", "另一张.jpg"]


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(processing, "CACHE_BYTES", 1)
    first, second = images.jpeg(size=(64, 48)), images.jpeg(size=(64, 48), color=(1, 2, 3))
    photos.process(first)
    photos.process(second)
    assert list(processing._CACHE) == [hashlib.sha256(second).hexdigest()]


def test_at_most_two_photos_decoded_at_once(monkeypatch):
    running, peak, lock = 0, 0, threading.Lock()
    real = processing._process

    def slow(raw, name, label):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        try:
            return real(raw, name, label)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(processing, "_process", slow)
    uploads = [images.jpeg(size=(64, 48), color=(i, i, i)) for i in range(8)]
    threads = [threading.Thread(target=photos.process, args=(raw, f"{i}.jpg")) for i, raw in enumerate(uploads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == processing.PROCESS_SLOTS == 2
    assert len(processing._CACHE) == 8


# --------------------------------------------------------------------------- peak memory of the worst accepted photo

_RSS_SCRIPT = """
import json, sys, time
from gangwen_dash import photos

def hwm_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))

raw = open(sys.argv[1], "rb").read()
before = hwm_mb()
start = time.perf_counter()
p = photos.process(raw, "worst")
print(json.dumps({"before": before, "peak": hwm_mb(), "seconds": time.perf_counter() - start,
                  "size": [p.width, p.height]}))
"""


def _stripes(size, mode="RGB") -> Image.Image:
    img = Image.new("RGB", size, (120, 130, 140))
    d = ImageDraw.Draw(img)
    for x in range(0, size[0], 40):
        d.rectangle([x, 0, x + 8, size[1]], fill=(200, 80, 60))
    for y in range(0, size[1], 50):
        d.rectangle([0, y, size[0], y + 6], fill=(30, 180, 60))
    if mode == "RGBA":
        img.putalpha(Image.linear_gradient("L").resize(size))
    return img


def _encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


WORST = {  # the largest photo of each kind the limits accept
    "jpeg-52MP-444": lambda: _encoded(_stripes((7211, 7211)), "JPEG", quality=90, subsampling=0),
    "progressive-jpeg-444-at-coefficient-cap": lambda: _encoded(_stripes((3336, 3336)), "JPEG", quality=90,
                                                                subsampling=0, progressive=True),
    "png-rgba-16MP": lambda: _encoded(_stripes((4618, 3464), "RGBA"), "PNG", compress_level=1),
    "webp-rgba-6MP": lambda: _encoded(_stripes((3000, 2000), "RGBA"), "WEBP", quality=90, method=0),
}


@pytest.mark.parametrize("kind", WORST)
def test_worst_accepted_photo_peaks_under_200mb(kind, tmp_path):
    raw = WORST[kind]()
    with Image.open(io.BytesIO(raw)) as img:  # really at the limit for its kind
        w, h = img.size
        assert len(raw) <= photos.MAX_BYTES
        if img.format == "JPEG" and img.info.get("progressive"):
            assert 0.99 * processing.MAX_COEFFICIENT_BYTES < processing._coefficient_bytes(img) <= processing.MAX_COEFFICIENT_BYTES
        else:
            cap = {"JPEG": processing.MAX_JPEG_PIXELS, "PNG": processing.MAX_PNG_PIXELS, "WEBP": processing.MAX_WEBP_PIXELS}
            assert 0.99 * cap[img.format] < w * h <= cap[img.format]
    path = tmp_path / "worst"
    path.write_bytes(raw)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(path)], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    m = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{kind}: {w}×{h} ({w * h / 1e6:.1f} MP, {len(raw) / 1e6:.1f} MB) -> {m['size'][0]}×{m['size'][1]}: "
          f"peak RSS {m['peak']:.0f} MB (before processing {m['before']:.0f} MB), {m['seconds']:.2f} s")
    assert max(m["size"]) == photos.MAX_SIDE
    assert m["peak"] <= 200
