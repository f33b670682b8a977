"""Reading the fake Metabase's state over HTTP, as an administrator would (independent of the
product's client)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import requests
import yaml

from dashboards.spec import SPECS_DIR
from tests.fixtures.fake_metabase import FakeMetabase


class Admin:
    def __init__(self, fake: FakeMetabase) -> None:
        self.url = fake.url
        session = requests.post(f"{fake.url}/api/session",
                                json={"username": fake.admin_email, "password": fake.admin_password}, timeout=10)
        session.raise_for_status()
        self.headers = {"X-Metabase-Session": session.json()["id"]}

    def request(self, method: str, path: str, json: Any = None, **params: Any) -> requests.Response:
        return requests.request(method, self.url + path, json=json, params=params or None,
                                headers=self.headers, timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        response = self.request("GET", path, **params)
        response.raise_for_status()
        body = response.json()
        return body["data"] if isinstance(body, dict) and "data" in body and "total" in body else body


def database_named(admin: Admin, name: str) -> dict:
    matches = [d for d in admin.get("/api/database") if d["name"] == name]
    assert len(matches) == 1, f"expected one connection named {name!r}, found {len(matches)}"
    return matches[0]


def columns_by_field_id(admin: Admin, db_id: int) -> dict[int, tuple[str, str, str]]:
    metadata = admin.get(f"/api/database/{db_id}/metadata")
    return {f["id"]: (t["schema"], t["name"], f["name"]) for t in metadata["tables"] for f in t["fields"]}


def one_scope_specs(dest: Path, dashboard: str = "lokaal_informatiebeeld", audience: str = "stuurgroep") -> Path:
    """A copy of the specs with one dashboard for one declared audience (no derived audiences):
    the apply's detailed behaviour is tested on one scope; the full specs have their own tests."""
    specs = dest / "specs"
    shutil.copytree(SPECS_DIR, specs)
    audiences_file = specs / "audiences.yaml"
    data = yaml.safe_load(audiences_file.read_text(encoding="utf-8"))
    data.pop("derived", None)
    data["audiences"] = [a for a in data["audiences"] if a["key"] == audience]
    audiences_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for path in specs.glob("*.yaml"):
        if path.name == "audiences.yaml":
            continue
        if path.stem != dashboard:
            path.unlink()
            continue
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec["audiences"] = [audience]
        path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return specs
