"""The defect registry is complete, consistent, and each entry is tested."""
from __future__ import annotations

from synthetic import DEFECTS, FEED_DEFECTS, FEEDS
from tests.synthetic.test_defects_feeds import CHECKS as FEED_CHECKS
from tests.synthetic.test_defects_police import CHECKS as POLICE_CHECKS


def test_every_defect_has_a_check() -> None:
    assert set(DEFECTS) == set(POLICE_CHECKS) | set(FEED_CHECKS)
    assert not set(POLICE_CHECKS) & set(FEED_CHECKS)


def test_metadata_is_consistent() -> None:
    for name, defect in DEFECTS.items():
        assert defect.name == name and name == name.lower() and " " not in name
        assert defect.feed in FEEDS
        assert defect.description
        if defect.outcome == "accepted":
            assert defect.bad_rows == 0
        elif defect.outcome == "rows_rejected":
            assert defect.bad_rows is None and "duplicate" in name or defect.bad_rows > 0
        else:
            assert defect.outcome == "file_refused" and defect.bad_rows is None
    assert sum(len(v) for v in FEED_DEFECTS.values()) == len(DEFECTS)
    assert set(FEED_DEFECTS) == set(FEEDS)
    assert all(d.feed == feed for feed, group in FEED_DEFECTS.items() for d in group.values())
    outcomes = {d.outcome for d in FEED_DEFECTS["politie_registraties"].values()}
    assert outcomes == {"accepted", "rows_rejected", "file_refused"}
