"""The publication log: a rendered document becomes a *published* local information picture
when it is handed to its basisteam-driehoek. Year-plan goal 1 is measured from this log
(audit.publications), so the platform reports on its own use instead of a count kept by hand."""
from __future__ import annotations

import hashlib
from pathlib import Path

from config import Role
from warehouse.connection import connect


def record_publication(url: str, *, document: Path, gemeentecode: str, basisteam_code: str, kwartaal: str) -> int:
    # As the platform's writing role: reporters only read.
    with connect(url, role=Role.LOADER) as conn:
        return conn.execute(
            "insert into audit.publications (gemeentecode, basisteam_code, periode, document, sha256)"
            " values (%s, %s, %s, %s, %s) returning publication_id",
            (gemeentecode, basisteam_code, kwartaal, str(document), hashlib.sha256(document.read_bytes()).hexdigest()),
        ).fetchone()[0]
