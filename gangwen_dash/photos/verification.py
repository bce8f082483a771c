"""On-site verification: does a photo's EXIF place and time agree with the site and the moment?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gangwen_dash import domain
from gangwen_dash.domain import geo
from gangwen_dash.photos.processing import ProcessedPhoto

VERIFY_RADIUS_M = 300.0
VERIFY_HOURS = 12.0

CHECK_OK, CHECK_PLACE, CHECK_TIME, CHECK_NONE = "现场核验", "位置不符", "时间不符", "无定位信息"
assert (CHECK_OK, CHECK_PLACE, CHECK_TIME, CHECK_NONE) == domain.PHOTO_CHECKS
FLAGGED = (CHECK_PLACE, CHECK_TIME)


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
