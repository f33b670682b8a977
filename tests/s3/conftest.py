"""A real SeaweedFS S3 store for the landing-zone tests, with the identities the contracts call for.

One server per test session (per xdist worker); each test starts from an empty bucket.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from ingest.landing.s3 import S3LandingZone
from ingest.landing.s3_policies import PLATFORM, delivery_folders, identities_config
from tests.s3.seaweed import SeaweedS3

BUCKET = "infopositie"
# Partners with a folder of their own under a {partner} prefix: enough to show one cannot reach the other.
TEMPLATED_PARTNERS = ("gemeente:GM0344", "gemeente:GM0307", "bank:bank-a")
_timings: dict[str, float] = {}


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedS3]:
    literal, _ = delivery_folders()
    names = [PLATFORM, *sorted(literal), *TEMPLATED_PARTNERS]
    credentials = {n: (secrets.token_hex(10).upper(), secrets.token_urlsafe(30)) for n in names}
    server = SeaweedS3(config=identities_config(BUCKET, credentials), credentials=credentials, bucket=BUCKET)
    try:
        started = time.monotonic()
        server.start()
        S3LandingZone(BUCKET, client=server.client(PLATFORM)).ensure_bucket()
        _timings["bucket_ready"] = time.monotonic() - started
        _timings["answering"] = server.answered_after or 0.0
        yield server
    finally:
        server.remove()
        if server.stopped_after is not None:
            _timings["stop"] = server.stopped_after


@pytest.fixture()
def store(seaweed: SeaweedS3) -> SeaweedS3:
    seaweed.empty_bucket()
    return seaweed


def zone_for(server: SeaweedS3, identity: str, root: str = "") -> S3LandingZone:
    return S3LandingZone(server.bucket, root, client=server.client(identity))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _timings:
        terminalreporter.write_line(
            "SeaweedFS (weed mini): answering after {answering:.2f}s, bucket ready after {bucket_ready:.2f}s, "
            "stopped in {stop:.2f}s".format_map({"stop": float("nan"), **_timings}))
