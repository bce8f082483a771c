"""Bounded fuzz of photo processing: only ``PhotoRejected`` (with a Chinese message) may escape.

2,400 inputs mutated from small real JPEG/PNG/WebP files with a fixed seed: byte flips, truncations,
inserted segments/chunks (text bombs, duplicate headers, APNG chunks…), EXIF orientation garbage
(wrong types, counts, offsets, byte orders) and rewritten header sizes. Pillow raises struct.error,
TypeError, ValueError, OSError, SyntaxError, EOFError… on such files; ``photos.process`` must turn
every one into ``PhotoRejected`` — or accept the file and produce a valid JPEG within MAX_SIDE.
"""

from __future__ import annotations

import io
import random
import re
import struct
import time
import zlib
from collections import Counter
from datetime import datetime

import pytest
from PIL import Image

from gangwen_dash import photos
from tests.support import images

N_INPUTS = 2400
CJK = re.compile(r"[\u4e00-\u9fff]")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def exif_tiff(rng: random.Random) -> bytes:
    """A TIFF/EXIF block whose Orientation (and Exif/GPS pointers, entry count…) are garbage."""
    bo = rng.choice("<>")
    out = (b"II" if bo == "<" else b"MM") + struct.pack(bo + "HI", rng.choice([42, 42, 42, 43, 0]), 8)
    entries = []
    typ = rng.choice([3, 3, 3, 1, 2, 4, 5, 7, 9, 10, 11, 12, 0, 13, 255])
    count = rng.choice([1, 1, 1, 0, 2, 4, 1000, 0xFFFFFFFF])
    if typ == 3 and count == 1:
        value = struct.pack(bo + "HH", rng.choice([0, 1, 2, 3, 5, 6, 7, 8, 9, 255, 65535]), 0)
    else:
        value = struct.pack(bo + "I", rng.choice([0, 6, 8, 26, 2**31, rng.getrandbits(32)]))
    entries.append(struct.pack(bo + "HHI", 0x0112, typ, count) + value)
    if rng.random() < 0.5:  # Exif sub-IFD pointer, often pointing nowhere
        entries.append(struct.pack(bo + "HHII", 0x8769, rng.choice([4, 4, 13, 3]), 1,
                                   rng.choice([8, 26, 40, 2**31, rng.getrandbits(32)])))
    if rng.random() < 0.5:  # GPS IFD pointer
        entries.append(struct.pack(bo + "HHII", 0x8825, rng.choice([4, 13, 3]), 1, rng.getrandbits(16)))
    if rng.random() < 0.3:  # DateTime with a wild offset
        entries.append(struct.pack(bo + "HHII", 0x0132, 2, 20, rng.getrandbits(32)))
    n = len(entries) if rng.random() < 0.8 else rng.choice([0, 0xFFFF, len(entries) + 5])
    out += struct.pack(bo + "H", n) + b"".join(entries) + struct.pack(bo + "I", rng.choice([0, 0, rng.getrandbits(32)]))
    return out + rng.randbytes(rng.randrange(0, 64))


def _jpeg_with_orientation(orientation: int, size=(96, 64), **kw) -> bytes:
    img = Image.new("RGB", size, (120, 130, 140))
    img.paste((200, 80, 60), (0, 0, size[0] // 3, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[306] = "2019:11:12 10:00:00"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, **kw)
    return out.getvalue()


def _palette_png_with_exif() -> bytes:
    img = Image.new("P", (64, 48), 0)
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    img.paste(1, (0, 0, 32, 48))
    exif = Image.Exif()
    exif[0x0112] = 8
    out = io.BytesIO()
    img.save(out, "PNG", transparency=0, exif=exif)
    return out.getvalue()


def _webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (48, 32), (10, 200, 30, 128)).save(out, "WEBP")
    return out.getvalue()


def bases() -> dict[str, bytes]:
    return {
        "jpeg_exif_gps": images.jpeg(32.0621, 120.8243, datetime(2019, 11, 12, 10, 0), size=(96, 64)),
        "jpeg_rotated": _jpeg_with_orientation(6),
        "jpeg_progressive": _jpeg_with_orientation(3, progressive=True, subsampling=0),
        "png_rgba": images.png(size=(64, 48)),
        "png_palette_exif": _palette_png_with_exif(),
        "webp": _webp(),
    }


# --------------------------------------------------------------------------- mutations


def flip(raw: bytes, rng: random.Random) -> bytes:
    b = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        hi = len(b) if rng.random() < 0.3 else min(len(b), 1024)  # headers live at the front
        b[rng.randrange(hi)] = rng.getrandbits(8)
    return bytes(b)


def truncate(raw: bytes, rng: random.Random) -> bytes:
    return raw[:rng.randrange(1, len(raw))]


def insert(raw: bytes, rng: random.Random) -> bytes:
    if raw.startswith(b"\x89PNG"):
        kind = rng.choice([b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"IHDR", b"PLTE", b"tRNS", b"acTL",
                           b"fcTL", b"pHYs", b"gAMA", bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(4))])
        if kind == b"zTXt":
            data = b"k\0\0" + zlib.compress(b"\0" * rng.choice([100, 100_000, 2_000_000, 8_000_000]))
        elif kind == b"iCCP":
            data = b"icc\0\0" + zlib.compress(rng.randbytes(rng.randrange(0, 400)))
        else:
            data = rng.randbytes(rng.randrange(0, 300))
        chunk = png_chunk(kind, data) if rng.random() < 0.85 else png_chunk(kind, data)[:-4] + rng.randbytes(4)
        at = 33 if rng.random() < 0.6 else len(raw) - 12  # after IHDR, or before IEND
        return raw[:at] + chunk + raw[at:]
    if raw.startswith(b"\xff\xd8"):
        marker = rng.choice([0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE, 0xDB, 0xC4, 0xDD, 0xC0, 0xC2, 0xDA, 0xD9])
        payload = rng.randbytes(rng.randrange(0, 300))
        length = len(payload) + 2 if rng.random() < 0.8 else rng.getrandbits(16)
        segment = bytes([0xFF, marker]) + struct.pack(">H", length) + payload
        at = 2 if rng.random() < 0.6 else rng.randrange(2, len(raw))
        return raw[:at] + segment + raw[at:]
    at = rng.randrange(len(raw))
    return raw[:at] + rng.randbytes(rng.randrange(1, 200)) + raw[at:]


def exif_garbage(raw: bytes, rng: random.Random) -> bytes:
    tiff = exif_tiff(rng)
    if raw.startswith(b"\x89PNG"):
        return raw[:33] + png_chunk(b"eXIf", tiff) + raw[33:]
    if raw.startswith(b"\xff\xd8"):
        body = b"Exif\0\0" + tiff
        return raw[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + raw[2:]
    return flip(raw, rng)


def header_size(raw: bytes, rng: random.Random) -> bytes:
    """Rewrite the declared width/height (PNG: with a correct CRC, so it reaches the decoder)."""
    value = lambda limit: rng.choice([0, 1, 2, 7, 4000, 4001, 7745, 8192, limit, rng.randrange(limit + 1)])  # noqa: E731
    b = bytearray(raw)
    if raw.startswith(b"\x89PNG"):
        b[16:24] = struct.pack(">II", value(2**31 - 1), value(2**31 - 1))
        if rng.random() < 0.3:
            b[24:26] = bytes([rng.choice([1, 2, 4, 8, 16, 3]), rng.choice([0, 2, 3, 4, 6, 5])])
        b[29:33] = struct.pack(">I", zlib.crc32(bytes(b[12:29])))
        return bytes(b)
    if raw.startswith(b"\xff\xd8"):
        sof = max(raw.find(b"\xff\xc0"), raw.find(b"\xff\xc2"))
        if sof > 0:
            b[sof + 5:sof + 9] = struct.pack(">HH", value(65535), value(65535))
            if rng.random() < 0.3:  # sampling factors of the first component
                b[sof + 11] = rng.getrandbits(8)
            return bytes(b)
    return flip(raw, rng)


MUTATIONS = {"flip": flip, "truncate": truncate, "insert": insert, "exif": exif_garbage, "header": header_size}


def corpus(n: int = N_INPUTS, seed: int = 2019):
    rng = random.Random(seed)
    base = bases()
    names = sorted(base)
    for _ in range(n):
        name, kind = rng.choice(names), rng.choice(sorted(MUTATIONS))
        yield f"{name}/{kind}", MUTATIONS[kind](base[name], rng)


# --------------------------------------------------------------------------- the test


@pytest.fixture(autouse=True)
def _fresh_cache():
    photos.clear_cache()
    yield
    photos.clear_cache()


def test_bases_are_accepted():
    for name, raw in bases().items():
        p = photos.process(raw, name)
        assert p.width > 0 and p.height > 0, name
    assert photos.process(bases()["jpeg_rotated"]).width == 64  # orientation 6 applied: 96×64 → 64×96


def test_only_photo_rejected_escapes_from_mutated_files():
    escaped: Counter[str] = Counter()
    examples: dict[str, str] = {}
    outcome: Counter[str] = Counter()
    start = time.perf_counter()
    for i, (label, raw) in enumerate(corpus()):
        try:
            p = photos.process(raw, f"fuzz{i}.jpg")
        except photos.PhotoRejected as exc:
            assert CJK.search(str(exc)), (label, str(exc))
            outcome[f"{label.split('/')[1]}: rejected"] += 1
            continue
        except Exception as exc:
            key = f"{type(exc).__name__} ({label})"
            escaped[key] += 1
            examples.setdefault(key, str(exc)[:120])
            continue
        outcome[f"{label.split('/')[1]}: accepted"] += 1
        with Image.open(io.BytesIO(p.data)) as img:
            assert img.format == "JPEG" and img.size == (p.width, p.height)
            assert max(img.size) <= photos.MAX_SIDE
    elapsed = time.perf_counter() - start
    total = sum(outcome.values()) + sum(escaped.values())
    print(f"\nphoto fuzz: {total} inputs in {elapsed:.1f} s; {dict(sorted(outcome.items()))}")
    assert total == N_INPUTS >= 2000
    assert not escaped, f"exceptions other than PhotoRejected escaped: {dict(escaped)}; examples: {examples}"
    # The corpus exercises both sides for every kind of mutation (else it tests nothing).
    for kind in MUTATIONS:
        if kind != "truncate":  # a truncated image is never accepted
            assert outcome[f"{kind}: accepted"] > 0, kind
        assert outcome[f"{kind}: rejected"] > 0, kind
