"""Photo evidence shared by the inspection and rectification services.

``prepare(uploads, field)`` validates and re-encodes uploads before any transaction opens (the CPU
work stays outside the database lock); ``attach(...)`` verifies them against the site, writes the
files through the transaction's ``PhotoWriter`` and adds the ``Photo`` rows.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.orm import Session

from gangwen_dash import photos
from gangwen_dash.models import Finding, Photo, Site
from gangwen_dash.services.base import ValidationFailed

MAX_PHOTOS = 12


class PhotoUpload(BaseModel):
    """One uploaded file as the browser sent it (name and raw bytes)."""

    model_config = ConfigDict(frozen=True)
    name: str = "照片"
    data: bytes

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return (value or "照片")[:120]

    def __repr__(self) -> str:  # never dump megabytes into a log
        return f"PhotoUpload(name={self.name!r}, bytes={len(self.data)})"


def prepare(uploads: list[PhotoUpload], field: str) -> list[photos.ProcessedPhoto]:
    """Validate and re-encode; ValidationFailed({field: message}) for the first bad file."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed({field: f"每次最多上传 {MAX_PHOTOS} 张照片（当前 {len(uploads)} 张）"})
    out = []
    for upload in uploads:
        try:
            out.append(photos.process(upload.data, upload.name))
        except photos.PhotoRejected as exc:
            raise ValidationFailed({field: str(exc)}) from None
    return out


def check(processed: list[photos.ProcessedPhoto], site: Site, at: datetime, field: str,
          confirm_flagged: bool) -> list[photos.Verification]:
    """Verify each photo against the site; a contradiction needs the user's explicit confirmation."""
    results = [photos.verify(p, site.lat, site.lon, at) for p in processed]
    flagged = [r.explain(f"照片“{p.name}”") for p, r in zip(processed, results, strict=True) if r.flagged]
    if flagged and not confirm_flagged:
        raise ValidationFailed({field: "；".join(flagged) + "。请核实后重新拍摄，或勾选“确认提交存疑照片”后再提交（照片将被标记）。"},
                               needs_confirmation={field})
    return results


def attach(session: Session, writer: photos.PhotoWriter, finding: Finding, processed: list[photos.ProcessedPhoto],
           results: list[photos.Verification], kind: str, when: datetime) -> list[Photo]:
    """Write files and add Photo rows; mark the finding 现场核验 / flagged from the before-photos."""
    rows = []
    for p, r in zip(processed, results, strict=True):
        path, thumb = writer.write(p, when)
        row = Photo(finding=finding, kind=kind, path=path, thumb_path=thumb, width=p.width, height=p.height,
                    sha256=p.sha256, exif_time=p.exif_time, exif_lat=p.exif_lat, exif_lon=p.exif_lon,
                    check_result=r.result, created_at=when)
        session.add(row)
        rows.append(row)
    if any(r.flagged for r in results):
        finding.photo_flagged = True
    if kind == "整改前":
        finding.verified_on_site = bool(finding.verified_on_site or any(r.result == photos.CHECK_OK for r in results)) \
            and not finding.photo_flagged
    return rows
