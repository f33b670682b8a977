"""The pseudonym is HMAC-SHA256 exactly as the standard library computes it, whichever path
(in-process or the worker process) makes it."""
from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pytest

from ingest.pseudonymise import PARALLEL_FROM, PendingPseudonyms, Pseudonymiser

VALUES = ["PL0900-2026000001", "", " met spatie ", "é€ß", "x" * 200, "a\nb"]


@pytest.mark.parametrize("key", [bytes(range(16)), bytes(range(32)), bytes(range(64)), bytes(200)],
                         ids=["16 bytes", "32 bytes", "one block", "longer than a block"])
def test_pseudonym_is_standard_hmac_sha256(key):
    expected = [hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest() for v in VALUES]
    assert [Pseudonymiser(key).one(v) for v in VALUES] == expected
    assert Pseudonymiser(key).many(VALUES + [None]) == expected + [None]


def test_worker_gives_the_same_pseudonyms_for_a_sliced_arrow_column():
    key = bytes(range(32))
    values = [None if i % 97 == 0 else f"id-{i}-{VALUES[i % len(VALUES)]}" for i in range(PARALLEL_FROM + 10)]
    column = pa.array(["skip"] * 5 + values, type=pa.string()).slice(5)  # a non-zero offset
    pending = PendingPseudonyms(Pseudonymiser(key), key, column)
    assert pending._proc is not None  # the worker path, not the in-process one
    expected = [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert pending.slice(90, 200).to_pylist() == expected[90:200]
    assert pending.result() == expected
