"""Reading the fake Metabase's state over HTTP, as an administrator would (independent of the
product's client)."""
from __future__ import annotations

from typing import Any

import requests

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
