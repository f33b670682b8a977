"""The fake Metabase honours the REST contract (docs/sources/metabase_contract.md), so that tests against it
mean something. Plain HTTP with requests; no product code involved."""
from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import requests

from tests.dashboards.helpers import Admin
from tests.fixtures.fake_metabase import FakeMetabase

CONNECTION = "Contracttest (reporter_regio)"


@pytest.fixture()
def admin(fake_metabase: FakeMetabase) -> Admin:
    token = requests.get(f"{fake_metabase.url}/api/session/properties", timeout=10).json()["setup-token"]
    response = requests.post(f"{fake_metabase.url}/api/setup", json={
        "token": token, "prefs": {"site_name": "Test"},
        "user": {"email": fake_metabase.admin_email, "password": fake_metabase.admin_password,
                 "first_name": "Test", "last_name": "Beheer"}}, timeout=10)
    assert response.status_code == 200
    return Admin(fake_metabase)


@pytest.fixture()
def synced_db(admin: Admin, reporting_url: str) -> Iterator[int]:
    params = psycopg.conninfo.conninfo_to_dict(reporting_url)
    created = admin.request("POST", "/api/database", {"engine": "postgres", "name": CONNECTION, "details": {
        "host": params.get("host", "localhost"), "port": int(params.get("port", 5432)),
        "dbname": params["dbname"], "user": "reporter_regio", "ssl": False}}).json()
    admin.request("POST", f"/api/database/{created['id']}/sync_schema")
    statuses = [admin.get(f"/api/database/{created['id']}")["initial_sync_status"] for _ in range(3)]
    assert statuses[-1] == "complete"
    yield created["id"]


def test_setup_works_once_and_every_endpoint_needs_authentication(fake_metabase: FakeMetabase, admin: Admin) -> None:
    url = fake_metabase.url
    properties = requests.get(f"{url}/api/session/properties", timeout=10).json()
    assert properties["setup-token"] is None and properties["has-user-setup"] is True
    again = requests.post(f"{url}/api/setup", json={"token": "x", "user": {"email": "a@b.nl", "password": "p"}},
                          timeout=10)
    assert again.status_code == 403
    for method, path in [("GET", "/api/card"), ("GET", "/api/database"), ("POST", "/api/collection"),
                         ("GET", "/api/permissions/graph"), ("PUT", "/api/dashboard/1")]:
        assert requests.request(method, url + path, json={}, timeout=10).status_code == 401, path
    wrong = requests.get(f"{url}/api/card", headers={"X-Metabase-Session": "not-a-session"}, timeout=10)
    assert wrong.status_code == 401
    bad_login = requests.post(f"{url}/api/session", json={"username": fake_metabase.admin_email,
                                                           "password": "fout"}, timeout=10)
    assert bad_login.status_code == 401
    assert admin.request("GET", "/api/card").status_code == 200


def test_enterprise_endpoints_are_not_there(admin: Admin) -> None:
    assert admin.request("GET", "/api/mt/gtap").status_code == 402
    assert admin.request("POST", "/api/mt/gtap", {"group_id": 1, "table_id": 1}).status_code == 402
    assert admin.request("POST", "/api/ee/serialization/export").status_code == 404


def test_sync_completes_only_after_sync_schema_and_a_poll_and_reads_the_real_catalog(
        admin: Admin, reporting_url: str) -> None:
    params = psycopg.conninfo.conninfo_to_dict(reporting_url)
    details = {"host": params.get("host", "localhost"), "port": int(params.get("port", 5432)),
               "dbname": params["dbname"], "user": "reporter_regio", "ssl": False}
    created = admin.request("POST", "/api/database", {"engine": "postgres", "name": CONNECTION,
                                                      "details": details}).json()
    db = created["id"]
    assert created["initial_sync_status"] == "incomplete"
    assert admin.get(f"/api/database/{db}")["initial_sync_status"] == "incomplete"
    assert admin.get(f"/api/database/{db}/metadata")["tables"] == []
    admin.request("POST", f"/api/database/{db}/sync_schema")
    statuses = [admin.get(f"/api/database/{db}")["initial_sync_status"] for _ in range(3)]
    assert statuses == ["incomplete", "complete", "complete"]

    tables = {(t["schema"], t["name"]): t for t in admin.get(f"/api/database/{db}/metadata")["tables"]}
    with psycopg.connect(reporting_url) as conn:
        expected = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'reporting' "
            "and table_name = 'lokaal_beeld_kwartaal' order by ordinal_position").fetchall()]
    assert [f["name"] for f in tables[("reporting", "lokaal_beeld_kwartaal")]["fields"]] == expected
    # The connection logs in as reporter_regio, which cannot see raw, audit or reference.
    assert not [key for key in tables if key[0] in ("raw", "audit", "reference", "staging")]

    unreachable = admin.request("POST", "/api/database", {"engine": "postgres", "name": "Kapot",
                                                          "details": {**details, "dbname": "bestaat_niet"}})
    assert unreachable.status_code == 400


def _native_card(db: int, field_id: int, **overrides: object) -> dict:
    card = {
        "name": "Test", "display": "table", "visualization_settings": {},
        "dataset_query": {"type": "native", "database": db, "native": {
            "query": "select 1 from reporting.lokaal_beeld_kwartaal where {{g}}",
            "template-tags": {"g": {"id": "t-1", "name": "g", "display-name": "G", "type": "dimension",
                                    "dimension": ["field", field_id, None], "widget-type": "string/="}}}},
        "parameters": [{"id": "t-1", "type": "string/=", "target": ["dimension", ["template-tag", "g"]],
                        "name": "G", "slug": "g"}],
    }
    card.update(overrides)
    return card


def _field_id(admin: Admin, db: int, column: str) -> int:
    for table in admin.get(f"/api/database/{db}/metadata")["tables"]:
        for f in table["fields"]:
            if table["name"] == "lokaal_beeld_kwartaal" and f["name"] == column:
                return f["id"]
    raise AssertionError(column)


def test_cards_are_validated_like_metabase(admin: Admin, synced_db: int) -> None:
    field_id = _field_id(admin, synced_db, "gebied_naam")
    assert admin.request("POST", "/api/card", _native_card(synced_db, field_id)).status_code == 200
    broken = [
        {k: v for k, v in _native_card(synced_db, field_id).items() if k != "display"},
        _native_card(synced_db, field_id, visualization_settings=None),
        _native_card(synced_db, field_id, parameters=[]),  # tag without parameter
        _native_card(synced_db, 999999),  # field filter on an unknown field
        _native_card(synced_db, field_id, dataset_query={"type": "native", "database": synced_db, "native": {
            "query": "select {{x}}", "template-tags": {}}}),
        _native_card(synced_db, field_id, dataset_query={"type": "native", "database": synced_db, "native": {
            "query": "select 1 [[ where {{g}}", "template-tags": {}}}),
    ]
    for card in broken:
        assert admin.request("POST", "/api/card", card).status_code == 400, card


def test_dashcards_are_created_updated_and_deleted_by_one_put(admin: Admin, synced_db: int) -> None:
    field_id = _field_id(admin, synced_db, "gebied_naam")
    card = admin.request("POST", "/api/card", _native_card(synced_db, field_id)).json()["id"]
    dash = admin.request("POST", "/api/dashboard", {"name": "D", "parameters": [
        {"id": "p1", "name": "Gemeente", "slug": "gemeente", "type": "string/="}]}).json()["id"]
    mapping = [{"parameter_id": "p1", "card_id": card, "target": ["dimension", ["template-tag", "g"]]}]
    first = admin.request("PUT", f"/api/dashboard/{dash}", {"dashcards": [
        {"id": -1, "card_id": card, "row": 0, "col": 0, "size_x": 12, "size_y": 4, "parameter_mappings": mapping},
        {"id": -2, "card_id": card, "row": 0, "col": 12, "size_x": 12, "size_y": 4}]}).json()
    ids = sorted(dc["id"] for dc in first["dashcards"])
    assert len(ids) == 2 and all(i > 0 for i in ids)

    kept, dropped = ids
    second = admin.request("PUT", f"/api/dashboard/{dash}", {"dashcards": [
        {"id": kept, "card_id": card, "row": 4, "col": 0, "size_x": 24, "size_y": 4},
        {"id": -1, "card_id": None, "row": 8, "col": 0, "size_x": 24, "size_y": 2,
         "visualization_settings": {"virtual_card": {"display": "text"}, "text": "Toelichting"}}]}).json()
    by_id = {dc["id"]: dc for dc in second["dashcards"]}
    assert kept in by_id and dropped not in by_id and by_id[kept]["row"] == 4 and len(by_id) == 2

    for bad in (
        {"dashcards": [{"id": kept, "card_id": card, "row": 0, "col": 0, "size_x": 4, "size_y": 4},
                       {"id": kept, "card_id": card, "row": 4, "col": 0, "size_x": 4, "size_y": 4}]},
        {"dashcards": [{"id": -1, "card_id": card, "row": 0, "col": 20, "size_x": 8, "size_y": 4}]},
        {"dashcards": [{"id": -1, "card_id": card, "row": 0, "col": 0, "size_x": 4, "size_y": 4,
                        "parameter_mappings": [{"parameter_id": "nope", "card_id": card,
                                                "target": ["dimension", ["template-tag", "g"]]}]}]},
        {"tabs": [{"id": -1, "name": "Een"}],
         "dashcards": [{"id": -1, "card_id": card, "row": 0, "col": 0, "size_x": 4, "size_y": 4}]},
    ):
        assert admin.request("PUT", f"/api/dashboard/{dash}", bad).status_code == 400, bad
    # A failed PUT changes nothing.
    assert sorted(dc["id"] for dc in admin.get(f"/api/dashboard/{dash}")["dashcards"]) == sorted(by_id)

    tabbed = admin.request("PUT", f"/api/dashboard/{dash}", {
        "tabs": [{"id": -1, "name": "Een"}, {"id": -2, "name": "Twee"}],
        "dashcards": [{"id": kept, "card_id": card, "row": 0, "col": 0, "size_x": 4, "size_y": 4,
                       "dashboard_tab_id": -2}]}).json()
    tab_ids = {t["name"]: t["id"] for t in tabbed["tabs"]}
    assert [dc["dashboard_tab_id"] for dc in tabbed["dashcards"]] == [tab_ids["Twee"]]


def test_permission_graphs_carry_a_revision_and_refuse_stale_or_invalid_updates(
        fake_metabase: FakeMetabase, admin: Admin, synced_db: int) -> None:
    group = admin.request("POST", "/api/permissions/group", {"name": "Groep"}).json()["id"]
    assert admin.request("POST", "/api/permissions/group", {"name": "Groep"}).status_code == 400
    graph = admin.get("/api/permissions/graph")
    change = {str(group): {str(synced_db): {"view-data": "blocked", "create-queries": "no"}}}
    ok = admin.request("PUT", "/api/permissions/graph", {"revision": graph["revision"], "groups": change})
    assert ok.status_code == 200 and ok.json()["revision"] == graph["revision"] + 1
    # Metabase leaves the least permissive values out of the graph.
    assert str(synced_db) not in ok.json()["groups"].get(str(group), {})
    stale = admin.request("PUT", "/api/permissions/graph", {"revision": graph["revision"], "groups": change})
    assert stale.status_code == 409
    invalid = {str(group): {str(synced_db): {"view-data": "blocked", "create-queries": "query-builder-and-native"}}}
    current = admin.get("/api/permissions/graph")["revision"]
    assert admin.request("PUT", "/api/permissions/graph", {"revision": current, "groups": invalid}).status_code == 400
    assert admin.request("PUT", "/api/permissions/graph",
                         {"revision": current,
                          "groups": {"2": {str(synced_db): {"view-data": "blocked"}}}}).status_code == 400

    collections = admin.get("/api/collection/graph")
    collection = admin.request("POST", "/api/collection", {"name": "C"}).json()["id"]
    assert admin.request("PUT", "/api/collection/graph", {"revision": collections["revision"], "groups": {
        str(group): {str(collection): "read"}}}).status_code == 200
    assert admin.request("PUT", "/api/collection/graph", {"revision": collections["revision"], "groups": {
        str(group): {str(collection): "write"}}}).status_code == 409

    fake_metabase.advanced_permissions = False  # what open-source Metabase does
    current = admin.get("/api/permissions/graph")["revision"]
    assert admin.request("PUT", "/api/permissions/graph", {"revision": current, "groups": change}).status_code == 402
