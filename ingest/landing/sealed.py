"""The store as the pipeline sees it: whatever it keeps in archive/ and quarantine/ is sealed.

`SealedStore` wraps any `LandingZone` (folder or S3) with the archive key. An original is never
moved as it is: `keep` seals the bytes that were read and loaded (ingest/sealing.py), writes them
under `<key>.sealed`, and only then removes the landing file (on S3 only if it is still the object
that was read). A plain write into archive/ or quarantine/ is refused, except the partner's report,
which quotes no value from the file. `stage` puts an opened original in memory under its landing
key, so `infopositie reprocess` ingests it again without its plain bytes ever touching a disk.
"""
from __future__ import annotations

from ingest.landing.zone import Area, LandingZone
from ingest.sealing import SEALED_SUFFIX, seal, unseal

REPORT_SUFFIX = ".rapport.txt"


class PlainAtRest(ValueError):
    """Something other than a sealed original or a report was about to be kept."""


class SealedStore:
    def __init__(self, inner: LandingZone, archive_key: bytes) -> None:
        self.inner = inner
        self._key = archive_key
        self._staged: dict[str, bytes] = {}

    # -- the LandingZone protocol ------------------------------------------------------------
    def waiting(self, prefix: str = "") -> list[str]:
        return self.inner.waiting(prefix)

    def size(self, key: str, area: Area = "landing") -> int:
        if area == "landing" and key in self._staged:
            return len(self._staged[key])
        return self.inner.size(key, area)

    def read(self, key: str, area: Area = "landing") -> bytes:
        if area == "landing" and key in self._staged:
            return self._staged[key]
        return self.inner.read(key, area)

    def put(self, key: str, data: bytes, area: Area = "landing") -> str:
        if area != "landing" and not key.endswith((REPORT_SUFFIX, SEALED_SUFFIX)):
            raise PlainAtRest(f"only sealed originals and reports are kept in {area}/: {key}")
        return self.inner.put(key, data, area)

    def move(self, key: str, area: Area, dest_key: str) -> str:
        raise PlainAtRest("originals are kept sealed (SealedStore.keep), never moved as they are")

    def exists(self, key: str, area: Area = "landing") -> bool:
        if area == "landing" and key in self._staged:
            return True
        return self.inner.exists(key, area)

    def delete(self, key: str, area: Area) -> bool:
        return self.inner.delete(key, area)

    def key_for(self, location: str) -> tuple[Area, str]:
        return self.inner.key_for(location)

    def describe(self) -> str:
        return self.inner.describe()

    # -- sealed originals --------------------------------------------------------------------
    def keep(self, landing_key: str, data: bytes, area: Area, dest_key: str, delivery_id: int) -> str:
        """Seal `data` (the bytes read from `landing_key`) into `area`; then the landing file goes."""
        location = self.inner.put(dest_key + SEALED_SUFFIX, seal(data, self._key, delivery_id), area)
        if self._staged.pop(landing_key, None) is None:
            self.inner.delete(landing_key, "landing")
        return location

    def open(self, location: str, delivery_id: int) -> bytes:
        """A kept original, in memory only."""
        area, key = self.key_for(location)
        return unseal(self.inner.read(key, area), self._key, delivery_id)

    def stage(self, landing_key: str, data: bytes) -> None:
        """Offer `data` as if it waited at `landing_key`, in memory, for one ingest."""
        self._staged[landing_key] = data

    def unstage(self, landing_key: str) -> None:
        self._staged.pop(landing_key, None)
