"""Worker process for PendingPseudonyms. Standard library only, so it starts in milliseconds.

stdin: the key (hex) and a newline, the number of values n (8 bytes, little-endian), n + 1 value
offsets (8 bytes each, little-endian) and the values' UTF-8 bytes back to back, exactly as an
Arrow string column holds them, so the caller sends its column's buffers without building a
Python object per value. stdout: the 64-character HMAC-SHA256 hex digests back to back, flushed
in batches, so that the caller can write the first rows while the rest is still being hashed.
"""
import sys
from array import array

from ingest.hmac_sha256 import KeyedHash

BATCH = 50_000


def main() -> None:
    stdin = sys.stdin.buffer
    keyed = KeyedHash(bytes.fromhex(stdin.readline().decode("ascii").strip()))
    n = int.from_bytes(stdin.read(8), "little")
    offsets = array("q")
    offsets.frombytes(stdin.read(8 * (n + 1)))
    if sys.byteorder != "little":
        offsets.byteswap()
    data = memoryview(stdin.read())
    out = sys.stdout.buffer
    for start in range(0, n, BATCH):
        stop = min(start + BATCH, n)
        out.write(keyed.hex_digests(data, offsets, start, stop))
        out.flush()


if __name__ == "__main__":
    main()
