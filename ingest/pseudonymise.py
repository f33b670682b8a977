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


PARALLEL_FROM = 50_000
WORKER_BATCH = 50_000


class PendingPseudonyms:
    """Pseudonyms computed in a separate worker process while the caller goes on.

    Hashing a million identifiers is the largest single piece of CPU work in a big delivery; a
    worker (a plain subprocess, stdin/stdout, standard library only) puts it on the other core and
    streams results back in order, so the first rows can be written while later ones are still
    being hashed. Small deliveries are hashed in-process: starting a worker would cost more.
    """

    def __init__(self, pseudonymiser: Pseudonymiser, key: bytes, values: list[str | None]) -> None:
        import threading

        self._values = values
        self._local: list[str | None] | None = None
        self._proc = None
        if len(values) < PARALLEL_FROM or any(v is not None and "\n" in v for v in values[:1000]):
            self._local = pseudonymiser.many(values)
            return
        import subprocess
        import sys

        self._proc = subprocess.Popen([sys.executable, "-m", "ingest.pseudonymise_worker"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        payload = (key.hex() + "\n" + "\n".join(v if v is not None else "" for v in values)).encode("utf-8")
        self._buffer = bytearray()
        self._done = False
        self._progress = threading.Condition()

        def feed() -> None:
            self._proc.stdin.write(payload)
            self._proc.stdin.close()

        def drain() -> None:
            while chunk := self._proc.stdout.read1(1 << 20):
                with self._progress:
                    self._buffer += chunk
                    self._progress.notify_all()
            with self._progress:
                self._done = True
                self._progress.notify_all()

        self._threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=drain, daemon=True)]
        for t in self._threads:
            t.start()

    def slice(self, start: int, stop: int) -> list[str | None]:
        """Pseudonyms of values[start:stop], waiting only until those are done."""
        if self._local is not None:
            return self._local[start:stop]
        with self._progress:
            self._progress.wait_for(lambda: len(self._buffer) >= 64 * stop or self._done)
            if len(self._buffer) < 64 * stop:
                raise RuntimeError("pseudonymisation worker stopped early")
            text = bytes(self._buffer[64 * start:64 * stop]).decode("ascii")
        out: list[str | None] = [text[i:i + 64] for i in range(0, len(text), 64)]
        for i, v in enumerate(self._values[start:stop]):
            if v is None:
                out[i] = None
        return out

    def wait(self) -> None:
        """Reap the worker (and surface its failure) without building the full list."""
        if self._proc is None:
            return
        for t in self._threads:
            t.join()
        if self._proc.wait() != 0:
            raise RuntimeError("pseudonymisation worker failed")

    def result(self) -> list[str | None]:
        if self._local is not None:
            return self._local
        out = self.slice(0, len(self._values))
        for t in self._threads:
            t.join()
        if self._proc.wait() != 0:
            raise RuntimeError("pseudonymisation worker failed")
        self._local = out
        return out
