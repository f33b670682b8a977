"""Kept originals are sealed with the archive key, opened in memory only for `infopositie reprocess`,
and deleted `archive_days` after they arrived. Real files, a real Postgres, the real command."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from config import PROJECT_ROOT
from infopositie.catalogue import CATALOGUE
from ingest.contracts import load_contract
from ingest.landing import LocalLandingZone
from ingest.landing.sealed import PlainAtRest, SealedStore
from ingest.pipeline import ingest_landing
from ingest.retention import apply
from ingest.sealing import (
    CHUNK,
    SEALED_FORM,
    ArchiveKeyFileNotPrivate,
    MissingArchiveKey,
    NotSealed,
    load_archive_key,
    seal,
    unseal,
)
from synthetic.common import Month
from synthetic.politie import generate_police

FEED = "politie_registraties"
KEY = bytes(range(32))


def catalogue_terms(feed: str) -> tuple[int, int, str]:
    """What the committed Wpg catalogue promises for a feed: rows kept (years), originals kept
    (days), and the form the originals are kept in. Tests hold the behaviour to these, not to the
    contract, so the catalogue cannot say one thing while the platform does another."""
    text = CATALOGUE.read_text(encoding="utf-8")
    section = text.split(f"(`{feed}`)", 1)[1].split("\n## ", 1)[0]
    years = re.search(r"in de vorm hieronder: tot (\d+) jaar na het einde van de periode", section)
    days = re.search(r"Origineel bestand: versleuteld \(([^)]*)\) in `archive/` of `quarantine/`.*?(\d+) dagen na"
                     r" ontvangst verwijderd", section)
    assert years and days, f"the catalogue no longer states the terms of {feed}"
    return int(years.group(1)), int(days.group(2)), days.group(1)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_seal_opens_to_the_same_bytes_at_every_chunk_boundary(size: int) -> None:
    data = os.urandom(size)
    sealed = seal(data, KEY, 7)
    assert unseal(sealed, KEY, 7) == data
    # A byte or two of random plaintext turns up in any ciphertext by chance; 16 bytes do not
    # (odds about n / 2**128), so only then does finding them mean the seal leaked plaintext.
    if size >= 16:
        assert data[:64] not in sealed


def test_a_changed_truncated_misfiled_or_wrongly_keyed_original_does_not_open() -> None:
    data = os.urandom(2 * CHUNK + 10)
    sealed = seal(data, KEY, 7)
    flipped = bytearray(sealed)
    flipped[len(flipped) // 2] ^= 1
    body = 15 + CHUNK + 16  # header, then whole first chunk
    two_chunks = sealed[:15 + 2 * (CHUNK + 16)]  # the last chunk dropped at a chunk boundary
    for bad, delivery, key in [(bytes(flipped), 7, KEY), (sealed[:-1], 7, KEY), (two_chunks, 7, KEY),
                               (sealed[:body], 7, KEY), (sealed, 8, KEY), (sealed, 7, bytes(32)), (data, 7, KEY)]:
        with pytest.raises(NotSealed):
            unseal(bad, key, delivery)


def test_archive_key_from_env_or_private_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFOPOSITIE_ARCHIVE_KEY", raising=False)
    key_file = tmp_path / "secrets" / "archive.key"
    with pytest.raises(MissingArchiveKey):
        load_archive_key(key_file)
    created = load_archive_key(key_file, create=True)
    assert len(created) == 32 and (key_file.stat().st_mode & 0o777) == 0o600
    assert load_archive_key(key_file) == created
    key_file.chmod(0o640)
    with pytest.raises(ArchiveKeyFileNotPrivate):
        load_archive_key(key_file)
    monkeypatch.setenv("INFOPOSITIE_ARCHIVE_KEY", KEY.hex())
    assert load_archive_key(key_file) == KEY


def test_the_store_refuses_to_keep_anything_plain(tmp_path: Path) -> None:
    store = SealedStore(LocalLandingZone(tmp_path / "store"), KEY)
    store.put("politie/registraties/x.csv", b"a;b\n")
    with pytest.raises(PlainAtRest):
        store.move("politie/registraties/x.csv", "archive", "x.csv")
    with pytest.raises(PlainAtRest):
        store.put("politie_registraties/x.csv", b"a;b\n", area="quarantine")


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infopositie.cli", *args], env={**os.environ, "WAREHOUSE_URL": url},
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)


def test_reprocess_round_trip_in_memory_then_originals_expire_after_archive_days(
        fresh_warehouse_url: str, pseudonym_key: bytes, archive_key: bytes, tmp_path: Path) -> None:
    url = fresh_warehouse_url
    ((key, data),) = generate_police(5, [Month.parse("2026-01")])
    store_dir = tmp_path / "store"
    zone = LocalLandingZone(store_dir)
    zone.put(key, data)
    (first,) = ingest_landing(zone, url, feeds=[FEED])
    assert first.status == "loaded" and first.stored_key.endswith(".sealed")
    assert data[:200] not in Path(first.stored_key).read_bytes()

    proc = _cli(url, "reprocess", str(first.delivery_id), "--store", str(store_dir), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = json.loads(proc.stdout)
    assert again["status"] == "loaded" and again["delivery_id"] != first.delivery_id
    assert (again["rows_received"], again["rows_loaded"]) == (first.rows_received, first.rows_loaded)
    assert zone.waiting() == []  # nothing was put back into landing, plain or otherwise
    with psycopg.connect(url) as conn:
        rows = dict(conn.execute("select delivery_id, array_agg(registratienummer_pseudoniem order by line_number)"
                                 " from raw.politie_registraties group by 1").fetchall())
        audit_rows = {r[0]: r[1:] for r in conn.execute(
            "select delivery_id, reprocess_of, is_current, superseded_by from audit.deliveries")}
        received = conn.execute("select received_at::date from audit.deliveries where delivery_id = %s",
                                (again["delivery_id"],)).fetchone()[0]
    assert rows[first.delivery_id] == rows[again["delivery_id"]]  # the same file, the same pseudonyms
    assert audit_rows[again["delivery_id"]] == (first.delivery_id, True, None)
    assert audit_rows[first.delivery_id] == (None, False, again["delivery_id"])
    sealed_again = next((store_dir / "archive").rglob(f"{again['delivery_id']}__*.sealed"))
    assert data[:200] not in sealed_again.read_bytes()

    # archive_days after arrival the sealed originals go, the rows stay; reprocess then says why not.
    _, days, form = catalogue_terms(FEED)
    assert days == load_contract(FEED).archive_days and form == SEALED_FORM
    assert apply(url, zone, received + timedelta(days=days)) == []
    purges = apply(url, zone, received + timedelta(days=days + 1))
    assert {p.rule for p in purges} == {f"archive_days={days}"} and len(purges) == 2
    assert not list((store_dir / "archive").rglob("*.sealed"))
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from raw.politie_registraties").fetchone()[0] == 2 * first.rows_loaded
    refused = _cli(url, "reprocess", str(first.delivery_id), "--store", str(store_dir))
    assert refused.returncode == 1 and "no longer kept" in refused.stderr
