"""The whole ingest with the landing zone in a real SeaweedFS bucket and a real Postgres.

The partner delivers with its own (store-restricted) keys; the pipeline runs as the platform.
"""
from __future__ import annotations

import hashlib

import psycopg
import pytest

from ingest.landing.s3_policies import PLATFORM
from ingest.pipeline import ingest_landing
from ingest.sealing import unseal
from tests.conftest import ARCHIVE_KEY
from tests.ingest.helpers import HEADER, csv_bytes, current_rows, valid_rows
from tests.s3.conftest import zone_for
from tests.s3.test_landing_s3 import all_objects

NAME = "registraties_online_202601.csv"
KEY = f"politie/registraties/{NAME}"


@pytest.fixture()
def url(fresh_warehouse_url: str, pseudonym_key: bytes) -> str:
    return fresh_warehouse_url


def deliveries(url: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        cur = conn.execute("select * from audit.deliveries order by delivery_id")
        names = [c.name for c in cur.description]
        return [dict(zip(names, r)) for r in cur]


def test_partner_delivery_is_loaded_and_archived_in_the_bucket(store, url):
    good = csv_bytes(valid_rows(12))
    broken = csv_bytes(valid_rows(3), header=[h for h in HEADER if h != "modus"])
    partner = zone_for(store, "politie")
    partner.put(KEY, good)
    partner.put("politie/registraties/registraties_online_202602.csv", broken)

    results = ingest_landing(zone_for(store, PLATFORM), url)

    by_file = {r.file: r for r in results}
    loaded, refused = by_file[KEY], by_file["politie/registraties/registraties_online_202602.csv"]
    assert (loaded.status, loaded.rows_received, loaded.rows_loaded, loaded.rows_rejected) == ("loaded", 12, 12, 0)
    assert refused.status == "quarantined" and "'modus'" in refused.reasons[0]
    assert len(current_rows(url)) == 12

    objects = all_objects(store)
    archived = f"archive/politie_registraties/2026-01/{loaded.delivery_id}__{NAME}.sealed"
    assert loaded.stored_key == f"s3://infopositie/{archived}"
    assert unseal(objects[archived], ARCHIVE_KEY, loaded.delivery_id) == good  # sealed, byte for byte inside
    assert good not in objects[archived]
    quarantined = f"quarantine/politie_registraties/{refused.delivery_id}__registraties_online_202602.csv.sealed"
    report = (f"quarantine/rapporten/politie_registraties/{refused.delivery_id}"
              "__registraties_online_202602.csv.rapport.txt")
    assert unseal(objects[quarantined], ARCHIVE_KEY, refused.delivery_id) == broken
    assert refused.report_key == f"s3://infopositie/{report}"
    assert "GEWEIGERD" in objects[report].decode("utf-8") and "'modus'" in objects[report].decode("utf-8")
    assert not [k for k in objects if k.startswith("landing/")]  # nothing left waiting

    audit = {d["delivery_id"]: d for d in deliveries(url)}
    assert audit[loaded.delivery_id]["stored_key"] == loaded.stored_key
    assert audit[loaded.delivery_id]["sha256"] == hashlib.sha256(good).hexdigest()
    assert audit[loaded.delivery_id]["object_key"] == KEY and audit[loaded.delivery_id]["partner"] == "politie"
    assert audit[refused.delivery_id]["report_key"] == refused.report_key


def test_duplicate_upload_is_recognised(store, url):
    data = csv_bytes(valid_rows(5))
    partner, platform = zone_for(store, "politie"), zone_for(store, PLATFORM)
    partner.put(KEY, data)
    (first,) = ingest_landing(platform, url)
    partner.put(KEY, data)  # the same file again, e.g. an upload tool retrying
    (second,) = ingest_landing(platform, url)

    assert (first.status, second.status) == ("loaded", "duplicate")
    assert str(first.delivery_id) in second.reasons[0]
    assert len(current_rows(url)) == 5
    assert second.stored_key == (f"s3://infopositie/archive/politie_registraties/dubbel/{second.delivery_id}__{NAME}"
                                 ".sealed")
    objects = all_objects(store)
    originals = {k: v for k, v in objects.items() if k.startswith("archive/")}
    opened = [unseal(v, ARCHIVE_KEY, int(k.rsplit("/", 1)[1].split("__")[0])) for k, v in originals.items()]
    assert len(originals) == 2 and opened == [data, data]
    assert platform.waiting() == []
    assert [d["status"] for d in deliveries(url)] == ["loaded", "duplicate"]
    assert deliveries(url)[1]["duplicate_of"] == first.delivery_id
