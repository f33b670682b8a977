"""The landing zone: where partners drop files, and where originals are kept afterwards.

One store, three areas: `landing/` (waiting files, under each partner's prefix), `archive/`
(every processed original, unchanged) and `quarantine/` (refused originals plus the partner
report). The same interface is served by a local folder (the embedded default) and by
S3-compatible object storage (production), so the pipeline code never knows which it has.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal, Protocol

Area = Literal["landing", "archive", "quarantine"]


class LandingZone(Protocol):
    def waiting(self, prefix: str = "") -> list[str]:
        """Keys (relative to the landing area) of files waiting to be processed, sorted."""

    def read(self, key: str, area: Area = "landing") -> bytes: ...

    def put(self, key: str, data: bytes, area: Area = "landing") -> str:
        """Write an object; returns its location for the audit trail."""

    def move(self, key: str, area: Area, dest_key: str) -> str:
        """Move a landing file, unchanged, into another area; returns its new location."""

    def exists(self, key: str, area: Area = "landing") -> bool: ...

    def describe(self) -> str: ...


class LocalLandingZone:
    def __init__(self, root: Path) -> None:
        self.root = root
        for area in ("landing", "archive", "quarantine"):
            (root / area).mkdir(parents=True, exist_ok=True)

    def _path(self, key: str, area: Area) -> Path:
        path = (self.root / area / key).resolve()
        if not path.is_relative_to((self.root / area).resolve()):
            raise ValueError(f"key outside the {area} area: {key}")
        return path

    def waiting(self, prefix: str = "") -> list[str]:
        base = self.root / "landing"
        return sorted(
            str(p.relative_to(base)) for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".") and str(p.relative_to(base)).startswith(prefix)
        )

    def read(self, key: str, area: Area = "landing") -> bytes:
        return self._path(key, area).read_bytes()

    def put(self, key: str, data: bytes, area: Area = "landing") -> str:
        path = self._path(key, area)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a reader never sees half a file
        return str(path)

    def move(self, key: str, area: Area, dest_key: str) -> str:
        src, dest = self._path(key, "landing"), self._path(dest_key, area)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(src, dest)
        return str(dest)

    def exists(self, key: str, area: Area = "landing") -> bool:
        return self._path(key, area).exists()

    def describe(self) -> str:
        return str(self.root / "landing")


def open_landing_zone(location: str | None = None) -> LandingZone:
    """A folder path or an s3://bucket URL; default from the settings."""
    from infopositie.settings import load_settings

    location = location or load_settings().landing_url
    if location.startswith("s3://"):
        from ingest.landing_s3 import S3LandingZone

        return S3LandingZone.from_url(location)
    return LocalLandingZone(Path(location))
