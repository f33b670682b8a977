"""Kept originals are sealed: encrypted and authenticated with the archive key, never plain at rest.

Why chunked AES-256-GCM rather than Fernet (both from `cryptography`): Fernet is AES-128-CBC with
HMAC over one base64 token, so a file costs a third more space and must be held whole, twice, to
seal or open; AES-GCM seals raw bytes and `cryptography` takes at most 2**31-1 bytes per call.
Sealing in chunks of 1 MiB (the STREAM construction: a random nonce prefix per object, the
chunk's counter and a last-chunk flag in each nonce) has no size limit, needs one chunk of working
memory beyond the buffers themselves, and any reordered, dropped, truncated or appended chunk
fails to open. The delivery id is authenticated with every chunk, so a sealed original cannot be
passed off as another delivery's.

The archive key is a separate key from the pseudonym key: it opens every original, so it is held
apart (INFOPOSITIE_ARCHIVE_KEY as hex, or the key file INFOPOSITIE_ARCHIVE_KEY_FILE, refused when
group or others may read or write it; the demo creates a local one under .infopositie/secrets).
"""
from __future__ import annotations

import os
import secrets
import stat
import struct
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from config import Env
from ingest.key_files import create_key_file

MAGIC = b"IPA1"
CHUNK = 1 << 20
NONCE_PREFIX = 7
TAG = 16
_HEADER = struct.Struct(f">4s{NONCE_PREFIX}sI")  # magic, nonce prefix, chunk size
SEALED_SUFFIX = ".sealed"
# How the catalogue (infopositie/catalogue.py) names this form to a reader of docs/catalogus_wpg20.md.
SEALED_FORM = "AES-256-GCM in blokken van 1 MiB"


class MissingArchiveKey(RuntimeError):
    pass


class ArchiveKeyFileNotPrivate(RuntimeError):
    """Whoever can read the archive key can read every kept original; whoever can write it can
    make the platform seal the next ones under a key of their choosing."""


class NotSealed(ValueError):
    """The bytes are not a sealed original, or not this delivery's, or were changed."""


def load_archive_key(key_file: Path, *, create: bool = False) -> bytes:
    """The 32-byte archive key, from the environment or the key file (created only when asked)."""
    env = os.environ.get(Env.ARCHIVE_KEY)
    if env:
        return _checked(bytes.fromhex(env.strip()))
    if key_file.exists():
        mode = stat.S_IMODE(key_file.stat().st_mode)  # follows symlinks: a mounted secret is judged by its file
        if mode & 0o077:
            raise ArchiveKeyFileNotPrivate(
                f"Archive key file {key_file} is accessible to group or others (mode {mode:04o}); "
                f"only its owner may read it. Fix: chmod 600 {key_file}")
        return _checked(bytes.fromhex(key_file.read_text().strip()))
    if not create:
        raise MissingArchiveKey(
            f"No archive key: set {Env.ARCHIVE_KEY} or create {key_file} (the demo does this for you; "
            "production reads it from the secrets store). Originals are never kept unencrypted.")
    return bytes.fromhex(create_key_file(key_file))


def _checked(key: bytes) -> bytes:
    if len(key) != 32:
        raise ValueError(f"the archive key must be 32 bytes (64 hex digits), not {len(key)}")
    return key


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I?", index, last)


def seal(data: bytes, key: bytes, delivery_id: int) -> bytes:
    prefix = secrets.token_bytes(NONCE_PREFIX)
    header = _HEADER.pack(MAGIC, prefix, CHUNK)
    aad = header + str(delivery_id).encode()
    aead = AESGCM(key)
    view = memoryview(data)
    count = max(1, -(-len(data) // CHUNK))
    if count >= 2**32:
        raise ValueError("file too large to seal")
    parts = [header]
    for i in range(count):
        parts.append(aead.encrypt(_nonce(prefix, i, i == count - 1), view[i * CHUNK:(i + 1) * CHUNK], aad))
    return b"".join(parts)


def unseal(blob: bytes, key: bytes, delivery_id: int) -> bytes:
    """The original, in memory only; raises NotSealed when anything about it does not check out."""
    from cryptography.exceptions import InvalidTag

    if len(blob) < _HEADER.size + TAG or blob[:4] != MAGIC:
        raise NotSealed("not a sealed original")
    magic, prefix, chunk = _HEADER.unpack_from(blob)
    aad = blob[:_HEADER.size] + str(delivery_id).encode()
    aead = AESGCM(key)
    body = memoryview(blob)[_HEADER.size:]
    step = chunk + TAG
    count = max(1, -(-len(body) // step))
    parts = []
    try:
        for i in range(count):
            parts.append(aead.decrypt(_nonce(prefix, i, i == count - 1), body[i * step:(i + 1) * step], aad))
    except InvalidTag as err:
        raise NotSealed("the sealed original does not open with this key for this delivery, or was changed") from err
    return b"".join(parts)
