"""Key files of the platform's secrets (the pseudonymisation key, the archive key): created once,
readable by their owner only."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def create_key_file(key_file: Path, *, prefix: str = "") -> str:
    """A new random 32-byte key, written as hex after `prefix` to `key_file` (0600, in a 0700
    folder); returns what it wrote. Refuses to overwrite an existing file."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.parent.chmod(0o700)
    text = prefix + secrets.token_bytes(32).hex()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return text
