"""Partner identities: the STORE refuses anything outside the partner's own landing folder(s).

Every refusal here comes from SeaweedFS itself (raw boto3 calls, no code of ours in between), with
the generated identities config loaded by the server.
"""
from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from ingest.landing.s3_policies import PLATFORM, delivery_prefixes
from tests.s3.conftest import TEMPLATED_PARTNERS, zone_for
from tests.s3.test_landing_s3 import all_objects

OWN = "landing/politie/registraties/"


def error_code(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def test_politie_writes_its_own_folder_and_nothing_else(store):
    politie = store.client("politie")
    politie.put_object(Bucket=store.bucket, Key=OWN + "registraties_online_202601.csv", Body=b"a;b\n")
    assert zone_for(store, "politie").put("politie/registraties/registraties_online_202602.csv", b"c;d\n") == \
        "s3://infopositie/landing/politie/registraties/registraties_online_202602.csv"

    refused_puts = ["landing/om/instroom/instroom_2026Q1.xlsx",   # another partner's folder
                    "archive/politie_registraties/2026-01/1__x.csv", "quarantine/x.csv",
                    "landing/politie/x.csv",                      # beside its feed folder
                    "landing/politie/registratiesX/x.csv",        # a sibling that merely starts the same
                    "landing/x.csv", "x.csv"]
    for key in refused_puts:
        assert error_code(lambda: politie.put_object(Bucket=store.bucket, Key=key, Body=b"x")) == "AccessDenied", key

    # moving its own file out of landing (copy into archive) is refused too
    assert error_code(lambda: politie.copy_object(
        Bucket=store.bucket, Key="archive/x.csv",
        CopySource={"Bucket": store.bucket, "Key": OWN + "registraties_online_202601.csv"},
    )) == "AccessDenied"
    # and our own zone class passes the store's refusal on as the folder would
    with pytest.raises(PermissionError, match="AccessDenied"):
        zone_for(store, "politie").put("om/instroom/instroom_2026Q1.xlsx", b"x")

    assert set(all_objects(store)) == {OWN + "registraties_online_202601.csv", OWN + "registraties_online_202602.csv"}


def test_politie_cannot_read_list_or_delete_what_others_delivered(store):
    platform, politie = store.client(PLATFORM), store.client("politie")
    platform.put_object(Bucket=store.bucket, Key="landing/om/instroom/instroom_2026Q1.xlsx", Body=b"om")
    platform.put_object(Bucket=store.bucket, Key="archive/politie_registraties/1__a.csv", Body=b"archived")
    platform.put_object(Bucket=store.bucket, Key=OWN + "own.csv", Body=b"own")

    assert error_code(lambda: politie.get_object(Bucket=store.bucket,
                                                 Key="landing/om/instroom/instroom_2026Q1.xlsx")) == "AccessDenied"
    assert error_code(lambda: politie.get_object(Bucket=store.bucket,
                                                 Key="archive/politie_registraties/1__a.csv")) == "AccessDenied"
    assert error_code(lambda: politie.delete_object(Bucket=store.bucket,
                                                    Key="landing/om/instroom/instroom_2026Q1.xlsx")) == "AccessDenied"
    assert error_code(lambda: politie.list_objects_v2(Bucket=store.bucket, Prefix="landing/")) == "AccessDenied"
    assert error_code(lambda: politie.list_objects_v2(Bucket=store.bucket)) == "AccessDenied"
    assert error_code(lambda: politie.create_bucket(Bucket="politie-eigen")) == "AccessDenied"
    # its own folder it may check
    assert [o["Key"] for o in politie.list_objects_v2(Bucket=store.bucket, Prefix=OWN)["Contents"]] == [OWN + "own.csv"]
    assert politie.get_object(Bucket=store.bucket, Key=OWN + "own.csv")["Body"].read() == b"own"
    assert set(all_objects(store)) == {"landing/om/instroom/instroom_2026Q1.xlsx",
                                       "archive/politie_registraties/1__a.csv", OWN + "own.csv"}


def test_dot_segments_cannot_climb_out_of_the_folder(store):
    politie = store.client("politie")
    for key in [OWN + "../../om/instroom/x.csv", OWN + "../../../archive/x.csv", OWN + "./x.csv"]:
        assert error_code(lambda: politie.put_object(Bucket=store.bucket, Key=key, Body=b"x")) in (
            "AccessDenied", "InvalidRequest", "InvalidArgument"), key
    assert all_objects(store) == {}


def test_each_partner_reaches_only_its_own_folders(store):
    names = [n for n in store.credentials if n != PLATFORM]
    assert {"politie", "om", "riec", "cbs", "regio", *TEMPLATED_PARTNERS} <= set(names)
    own = {n: delivery_prefixes(n) for n in names}
    for name in names:
        client = store.client(name)
        for prefix in own[name]:
            client.put_object(Bucket=store.bucket, Key=prefix + "levering.csv", Body=name.encode())
        for other in names:
            if other == name:
                continue
            key = own[other][0] + f"van-{name.replace(':', '-')}.csv"
            assert error_code(lambda: client.put_object(Bucket=store.bucket, Key=key, Body=b"x")) == "AccessDenied", \
                (name, key)
    delivered = all_objects(store)
    assert delivered == {prefix + "levering.csv": name.encode() for name in names for prefix in own[name]}
    # one gemeente cannot write into another gemeente's folder
    assert "landing/gemeenten/GM0307/activiteiten/levering.csv" in delivered
    assert delivered["landing/gemeenten/GM0307/activiteiten/levering.csv"] == b"gemeente:GM0307"


def test_unknown_keys_wrong_secrets_and_anonymous_requests_are_refused(store):
    from ingest.landing.s3 import s3_client

    access, _ = store.credentials["politie"]
    assert error_code(lambda: s3_client(store.endpoint, access, "wrong").put_object(
        Bucket=store.bucket, Key=OWN + "x.csv", Body=b"x")) == "SignatureDoesNotMatch"
    assert error_code(lambda: s3_client(store.endpoint, "NOSUCHKEY", "secret").put_object(
        Bucket=store.bucket, Key=OWN + "x.csv", Body=b"x")) == "InvalidAccessKeyId"
    anonymous = requests.put(f"{store.endpoint}/{store.bucket}/{OWN}x.csv", data=b"x", timeout=10)
    assert anonymous.status_code == 403 and "AccessDenied" in anonymous.text
    assert requests.get(f"{store.endpoint}/{store.bucket}?list-type=2", timeout=10).status_code == 403
    assert all_objects(store) == {}


def test_a_partner_cannot_copy_another_partners_object_into_its_own_folder(store):
    """CopyObject reads the source on the server's side: a gemeente that may write its own folder
    must still not be able to pull another gemeente's (or the archive's) object into it."""
    platform, gm0344 = store.client(PLATFORM), store.client("gemeente:GM0344")
    own = "landing/gemeenten/GM0344/activiteiten/"
    sources = ["landing/gemeenten/GM0307/activiteiten/activiteiten_2026.csv",
               "archive/activiteiten/7__activiteiten_2026.csv",
               "landing/politie/registraties/registraties_online_202601.csv"]
    for key in sources:
        platform.put_object(Bucket=store.bucket, Key=key, Body=b"van een ander")
    for key in sources:
        assert error_code(lambda: gm0344.copy_object(
            Bucket=store.bucket, Key=own + "kopie.csv", CopySource={"Bucket": store.bucket, "Key": key},
        )) == "AccessDenied", key
    # its own object it may copy within its own folder
    gm0344.put_object(Bucket=store.bucket, Key=own + "eigen.csv", Body=b"eigen")
    gm0344.copy_object(Bucket=store.bucket, Key=own + "eigen_kopie.csv",
                       CopySource={"Bucket": store.bucket, "Key": own + "eigen.csv"})
    assert set(all_objects(store)) == {*sources, own + "eigen.csv", own + "eigen_kopie.csv"}
