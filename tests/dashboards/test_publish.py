"""Publishing a document records it in the publication log that KPI goal 1 is measured from."""
from __future__ import annotations

import hashlib

import psycopg

from dashboards.report import render_report


def test_published_document_is_logged_with_its_basisteam(reporting_url, tmp_path):
    kwartaal = "2026-Q2"
    path = render_report(reporting_url, gemeente="GM0353", kwartaal=kwartaal, out_dir=tmp_path, publish=True)
    unpublished = render_report(reporting_url, gemeente="GM0344", kwartaal=kwartaal, out_dir=tmp_path / "x")
    with psycopg.connect(reporting_url) as conn:
        rows = conn.execute("select gemeentecode, basisteam_code, periode, sha256, actor from audit.publications"
                            " where document in (%s, %s)", (str(path), str(unpublished))).fetchall()
    assert rows == [("GM0353", "MN-WU2", kwartaal, hashlib.sha256(path.read_bytes()).hexdigest(), "loader")]
