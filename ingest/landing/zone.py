"""What every landing store offers, whatever holds it: the `LandingZone` interface and its areas.

One store, three areas: `landing/` (waiting files, under each partner's prefix), `archive/`
(every processed original, sealed: ingest/landing/sealed.py) and `quarantine/` (refused originals,
sealed, plus the partner report). A local folder (local.py, the embedded default) and
S3-compatible object storage (s3.py, production) serve the same interface, so the pipeline never knows which it has.
"""
from __future__ import annotations

from typing import Literal, Protocol

Area = Literal["landing", "archive", "quarantine"]
AREAS: tuple[Area, ...] = ("landing", "archive", "quarantine")


class LandingZone(Protocol):
    def waiting(self, prefix: str = "") -> list[str]:
        """Keys (relative to the landing area) of files waiting to be processed, sorted."""

    def size(self, key: str, area: Area = "landing") -> int:
        """The object's size in bytes, without reading it (a feed's maximum is checked first)."""

    def read(self, key: str, area: Area = "landing") -> bytes: ...

    def put(self, key: str, data: bytes, area: Area = "landing") -> str:
        """Write an object; returns its location for the audit trail."""

    def move(self, key: str, area: Area, dest_key: str) -> str:
        """Move a landing file, unchanged, into another area; returns its new location."""

    def exists(self, key: str, area: Area = "landing") -> bool: ...

    def delete(self, key: str, area: Area) -> bool:
        """Remove an object (a landing file only if it is still the one read); False if absent."""

    def key_for(self, location: str) -> tuple[Area, str]:
        """The area and key of a location this store returned (the audit trail keeps locations)."""

    def describe(self) -> str: ...
