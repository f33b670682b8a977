"""S3LandingZone against a real SeaweedFS, as the platform identity: the same behaviour as the folder."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from config import load_settings
from ingest.landing import LocalLandingZone, open_landing
from ingest.landing.s3 import LandingFileChanged, S3LandingZone
from ingest.landing.s3_policies import PLATFORM
from tests.s3.conftest import zone_for
from tests.s3.seaweed import SeaweedS3


def all_objects(store: SeaweedS3) -> dict[str, bytes]:
    client = store.client(PLATFORM)
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
            for o in page.get("Contents", [])]
    return {k: client.get_object(Bucket=store.bucket, Key=k)["Body"].read() for k in keys}


def test_platform_puts_lists_reads_and_moves_across_areas(store):
    zone = zone_for(store, PLATFORM)
    # written out of order, in several feeds and areas
    for key in ["riec/casussen/b.xlsx", "politie/registraties/registraties_online_202602.csv",
                "om/instroom/a.xlsx", "politie/registraties/registraties_online_202601.csv"]:
        assert zone.put(key, key.encode()) == f"s3://infopositie/landing/{key}"
    zone.put("politie_registraties/2025-12/1__old.csv", b"old", area="archive")
    zone.put("onbekend/2__x.csv", b"x", area="quarantine")
    zone.put("politie/registraties/.upload-in-progress", b"tmp")  # hidden: not a delivery

    assert zone.waiting() == ["om/instroom/a.xlsx", "politie/registraties/registraties_online_202601.csv",
                              "politie/registraties/registraties_online_202602.csv", "riec/casussen/b.xlsx"]
    assert zone.waiting("politie/") == ["politie/registraties/registraties_online_202601.csv",
                                        "politie/registraties/registraties_online_202602.csv"]
    assert zone.read("om/instroom/a.xlsx") == b"om/instroom/a.xlsx"
    assert zone.read("politie_registraties/2025-12/1__old.csv", area="archive") == b"old"

    stored = zone.move("politie/registraties/registraties_online_202601.csv", "archive",
                       "politie_registraties/2026-01/3__registraties_online_202601.csv")
    assert stored == "s3://infopositie/archive/politie_registraties/2026-01/3__registraties_online_202601.csv"
    refused = zone.move("om/instroom/a.xlsx", "quarantine", "om_instroom/4__a.xlsx")
    assert refused == "s3://infopositie/quarantine/om_instroom/4__a.xlsx"
    report = zone.put("rapporten/om_instroom/4__a.xlsx.rapport.txt", b"Geweigerd.", area="quarantine")
    assert report == "s3://infopositie/quarantine/rapporten/om_instroom/4__a.xlsx.rapport.txt"

    assert zone.waiting() == ["politie/registraties/registraties_online_202602.csv", "riec/casussen/b.xlsx"]
    assert not zone.exists("politie/registraties/registraties_online_202601.csv")
    assert zone.exists("politie_registraties/2026-01/3__registraties_online_202601.csv", "archive")
    assert zone.read("politie_registraties/2026-01/3__registraties_online_202601.csv", "archive") == \
        b"politie/registraties/registraties_online_202601.csv"
    assert set(all_objects(store)) == {
        "landing/politie/registraties/registraties_online_202602.csv", "landing/riec/casussen/b.xlsx",
        "landing/politie/registraties/.upload-in-progress",
        "archive/politie_registraties/2025-12/1__old.csv",
        "archive/politie_registraties/2026-01/3__registraties_online_202601.csv",
        "quarantine/onbekend/2__x.csv", "quarantine/om_instroom/4__a.xlsx",
        "quarantine/rapporten/om_instroom/4__a.xlsx.rapport.txt",
    }


def _scenario(zone) -> list:
    """Every protocol call, with the observable outcomes (locations differ in form, so not those)."""
    seen: list = []
    for key, data in [("politie/registraties/z.csv", b"z"), ("cbs/bevolking/a.csv", b"a;b\n1;2\n"),
                      ("politie/registraties/sub/m.csv", "één;€\n".encode()), ("politie/.hidden", b"h")]:
        zone.put(key, data)
    zone.put("x/1__old.csv", b"old", area="archive")
    seen.append(zone.waiting())
    seen.append(zone.waiting("politie/registraties/"))
    seen.append(zone.waiting("politie/registraties/s"))
    seen.append(zone.waiting("nobody/"))
    seen.append(zone.read("politie/registraties/sub/m.csv"))
    zone.move("politie/registraties/z.csv", "archive", "politie_registraties/5__z.csv")
    zone.move("cbs/bevolking/a.csv", "quarantine", "bevolking/6__a.csv")
    zone.put("politie/registraties/z.csv", b"z2")  # redelivered under the same name
    seen.append(zone.waiting())
    seen.append([zone.exists(k, a) for k, a in [("politie/registraties/z.csv", "landing"),
                                                ("cbs/bevolking/a.csv", "landing"),
                                                ("politie_registraties/5__z.csv", "archive"),
                                                ("bevolking/6__a.csv", "quarantine"),
                                                ("bevolking/6__a.csv", "archive")]])
    seen.append([zone.read("politie_registraties/5__z.csv", "archive"), zone.read("bevolking/6__a.csv", "quarantine"),
                 zone.read("politie/registraties/z.csv")])
    for attempt in (lambda: zone.read("politie/registraties/none.csv"),
                    lambda: zone.move("politie/registraties/none.csv", "archive", "n.csv"),
                    lambda: zone.read("../landing/x", "archive")):
        try:
            attempt()
            seen.append("no error")
        except (FileNotFoundError, ValueError) as err:
            seen.append(type(err).__name__)
    return seen


def test_behaves_like_the_local_landing_zone(store, tmp_path: Path):
    local = _scenario(LocalLandingZone(tmp_path / "store"))
    remote = _scenario(zone_for(store, PLATFORM))
    assert remote == local
    assert local[0] == ["cbs/bevolking/a.csv", "politie/registraties/sub/m.csv", "politie/registraties/z.csv"]


def test_large_object_is_archived_byte_for_byte(store):
    # Larger than SeaweedFS's 4 MB chunk size, so the object is stored in several chunks.
    data = os.urandom(3 * 1024 * 1024) * 4 + b"tail"
    zone = zone_for(store, PLATFORM)
    zone.put("politie/registraties/registraties_online_202603.csv", data)
    assert hashlib.sha256(zone.read("politie/registraties/registraties_online_202603.csv")).digest() == \
        hashlib.sha256(data).digest()
    zone.move("politie/registraties/registraties_online_202603.csv", "archive", "p/7__r.csv")
    assert hashlib.sha256(zone.read("p/7__r.csv", "archive")).digest() == hashlib.sha256(data).digest()
    assert zone.waiting() == []


def test_file_replaced_after_reading_is_not_archived(store):
    zone = zone_for(store, PLATFORM)
    zone.put("politie/registraties/r.csv", b"first version")
    assert zone.read("politie/registraties/r.csv") == b"first version"
    zone_for(store, "politie").put("politie/registraties/r.csv", b"second version")
    with pytest.raises(LandingFileChanged):
        zone.move("politie/registraties/r.csv", "archive", "p/8__r.csv")
    assert zone.read("politie/registraties/r.csv") == b"second version"
    assert not zone.exists("p/8__r.csv", "archive")


def test_copy_is_conditional_on_the_bytes_that_were_checked(store):
    """The window between our check and the copy is closed by the store (CopySourceIfMatch)."""
    client = store.client(PLATFORM)
    client.put_object(Bucket=store.bucket, Key="landing/a.csv", Body=b"a")
    with pytest.raises(client.exceptions.ClientError) as refused:
        client.copy_object(Bucket=store.bucket, Key="archive/a.csv",
                           CopySource={"Bucket": store.bucket, "Key": "landing/a.csv"},
                           CopySourceIfMatch='"0123456789abcdef0123456789abcdef"')
    assert refused.value.response["Error"]["Code"] in ("PreconditionFailed", "412")


@pytest.mark.parametrize("key", ["", "/politie/x.csv", "politie//x.csv", "politie/../archive/x.csv", "./x.csv"])
def test_keys_outside_the_area_are_refused_before_any_request(store, key):
    zone = zone_for(store, PLATFORM)
    with pytest.raises(ValueError):
        zone.put(key, b"x")
    assert all_objects(store) == {}


def test_opened_from_an_s3_url_with_endpoint_and_keys_from_the_environment(store, monkeypatch):
    access, secret = store.credentials[PLATFORM]
    monkeypatch.setenv("INFOPOSITIE_S3_ENDPOINT", store.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("INFOPOSITIE_LANDING", "s3://infopositie/acceptatie/")
    zone = open_landing(load_settings().landing_url)
    assert isinstance(zone, S3LandingZone)
    assert zone.describe() == "s3://infopositie/acceptatie/landing/"
    assert zone.put("om/instroom/a.xlsx", b"a") == "s3://infopositie/acceptatie/landing/om/instroom/a.xlsx"
    assert zone.waiting() == ["om/instroom/a.xlsx"]
    assert set(all_objects(store)) == {"acceptatie/landing/om/instroom/a.xlsx"}


def test_wrong_keys_from_the_environment_are_refused(store, monkeypatch):
    monkeypatch.setenv("INFOPOSITIE_S3_ENDPOINT", store.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", store.credentials[PLATFORM][0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(PermissionError, match="SignatureDoesNotMatch"):
        S3LandingZone.from_url("s3://infopositie").waiting()


@pytest.mark.parametrize("url", ["s3://", "http://infopositie", "s3:///landing"])
def test_bad_urls_are_refused(url):
    with pytest.raises(ValueError):
        S3LandingZone.from_url(url)
