"""Worker process for PendingPseudonyms: key (hex) on the first line of stdin, then one value
per line; writes the 64-character HMAC-SHA256 hex digests back-to-back on stdout.
Standard library only, so it starts in milliseconds."""
import hashlib
import hmac
import sys


def main() -> None:
    data = sys.stdin.buffer.read().decode("utf-8")
    key_hex, _, rest = data.partition("\n")
    base = hmac.new(bytes.fromhex(key_hex), digestmod=hashlib.sha256)
    values = rest.split("\n")
    out = sys.stdout.buffer
    # In batches, flushed: the caller starts writing the first rows while the rest is hashed.
    for start in range(0, len(values), 50_000):
        digests = []
        append = digests.append
        for value in values[start:start + 50_000]:
            h = base.copy()
            h.update(value.strip().encode("utf-8"))
            append(h.hexdigest())
        out.write("".join(digests).encode("ascii"))
        out.flush()


if __name__ == "__main__":
    main()
