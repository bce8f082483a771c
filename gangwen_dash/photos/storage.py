"""Photo storage under ``settings.photo_dir``: files written inside the caller's transaction and removed if it
fails; stored paths are relative to the photo directory."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

from gangwen_dash.config import get_settings
from gangwen_dash.photos.placeholders import DEMO_PREFIX, demo_image_bytes
from gangwen_dash.photos.processing import ProcessedPhoto


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
