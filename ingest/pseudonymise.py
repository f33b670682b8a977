"""Keyed pseudonyms (HMAC-SHA256) for identifiers marked `pseudonymise`.

The same input and key always give the same pseudonym, so records stay joinable across
deliveries, while without the key the original cannot be recovered or confirmed by guessing.
The key never lives in the repository: it comes from INFOPOSITIE_PSEUDONYM_KEY (hex) or from
the key file (INFOPOSITIE_PSEUDONYM_KEY_FILE; the demo creates a local one on first run).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path


class MissingKey(RuntimeError):
    pass


def load_key(key_file: Path, *, create: bool = False) -> bytes:
    env = os.environ.get("INFOPOSITIE_PSEUDONYM_KEY")
    if env:
        return bytes.fromhex(env.strip())
    if key_file.exists():
        return bytes.fromhex(key_file.read_text().strip())
    if not create:
        raise MissingKey(
            f"No pseudonymisation key: set INFOPOSITIE_PSEUDONYM_KEY or create {key_file} "
            "(the demo does this for you; production reads it from the secrets store)."
        )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.parent.chmod(0o700)
    key = secrets.token_bytes(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex())
    return key


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("pseudonymisation key must be at least 16 bytes")
        # Keying HMAC once and copying the state per value halves the cost on large files.
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def one(self, value: str) -> str:
        h = self._base.copy()
        h.update(value.encode("utf-8"))
        return h.hexdigest()

    def many(self, values: Iterable[str | None]) -> list[str | None]:
        base = self._base
        out: list[str | None] = []
        append = out.append
        for v in values:
            if v is None:
                append(None)
            else:
                h = base.copy()
                h.update(v.encode("utf-8"))
                append(h.hexdigest())
        return out
