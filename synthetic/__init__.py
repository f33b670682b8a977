"""Synthetic partner deliveries: realistic, seeded, reproducible files for every feed.

`generate(zone, start=, end=, seed=, defects=)` writes the files the partners would deliver for
the months start..end into the landing area and returns their keys. The same arguments always
give byte-identical files (no clock, no global random state).

With `defects=True` some deliveries can only arrive *after* the first batch was ingested, because
they reuse a file name (a corrected month replaces the earlier delivery of that name). They form
batch 1; write them with `generate(..., defects=True, batch=1)` after ingesting batch 0:

    generate(zone, defects=True)            # batch 0: the normal deliveries, with realistic defects
    ingest_landing(zone, url)
    generate(zone, defects=True, batch=1)   # batch 1: refused redelivery + corrected redeliveries
    ingest_landing(zone, url)

`build_deliveries(...)` returns all batches as (key, bytes) without writing anything.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from synthetic.defects import DEFECTS, FEED_DEFECTS, Defect
from synthetic.deliveries import FEEDS, Batch, build_deliveries
from synthetic.politie import write_police_bench_file

if TYPE_CHECKING:
    from ingest.landing import LandingZone

__all__ = ["generate", "build_deliveries", "write_police_bench_file", "DEFECTS", "FEED_DEFECTS", "Defect",
           "FEEDS", "Batch"]


def generate(zone: LandingZone, *, start: str = "2024-01", end: str = "2026-10", seed: int = 20261128,
             defects: bool = False, feeds: list[str] | None = None, batch: int = 0) -> list[str]:
    """Write batch `batch` of the deliveries into the landing area; returns the keys written
    (empty when that batch does not exist, e.g. batch 1 without defects)."""
    batches = build_deliveries(start=start, end=end, seed=seed, defects=defects, feeds=feeds)
    if batch >= len(batches):
        return []
    for key, data in batches[batch]:
        zone.put(key, data)
    return [key for key, _ in batches[batch]]
