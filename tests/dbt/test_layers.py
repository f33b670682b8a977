"""Data flows one way through the dbt layers: staging -> intermediate -> marts -> reporting.

Read from the manifest's lineage, so that a model reading a later layer, or a source after
staging, fails here rather than in review."""
from __future__ import annotations

import json

from infopositie.dbt import dbt_parse

# What each layer may read (besides seeds, which are reference data any layer may use).
MAY_READ = {
    "staging": {"source", "staging"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"staging", "intermediate", "marts"},
    "reporting": {"intermediate", "marts", "reporting"},
}


def test_every_model_reads_only_its_own_or_an_earlier_layer(warehouse_url: str) -> None:
    manifest = json.loads(dbt_parse(warehouse_url).read_text(encoding="utf-8"))
    nodes = {**manifest["nodes"], **manifest["sources"]}

    def layer(uid: str) -> str:
        node = nodes[uid]
        return node["resource_type"] if node["resource_type"] in ("source", "seed") else node["schema"]

    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert {n["schema"] for n in models.values()} == set(MAY_READ)
    wrong = sorted(
        f"{n['name']} ({n['schema']}) reads {nodes[parent]['name']} ({layer(parent)})"
        for n in models.values() for parent in n["depends_on"]["nodes"]
        if layer(parent) != "seed" and layer(parent) not in MAY_READ[n["schema"]])
    assert wrong == []
