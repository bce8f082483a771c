"""Evidence photos: validation, re-encoding, EXIF place/time (``processing``), on-site verification
(``verification``), storage (``storage``) and demo placeholders (``placeholders``).

This package's root is its public API, re-exported from those modules.

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

from gangwen_dash.photos.placeholders import DEMO_PREFIX, demo_image_bytes, demo_paths
from gangwen_dash.photos.processing import (
    ALLOWED_FORMATS,
    MAX_BYTES,
    MAX_SIDE,
    THUMB_SIDE,
    PhotoRejected,
    ProcessedPhoto,
    clear_cache,
    process,
)
from gangwen_dash.photos.storage import PhotoWriter, photo_root, read_bytes, resolve
from gangwen_dash.photos.verification import (
    CHECK_NONE,
    CHECK_OK,
    CHECK_PLACE,
    CHECK_TIME,
    FLAGGED,
    VERIFY_HOURS,
    VERIFY_RADIUS_M,
    Verification,
    verify,
)

__all__ = [
    "ALLOWED_FORMATS", "CHECK_NONE", "CHECK_OK", "CHECK_PLACE", "CHECK_TIME", "DEMO_PREFIX", "FLAGGED", "MAX_BYTES",
    "MAX_SIDE", "THUMB_SIDE", "VERIFY_HOURS", "VERIFY_RADIUS_M", "PhotoRejected", "PhotoWriter", "ProcessedPhoto",
    "Verification", "clear_cache", "demo_image_bytes", "demo_paths", "photo_root", "process", "read_bytes", "resolve",
    "verify",
]
