"""The landing store as a local folder (the embedded default): `<root>/landing|archive|quarantine/`.

Partners stay apart here as they do in S3 (where a key is just a name): a key is taken for exactly
the file at its path, never for what a symbolic link, a hard link or a linked folder points at,
so a link in one gemeente's folder cannot make the loader read, or move away, another partner's
delivery. Such entries are not listed as waiting and refused by every method (they stay where
they are for an engineer to look at). Names longer than the file system allows (an archive name
is the delivery number plus the partner's file name) are shortened with a hash, the same way on
every call, so that `exists` and `read` find what `put` and `move` wrote.
"""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from ingest.landing.zone import AREAS, Area

log = logging.getLogger(__name__)

NAME_MAX = 255  # bytes per path component on ext4, xfs, btrfs, tmpfs and APFS


class LinkRefused(PermissionError):
    """A key whose file is a link, or whose real path leaves its own folder."""


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


def fit_name(name: str, limit: int = NAME_MAX) -> str:
    """`name` itself if the file system takes it, else its start, a hash of the whole and its
    extension: distinct names stay distinct, and the same name always gives the same result."""
    if len(name.encode("utf-8")) <= limit:
        return name
    suffix = "".join(PurePosixPath(name).suffixes[-2:])
    suffix = suffix if len(suffix.encode("utf-8")) <= 32 else ""
    tag = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    head = name[: len(name) - len(suffix)] if suffix else name
    room = limit - len(tag.encode("utf-8")) - len(suffix.encode("utf-8"))
    head = head.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return head + tag + suffix


class LocalLandingZone:
    def __init__(self, root: Path) -> None:
        self.root = root
        for area in AREAS:
            (root / area).mkdir(parents=True, exist_ok=True)
        self._areas = {area: (root / area).resolve() for area in AREAS}

    def _path(self, key: str, area: Area) -> Path:
        """The path of `key`, refused when anything in it is a link or climbs out of its place."""
        parts = PurePosixPath(key).parts
        if not parts or any(p in ("..", ".", "") or p.startswith("/") for p in parts):
            raise ValueError(f"key outside the {area} area: {key}")
        base = self._areas[area]
        path = base.joinpath(*(fit_name(p) for p in parts))
        # Every existing component must be what it says: no link to elsewhere, at any depth.
        probe = base
        for part in path.relative_to(base).parts:
            probe = probe / part
            try:
                info = probe.lstat()
            except FileNotFoundError:
                break
            if stat.S_ISLNK(info.st_mode):
                raise LinkRefused(f"{area}/{key} is a symbolic link; links are never followed")
            if stat.S_ISREG(info.st_mode) and info.st_nlink > 1 and area == "landing":
                raise LinkRefused(f"{area}/{key} is a hard link to another file; links are never followed")
        return path

    def waiting(self, prefix: str = "") -> list[str]:
        """Regular files only, found without following any link; a link is logged (by its key,
        never its content) and left alone."""
        base = self._areas["landing"]
        found: list[str] = []
        for folder, dirs, files in os.walk(base, followlinks=False):
            for name in sorted(dirs):
                if os.path.islink(os.path.join(folder, name)):
                    log.warning("landing: folder %s is a symbolic link; not followed",
                                os.path.relpath(os.path.join(folder, name), base))
            for name in files:
                if name.startswith("."):
                    continue
                full = os.path.join(folder, name)
                key = Path(os.path.relpath(full, base)).as_posix()
                if not key.startswith(prefix):
                    continue
                info = os.lstat(full)
                if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
                    log.warning("landing: %s is a link, not a delivered file; not processed", key)
                    continue
                found.append(key)
        return sorted(found)

    def size(self, key: str, area: Area = "landing") -> int:
        return self._path(key, area).stat().st_size

    def read(self, key: str, area: Area = "landing") -> bytes:
        path = self._path(key, area)
        # O_NOFOLLOW: a link swapped in after the check above is still not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as file:
            return file.read()

    def put(self, key: str, data: bytes, area: Area = "landing") -> str:
        path = self._path(key, area)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{secrets.token_hex(8)}.part")
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
