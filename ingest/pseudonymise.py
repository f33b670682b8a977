"""Keyed pseudonyms (HMAC-SHA256) for identifiers marked `pseudonymise`.

The same input and key always give the same pseudonym, so records stay joinable across
deliveries, while without the key the original cannot be recovered or confirmed by guessing.
The key never lives in the repository: it comes from INFOPOSITIE_PSEUDONYM_KEY or from the key
file (INFOPOSITIE_PSEUDONYM_KEY_FILE; the demo creates a local one on first run). Both hold it
in one of two forms:
- `text:` and 64 hex characters, what this platform creates: the HMAC key is that text (64 ASCII
  bytes, 256 random bits). A text key lets polars-hash hash a large column in native code
  (its HMAC takes the key as a string), about 6x less CPU than the standard library;
- 64 hex characters without the prefix, the keys made before: the HMAC key is the 32 bytes they
  encode. They keep every pseudonym they made; a large column is hashed in the worker process.
Both give exactly `hmac.new(key, value, sha256)` (tests/ingest/test_pseudonymise.py).
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa

from config import Env
from ingest.hmac_sha256 import KeyedHash
from ingest.key_files import create_key_file


class MissingKey(RuntimeError):
    pass


class KeyFileNotPrivate(RuntimeError):
    """The key file grants access to group or others: anyone who can read the key can confirm a
    guessed identifier against its pseudonym, which undoes the pseudonymisation."""


def _require_private(key_file: Path) -> None:
    # stat() follows symlinks, so a Kubernetes-style secret (a symlink into ..data/) is judged by
    # the file that holds the key. Write access for others is refused too: whoever can replace the
    # key changes every pseudonym from then on.
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        raise KeyFileNotPrivate(
            f"Pseudonymisation key file {key_file} is accessible to group or others "
            f"(mode {mode:04o}); only its owner may read it. Fix: chmod 600 {key_file}"
        )


TEXT_KEY = "text:"


def parse_key(text: str) -> bytes:
    """The HMAC key a key file or INFOPOSITIE_PSEUDONYM_KEY holds (see the module's docstring)."""
    text = text.strip()
    if text.startswith(TEXT_KEY):
        return text.removeprefix(TEXT_KEY).encode("utf-8")
    return bytes.fromhex(text)


def load_key(key_file: Path, *, create: bool = False) -> bytes:
    env = os.environ.get(Env.PSEUDONYM_KEY)
    if env:
        return parse_key(env)
    if key_file.exists():
        _require_private(key_file)
        return parse_key(key_file.read_text())
    if not create:
        raise MissingKey(
            f"No pseudonymisation key: set INFOPOSITIE_PSEUDONYM_KEY or create {key_file} "
            "(the demo does this for you; production reads it from the secrets store)."
        )
    return parse_key(create_key_file(key_file, prefix=TEXT_KEY))


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("pseudonymisation key must be at least 16 bytes")
        self._keyed = KeyedHash(key)
        # The same key as text, for polars-hash; None for a key that is not valid UTF-8.
        try:
            self.text_key: str | None = key.decode("utf-8")
        except UnicodeDecodeError:
            self.text_key = None

    def one(self, value: str) -> str:
        return self._keyed.digest(value.encode("utf-8")).hex()

    def many(self, values: Iterable[str | None]) -> list[str | None]:
        digest = self._keyed.digest
        return [None if v is None else digest(v.encode("utf-8")).hex() for v in values]


PARALLEL_FROM = 50_000


def _string_buffers(values: pa.Array) -> tuple[np.ndarray, memoryview, np.ndarray]:
    """An Arrow string column as (offsets from 0, its bytes, validity): what the worker reads,
    without a Python object per value."""
    values = values.cast(pa.large_string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset:values.offset + len(values) + 1]
    data = values.buffers()[2]
    first, last = int(offsets[0]), int(offsets[-1])
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    return offsets - first, memoryview(data)[first:last] if data is not None else memoryview(b""), valid


def _native_hmac(values: pa.Array, text_key: str) -> pa.Array:
    """HMAC-SHA256 hex digests of a string column, in polars-hash's native code (nulls stay null)."""
    import polars as pl
    import polars_hash  # noqa: F401  (registers the .chash namespace)

    column = pl.from_arrow(values)
    digests = column.to_frame("v").select(pl.col("v").chash.hmac_sha256(key=text_key)).to_series()
    return digests.to_arrow().cast(pa.string())


class PendingPseudonyms:
    """Pseudonyms computed alongside the caller's work.

    Hashing a million identifiers is the largest single piece of CPU work in a big delivery. With a
    text key, polars-hash hashes the column in native code on a thread (polars releases the GIL).
    With a key from before, a worker (a plain subprocess, stdin/stdout, standard library only)
    puts it on the other core and streams results back in order, so the first rows can be written
    while later ones are still being hashed. Small deliveries are hashed in-process: starting
    either would cost more.
    """

    def __init__(self, pseudonymiser: Pseudonymiser, key: bytes, values: pa.Array | pa.ChunkedArray | list) -> None:
        import threading

        if isinstance(values, list):
            values = pa.array(values, type=pa.string())
        elif isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        self._n = len(values)
        self._local: list[str | None] | None = None
        self._proc = None
        self._native: pa.Array | None = None
        if self._n < PARALLEL_FROM:
            self._local = pseudonymiser.many(values.to_pylist())
            return
        if pseudonymiser.text_key is not None:
            self._start_native(values, pseudonymiser.text_key)
            return
        import subprocess
        import sys

        offsets, data, self._valid = _string_buffers(values)
        self._proc = subprocess.Popen([sys.executable, "-m", "ingest.pseudonymise_worker"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._buffer = bytearray()
        self._done = False
        self._progress = threading.Condition()

        def feed() -> None:
            stdin = self._proc.stdin
            stdin.write(key.hex().encode("ascii") + b"\n" + self._n.to_bytes(8, "little"))
            stdin.write(offsets.astype("<i8").tobytes())
            stdin.write(data)
            stdin.close()

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

    def _start_native(self, values: pa.Array, text_key: str) -> None:
        import threading

        self._failure: BaseException | None = None

        def run() -> None:
            try:
                self._native = _native_hmac(values, text_key)
            except BaseException as failure:  # noqa: BLE001 - surfaced to the caller by slice() and wait()
                self._failure = failure

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def _native_done(self) -> pa.Array:
        self._thread.join()
        if self._failure is not None:
            raise RuntimeError("pseudonymisation (polars-hash) failed") from self._failure
        assert self._native is not None
        return self._native

    def slice(self, start: int, stop: int) -> pa.Array:
        """Pseudonyms of values[start:stop] as an Arrow string array (null for an empty
        value), waiting only until those are done."""
        if self._local is not None:
            return pa.array(self._local[start:stop], type=pa.string())
        if self._proc is None:
            return self._native_done().slice(start, stop - start)
        with self._progress:
            self._progress.wait_for(lambda: len(self._buffer) >= 64 * stop or self._done)
            if len(self._buffer) < 64 * stop:
                raise RuntimeError("pseudonymisation worker stopped early")
            hexes = pa.py_buffer(bytes(self._buffer[64 * start:64 * stop]))
        n = stop - start
        offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * 64).tobytes())
        valid = self._valid[start:stop]
        mask = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
        return pa.StringArray.from_buffers(n, offsets, hexes, mask)

    def wait(self) -> None:
        """Reap the worker (and surface its failure) without building the full list."""
        if self._proc is None:
            if self._local is None:
                self._native_done()
            return
        for t in self._threads:
            t.join()
        if self._proc.wait() != 0:
            raise RuntimeError("pseudonymisation worker failed")

    def result(self) -> list[str | None]:
        if self._local is not None:
            return self._local
        out = self.slice(0, self._n).to_pylist()
        self.wait()
        self._local = out
        return out
