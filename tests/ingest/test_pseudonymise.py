"""The pseudonym is HMAC-SHA256 exactly as the standard library computes it, whichever path
(in-process, polars-hash for a text key, or the worker process for a key from before) makes it."""
from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from ingest.pseudonymise import PARALLEL_FROM, KeyFileNotPrivate, PendingPseudonyms, Pseudonymiser, load_key

VALUES = ["PL0900-2026000001", "", " met spatie ", "é€ß", "x" * 200, "a\nb"]


@pytest.mark.parametrize("key", [bytes(range(16)), bytes(range(32)), bytes(range(64)), bytes(200)],
                         ids=["16 bytes", "32 bytes", "one block", "longer than a block"])
def test_pseudonym_is_standard_hmac_sha256(key):
    expected = [hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest() for v in VALUES]
    assert [Pseudonymiser(key).one(v) for v in VALUES] == expected
    assert Pseudonymiser(key).many(VALUES + [None]) == expected + [None]


def test_worker_gives_the_same_pseudonyms_for_a_sliced_arrow_column():
    key = bytes(range(128, 160))  # not valid UTF-8, as almost every key made before text keys
    values = [None if i % 97 == 0 else f"id-{i}-{VALUES[i % len(VALUES)]}" for i in range(PARALLEL_FROM + 10)]
    column = pa.array(["skip"] * 5 + values, type=pa.string()).slice(5)  # a non-zero offset
    pending = PendingPseudonyms(Pseudonymiser(key), key, column)
    assert pending._proc is not None  # the worker path, not the in-process one
    expected = [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert pending.slice(90, 200).to_pylist() == expected[90:200]
    assert pending.result() == expected


@pytest.mark.parametrize("key", [b"0123456789abcdef" * 4, "sleutel-é€ß-0123456789".encode(), b"k" * 100],
                         ids=["the created form", "non-ASCII text", "longer than a block"])
def test_polars_hash_gives_the_same_pseudonyms_for_a_text_key(key: bytes):
    values = [None if i % 97 == 0 else f"id-{i}-{VALUES[i % len(VALUES)]}" for i in range(PARALLEL_FROM + 10)]
    column = pa.array(["skip"] * 5 + values, type=pa.string()).slice(5)
    pending = PendingPseudonyms(Pseudonymiser(key), key, column)
    assert pending._proc is None and pending._local is None  # neither the worker nor the loop
    expected = [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert pending.slice(90, 200).type == pa.string()
    assert pending.slice(90, 200).to_pylist() == expected[90:200]
    assert pending.result() == expected


@pytest.fixture()
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key file as production mounts it; the environment key (the test default) is unset so
    load_key really reads the file."""
    monkeypatch.delenv("INFOPOSITIE_PSEUDONYM_KEY", raising=False)
    path = tmp_path / "secrets" / "pseudonym.key"
    path.parent.mkdir()
    path.write_text(bytes(range(32)).hex() + "\n")
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o620, 0o602, 0o666])
def test_a_key_file_open_to_group_or_others_is_refused(key_file: Path, mode: int):
    key_file.chmod(mode)
    with pytest.raises(KeyFileNotPrivate) as refused:
        load_key(key_file)
    message = str(refused.value)
    assert str(key_file) in message and f"chmod 600 {key_file}" in message
    assert f"{mode:04o}" in message
    assert bytes(range(32)).hex() not in message  # the key itself never appears


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_key_file_only_its_owner_can_read_is_used(key_file: Path, mode: int):
    key_file.chmod(mode)
    assert load_key(key_file) == bytes(range(32))


def test_the_mode_of_the_file_behind_a_symlink_counts(key_file: Path, tmp_path: Path):
    # Kubernetes mounts secrets as symlinks into a ..data folder; the link itself is always 0777.
    key_file.chmod(0o600)
    link = tmp_path / "link.key"
    link.symlink_to(key_file)
    assert load_key(link) == bytes(range(32))
    key_file.chmod(0o644)
    with pytest.raises(KeyFileNotPrivate, match="chmod 600"):
        load_key(link)


def test_the_key_the_demo_creates_is_private_and_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("INFOPOSITIE_PSEUDONYM_KEY", raising=False)
    path = tmp_path / "home" / "secrets" / "pseudonym.key"
    old_umask = os.umask(0o022)  # the usual umask: it must not widen the file's mode
    try:
        created = load_key(path, create=True)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # A text key: "text:" and 64 hex digits (256 random bits), used as those 64 characters.
    text = path.read_text()
    assert text.startswith("text:") and len(created) == 64 and created == text[5:].encode()
    int(created, 16)
    assert load_key(path) == created
    assert Pseudonymiser(created).text_key == text[5:]


def test_a_text_key_is_its_text_and_a_key_from_before_its_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INFOPOSITIE_PSEUDONYM_KEY", "text:" + "ab" * 32)
    assert load_key(tmp_path / "absent.key") == b"ab" * 32
    monkeypatch.setenv("INFOPOSITIE_PSEUDONYM_KEY", "ab" * 32)
    assert load_key(tmp_path / "absent.key") == bytes([0xAB]) * 32
    assert Pseudonymiser(bytes([0xAB]) * 32).text_key is None


def test_the_environment_key_needs_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INFOPOSITIE_PSEUDONYM_KEY", bytes(range(16)).hex())
    assert load_key(tmp_path / "absent.key") == bytes(range(16))
