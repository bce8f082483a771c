"""Photo validation, re-encoding and EXIF on-site verification with real JPEGs made by Pillow."""

import io
from datetime import datetime, timedelta

import pytest
from PIL import Image

from gangwen_dash import photos
from tests.support import images

SITE = (32.0620, 120.8240)
AT = datetime(2019, 11, 12, 10, 0)


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
    import hashlib
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
