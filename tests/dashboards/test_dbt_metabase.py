"""`dbt-metabase models` (the installed CLI) against the fake: a second, independent Metabase client.

It pushes the dbt model and column docs of reporting.lokaal_beeld_kwartaal into the data model of
the audience's connection that `apply_all` created. Needs the dbt manifest (infopositie.dbt.MANIFEST), which
`infopositie.dbt.dbt_parse` writes from the dbt project in this checkout.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboards.metabase.apply import apply_all
from dashboards.spec import load_audiences, load_dashboards
from tests.dashboards.helpers import Admin, database_named
from tests.fixtures.fake_metabase import FakeMetabase

SPEC = next(d for d in load_dashboards() if d.key == "lokaal_informatiebeeld")
AUDIENCE = load_audiences()[SPEC.audiences[0]]
DBT_METABASE = Path(sys.executable).with_name("dbt-metabase")


def _dbt_metabase(fake: FakeMetabase, manifest: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DBT_METABASE), "models", "--manifest-path", str(manifest), "--metabase-url", fake.url,
         "--metabase-username", fake.admin_email, "--metabase-password", fake.admin_password,
         "--metabase-database", AUDIENCE.connection, "--include-schemas", SPEC.source_schema,
         "--include-models", SPEC.source_table, "--skip-sources", "--sync-timeout", "15"],
        capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_dbt_metabase_models_documents_the_reporting_relation(fake_metabase: FakeMetabase, reporting_url: str,
                                                              one_scope: Path) -> None:
    from infopositie.dbt import dbt_parse

    apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    manifest_path = dbt_parse(reporting_url)
    nodes = json.loads(manifest_path.read_text())["nodes"]
    model = next(n for n in nodes.values()
                 if n["resource_type"] == "model" and n["schema"] == SPEC.source_schema
                 and n["alias"] == SPEC.source_table)
    assert model["description"] and model["columns"]

    result = _dbt_metabase(fake_metabase, manifest_path)
    assert result.returncode == 0, result.stdout + result.stderr

    admin = Admin(fake_metabase)
    db = database_named(admin, AUDIENCE.connection)
    [table] = [t for t in admin.get(f"/api/database/{db['id']}/metadata", include_hidden="true")["tables"]
               if (t["schema"], t["name"]) == (SPEC.source_schema, SPEC.source_table)]
    assert table["description"] == model["description"].strip()
    fields = {f["name"]: f for f in table["fields"]}
    for name, column in model["columns"].items():
        assert fields[name]["description"] == (column["description"].strip() or None), name

    # Nothing left to push: the second run only asks Metabase to sync.
    before = len(fake_metabase.calls)
    again = _dbt_metabase(fake_metabase, manifest_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert ({(m, p) for m, p, _ in fake_metabase.mutations(before)}
            <= {("POST", f"/api/database/{db['id']}/sync_schema")})
    assert fake_metabase.errors == []
