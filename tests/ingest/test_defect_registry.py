"""Every defect the synthetic generator can inject (one per problem in the feed specs, for all
seven feeds) goes through the real pipeline and ends exactly as the spec says: accepted, the
stated number of rows rejected, or the whole file quarantined with a Dutch report; in every case
rows received = loaded + rejected and the original is kept byte for byte."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.landing import LocalLandingZone
from ingest.sealing import unseal
from synthetic import DEFECTS, build_deliveries
from tests.conftest import ARCHIVE_KEY
from tests.ingest.helpers import feed_sample, run


@pytest.fixture(scope="module")
def clean_files() -> dict[str, bytes]:
    (batch,) = build_deliveries(start="2024-01", end="2026-10", seed=20261128)
    return dict(batch)


def _sample(feed: str, clean_files: dict[str, bytes]) -> tuple[str, bytes]:
    return feed_sample(feed, clean_files)


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_defect_ends_as_the_spec_says(name, clean_files, fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    defect = DEFECTS[name]
    key, clean = _sample(defect.feed, clean_files)
    data = defect(clean)
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, data)
    (result,) = run(zone, fresh_warehouse_url)
    if defect.outcome == "accepted":
        assert (result.status, result.rows_rejected) == ("loaded", 0), result.as_dict()
    elif defect.outcome == "rows_rejected":
        assert result.status == "loaded", result.as_dict()
        if defect.bad_rows is None:
            assert result.rows_rejected > 0
        else:
            assert result.rows_rejected == defect.bad_rows, result.as_dict()
    else:
        assert result.status == "quarantined", result.as_dict()
        assert result.rows_loaded == 0 and result.report_key
        assert "GEWEIGERD" in Path(result.report_key).read_text(encoding="utf-8")
    assert result.reasons or defect.outcome == "accepted"
    kept = Path(result.stored_key).read_bytes()
    assert kept != data and unseal(kept, ARCHIVE_KEY, result.delivery_id) == data  # sealed, and those bytes
