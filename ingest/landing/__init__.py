"""The landing store: where partners drop files, and where originals are kept afterwards.

zone.py says what every store offers (`LandingZone`, its areas); local.py keeps it in a folder,
s3.py in an S3 bucket (with s3_policies.py: who may write where). `open_landing` picks one from
the store's location, which the caller passes (the CLI and DAGs take it from config's settings).
"""
from __future__ import annotations

from pathlib import Path

from ingest.landing.local import LocalLandingZone, NotAStoreRoot, check_store_root
from ingest.landing.zone import AREAS, Area, LandingZone

__all__ = ["AREAS", "Area", "LandingZone", "LocalLandingZone", "NotAStoreRoot", "check_store_root",
           "open_landing"]


def open_landing(location: str) -> LandingZone:
    """The store at `location`: a folder (its root, holding landing/, archive/, quarantine/) or an
    `s3://bucket[/prefix]` URL (endpoint and keys from the environment, see s3.py)."""
    if location.startswith("s3://"):
        # Imported here: boto3 costs a second, and the folder store never needs it.
        from ingest.landing.s3 import S3LandingZone

        return S3LandingZone.from_url(location)
    return LocalLandingZone(Path(location))
