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
    out = []
    append = out.append
    for value in rest.split("\n"):
        h = base.copy()
        h.update(value.encode("utf-8"))
        append(h.hexdigest())
    sys.stdout.buffer.write("".join(out).encode("ascii"))


if __name__ == "__main__":
    main()
