"""The landing store as a local folder (the embedded default): `<root>/landing|archive|quarantine/`."""
from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from ingest.landing.zone import AREAS, Area


class NotAStoreRoot(ValueError):
    """A folder that is not the root of a landing store, with what to pass instead."""


def check_store_root(root: Path, feed_prefixes: Iterable[str] = (), *, existing: bool = False) -> None:
    """Refuse a folder that cannot be a store root before anything is read or written there.

    A store root holds the areas (`landing/`, ...); a folder that instead holds the partners'
    folders (`politie/registraties/`, ...) is the landing area itself, and treating it as a root
    would silently find nothing waiting, or write deliveries into a landing/ nested inside it.
    `existing`: the store must be there already (to read from it) rather than be created."""
    if (root / "landing").is_dir():
        return
    if root.exists() and not root.is_dir():
        raise NotAStoreRoot(f"{root} is a file, not a store folder: pass the folder that holds "
                            "landing/, archive/ and quarantine/")
    found = sorted(p for p in feed_prefixes if (root / p).is_dir())
    if found:
        raise NotAStoreRoot(f"{root} looks like the landing area itself (it holds {found[0]}): pass its "
                            "parent, the store root that holds landing/, archive/ and quarantine/")
    if existing:
        what = "holds no landing/ area" if root.exists() else "does not exist"
        raise NotAStoreRoot(f"{root} {what}, so there is nothing to process: pass the store root, the folder "
                            "that holds landing/, archive/ and quarantine/")


class LocalLandingZone:
    def __init__(self, root: Path) -> None:
        self.root = root
        for area in AREAS:
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

    def size(self, key: str, area: Area = "landing") -> int:
        return self._path(key, area).stat().st_size

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

    def delete(self, key: str, area: Area) -> bool:
        path = self._path(key, area)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def key_for(self, location: str) -> tuple[Area, str]:
        path = Path(location).resolve()
        for area in AREAS:
            base = (self.root / area).resolve()
            if path.is_relative_to(base):
                return area, str(path.relative_to(base))
        raise ValueError(f"not a location in this store: {location}")

    def describe(self) -> str:
        return str(self.root / "landing")
