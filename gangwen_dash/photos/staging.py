"""Photos chosen on the entry form before it is submitted: kept on the server per user (``drafts/<user>/``),
so a reload or a dropped connection does not lose them; each is validated when chosen.

A staged item is a dict (it lives in the form's draft): ``name``, ``sha`` (of the upload), ``file`` and
``thumb`` (paths relative to the photo directory).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gangwen_dash.photos.processing import process
from gangwen_dash.photos.storage import photo_root


def _folder(username: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in username) or "user"
    return photo_root() / "drafts" / safe


def upload_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def stage(username: str, data: bytes, name: str, digest: str) -> dict:
    """Validate (``PhotoRejected`` with a Chinese message) and keep one upload under its ``upload_digest``;
    returns its staged item."""
    processed = process(data, name)
    folder = _folder(username)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{digest}.raw").write_bytes(data)
    (folder / f"{digest}.thumb.jpg").write_bytes(processed.thumb)
    rel = (folder / digest).relative_to(photo_root()).as_posix()
    return {"name": name, "sha": digest, "file": f"{rel}.raw", "thumb": f"{rel}.thumb.jpg"}


def present(items: list[dict]) -> list[dict]:
    """The staged items still on disk, each with the absolute ``thumb_path`` for display."""
    root = photo_root()
    return [{**item, "thumb_path": str(root / item["thumb"])} for item in items if (root / item["file"]).is_file()]


def read(item: dict) -> bytes:
    return (photo_root() / item["file"]).read_bytes()


def delete(items: list[dict]) -> None:
    root = photo_root()
    for item in items:
        for rel in (item.get("file"), item.get("thumb")):
            if rel and not rel.startswith(".."):
                (root / rel).unlink(missing_ok=True)
