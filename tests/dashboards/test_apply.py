"""`apply_all` against the fake Metabase over real HTTP, with the real warehouse behind it."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import requests
import yaml
from psycopg.conninfo import conninfo_to_dict
from typer.testing import CliRunner

from dashboards.metabase.apply import apply_all
from dashboards.metabase.client import MetabaseError
from dashboards.spec import SPECS_DIR, load_audiences, load_dashboards
from tests.dashboards.helpers import Admin, database_named
from tests.fixtures.fake_metabase import FakeMetabase

SPEC = next(d for d in load_dashboards() if d.key == "lokaal_informatiebeeld")
AUDIENCE = load_audiences()[SPEC.audiences[0]]


def _group_id(admin: Admin, name: str) -> int:
    return next(g["id"] for g in admin.get("/api/permissions/group") if g["name"] == name)


def test_first_apply_creates_everything_and_a_second_apply_changes_nothing(
        fake_metabase: FakeMetabase, reporting_url: str, one_scope: Path) -> None:
    first = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    assert first["setup"] is True
    assert first["warnings"] == []
    created = {(o["kind"], o["key"]) for o in first["objects"] if o["action"] == "created"}
    scope = f"{SPEC.key}/{AUDIENCE.key}"
    assert created == ({("database", AUDIENCE.connection), ("group", AUDIENCE.group), ("collection", scope),
                        ("dashboard", scope)} | {("card", f"{scope}/{c.key}") for c in SPEC.cards})
    assert first["created"] == len(SPEC.cards) + 4

    admin = Admin(fake_metabase)
    db = database_named(admin, AUDIENCE.connection)
    assert db["details"]["user"] == AUDIENCE.role
    assert db["details"]["dbname"] == conninfo_to_dict(reporting_url)["dbname"]
    field_ids = {f["name"]: f["id"] for t in admin.get(f"/api/database/{db['id']}/metadata")["tables"]
                 if t["name"] == SPEC.source_table for f in t["fields"]}

    [board] = first["dashboards"]
    dashboard = admin.get(f"/api/dashboard/{board['id']}")
    assert dashboard["name"] == SPEC.name
    assert dashboard["collection_id"] == board["collection_id"]
    assert {p["slug"] for p in dashboard["parameters"]} == {p.slug for p in SPEC.parameters}
    gemeente_param = next(p["id"] for p in dashboard["parameters"] if p["slug"] == "gemeente")
    card_dashcards = [dc for dc in dashboard["dashcards"] if dc["card_id"] is not None]
    assert len(card_dashcards) == len(SPEC.cards)
    assert len(dashboard["dashcards"]) == len(SPEC.cards) + len(SPEC.texts)
    for dc in card_dashcards:
        card = admin.get(f"/api/card/{dc['card_id']}")
        assert card["collection_id"] == board["collection_id"]
        assert card["dataset_query"]["database"] == db["id"]
        tag = card["dataset_query"]["native"]["template-tags"]["gemeente"]
        assert tag["type"] == "dimension" and tag["dimension"][1] == field_ids["gebied_naam"]
        assert {m["parameter_id"] for m in dc["parameter_mappings"]} >= {gemeente_param}
        spec_card = next(c for c in SPEC.cards if c.name == card["name"])
        assert (dc["row"], dc["col"], dc["size_x"], dc["size_y"]) == (
            spec_card.layout.row, spec_card.layout.col, spec_card.layout.size_x, spec_card.layout.size_y)

    group = str(_group_id(admin, AUDIENCE.group))
    all_users = str(_group_id(admin, "All Users"))
    graph = admin.get("/api/permissions/graph")["groups"]
    assert graph[group][str(db["id"])]["view-data"] == "unrestricted"
    # Left out of the graph = the least permissive value: blocked, no queries.
    everyone = graph.get(all_users, {}).get(str(db["id"]), {})
    assert "view-data" not in everyone and "create-queries" not in everyone
    collections = admin.get("/api/collection/graph")["groups"]
    assert collections[group][str(board["collection_id"])] == "read"
    assert collections[all_users][str(board["collection_id"])] == "none"

    before = len(fake_metabase.calls)
    second = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    assert (second["created"], second["updated"], second["archived"]) == (0, 0, 0)
    assert second["unchanged"] == len(first["objects"])
    assert second["setup"] is False
    assert fake_metabase.mutations(before) == []
    assert fake_metabase.errors == []


def _changed_specs(tmp_path: Path, dropped: str, renamed: str, base: Path) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(base, specs)
    path = specs / "lokaal_informatiebeeld.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cards"] = [c for c in data["cards"] if c["key"] != dropped]
    for card in data["cards"]:
        if card["key"] == renamed:
            card["name"] = "Top vijf modi"
            card["sql"] = card["sql"].replace("limit 10", "limit 5")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return specs


def test_a_changed_spec_updates_in_place_and_removes_the_dropped_cards_dashcard(
        fake_metabase: FakeMetabase, reporting_url: str, one_scope: Path, tmp_path: Path) -> None:
    first = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    admin = Admin(fake_metabase)
    dashboard_id = first["dashboards"][0]["id"]
    scope = f"{SPEC.key}/{AUDIENCE.key}"
    card_ids = {o["key"].rsplit("/", 1)[1]: o["id"] for o in first["objects"] if o["kind"] == "card"}
    before = {dc["card_id"]: dc["id"] for dc in admin.get(f"/api/dashboard/{dashboard_id}")["dashcards"]
              if dc["card_id"] is not None}

    changed = apply_all(fake_metabase.url, warehouse_url=reporting_url,
                        specs_dir=_changed_specs(tmp_path, dropped="soort_slachtoffer", renamed="top_modi",
                                                        base=one_scope))
    actions = {(o["kind"], o["key"]): o["action"] for o in changed["objects"]}
    assert changed["created"] == 0
    assert actions[("card", f"{scope}/top_modi")] == "updated"
    assert actions[("card", f"{scope}/soort_slachtoffer")] == "archived"
    assert actions[("dashboard", scope)] == "updated"
    assert actions[("card", f"{scope}/kerncijfer")] == "unchanged"

    top = admin.get(f"/api/card/{card_ids['top_modi']}")
    assert top["name"] == "Top vijf modi" and "limit 5" in top["dataset_query"]["native"]["query"]
    assert admin.get(f"/api/card/{card_ids['soort_slachtoffer']}")["archived"] is True
    after = {dc["card_id"]: dc["id"] for dc in admin.get(f"/api/dashboard/{dashboard_id}")["dashcards"]
             if dc["card_id"] is not None}
    assert card_ids["soort_slachtoffer"] not in after
    # Every other dashcard kept its id: updated in place, not recreated.
    assert after == {k: v for k, v in before.items() if k != card_ids["soort_slachtoffer"]}

    again = apply_all(fake_metabase.url, warehouse_url=reporting_url,
                      specs_dir=_changed_specs(tmp_path / "again", dropped="soort_slachtoffer", renamed="top_modi",
                                                        base=one_scope))
    assert (again["created"], again["updated"], again["archived"]) == (0, 0, 0)


def test_edits_made_in_the_metabase_ui_are_undone(fake_metabase: FakeMetabase, reporting_url: str,
                                                  one_scope: Path) -> None:
    first = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    admin = Admin(fake_metabase)
    card = next(o["id"] for o in first["objects"] if o["kind"] == "card")
    stored = admin.get(f"/api/card/{card}")
    query = copy.deepcopy(stored["dataset_query"])
    query["native"]["query"] = query["native"]["query"].replace("k.aantal_weergave", "k.aantal", 1)
    assert admin.request("PUT", f"/api/card/{card}", {"dataset_query": query}).status_code == 200
    dashboard = first["dashboards"][0]["id"]
    dashcards = admin.get(f"/api/dashboard/{dashboard}")["dashcards"]
    assert admin.request("PUT", f"/api/dashboard/{dashboard}", {"dashcards": dashcards[1:]}).status_code == 200

    repaired = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    actions = {(o["kind"], o["id"]): o["action"] for o in repaired["objects"]}
    assert actions[("card", card)] == "updated" and actions[("dashboard", dashboard)] == "updated"
    assert (admin.get(f"/api/card/{card}")["dataset_query"]["native"]["query"]
            == stored["dataset_query"]["native"]["query"])
    assert len(admin.get(f"/api/dashboard/{dashboard}")["dashcards"]) == len(dashcards)


def test_a_stale_permissions_revision_is_retried_once(fake_metabase: FakeMetabase, reporting_url: str,
                                                      one_scope: Path) -> None:
    fake_metabase.simulate_concurrent_edit("data", times=1)
    fake_metabase.simulate_concurrent_edit("collection", times=1)
    summary = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    conflicts = [c for c in fake_metabase.calls if c[2] == 409]
    assert {c[1] for c in conflicts} == {"/api/permissions/graph", "/api/collection/graph"}
    actions = {o["kind"]: o["action"] for o in summary["objects"]}
    assert actions["data_permissions"] == "updated" and actions["collection_permissions"] == "updated"

    admin = Admin(fake_metabase)
    collection = summary["dashboards"][0]["collection_id"]
    graph = admin.get("/api/collection/graph")
    all_users = str(_group_id(admin, "All Users"))
    assert admin.request("PUT", "/api/collection/graph", {"revision": graph["revision"], "groups": {
        all_users: {str(collection): "write"}}}).status_code == 200
    fake_metabase.simulate_concurrent_edit("collection", times=2)
    with pytest.raises(MetabaseError) as failure:
        apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    assert failure.value.status == 409


def test_open_source_metabase_refuses_blocked_and_the_apply_still_isolates_audiences(
        monkeypatch: pytest.MonkeyPatch, reporting_url: str, one_scope: Path) -> None:
    with FakeMetabase(advanced_permissions=False) as fake:
        monkeypatch.setenv("METABASE_ADMIN_EMAIL", fake.admin_email)
        monkeypatch.setenv("METABASE_ADMIN_PASSWORD", fake.admin_password)
        first = apply_all(fake.url, warehouse_url=reporting_url, specs_dir=one_scope)
        assert any("402" in w for w in first["warnings"])
        admin = Admin(fake)
        db = str(database_named(admin, AUDIENCE.connection)["id"])
        all_users = admin.get("/api/permissions/graph")["groups"][str(_group_id(admin, "All Users"))]
        assert all_users[db] == {"view-data": "unrestricted", "download": {"schemas": "full"}}  # no queries
        collection = str(first["dashboards"][0]["collection_id"])
        assert admin.get("/api/collection/graph")["groups"][str(_group_id(admin, "All Users"))][collection] == "none"

        before = len(fake.calls)
        second = apply_all(fake.url, warehouse_url=reporting_url, specs_dir=one_scope)
        assert (second["created"], second["updated"], second["archived"]) == (0, 0, 0)
        assert fake.mutations(before) == []


def test_authentication_is_required_and_checked(fake_metabase: FakeMetabase, reporting_url: str, one_scope: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert requests.get(f"{fake_metabase.url}/api/card", timeout=10).status_code == 401
    monkeypatch.delenv("METABASE_ADMIN_EMAIL")
    with pytest.raises(RuntimeError, match="METABASE_ADMIN_EMAIL"):
        apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)  # not set up, no admin to create
    apply_all(fake_metabase.url, username=fake_metabase.admin_email, password=fake_metabase.admin_password,
              warehouse_url=reporting_url, specs_dir=one_scope)
    with pytest.raises(MetabaseError) as wrong_key:
        apply_all(fake_metabase.url, api_key="mb_niet_geldig", warehouse_url=reporting_url, specs_dir=one_scope)
    assert wrong_key.value.status == 401
    with pytest.raises(MetabaseError) as wrong_password:
        apply_all(fake_metabase.url, username=fake_metabase.admin_email, password="fout", warehouse_url=reporting_url,
                  specs_dir=one_scope)
    assert wrong_password.value.status == 401
    by_key = apply_all(fake_metabase.url, api_key=fake_metabase.create_api_key(), warehouse_url=reporting_url,
                       specs_dir=one_scope)
    assert by_key["created"] == by_key["updated"] == 0


def test_the_cli_command_applies_the_specs(fake_metabase: FakeMetabase, reporting_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from infopositie.cli import app

    monkeypatch.setenv("WAREHOUSE_URL", reporting_url)
    monkeypatch.setenv("METABASE_URL", fake_metabase.url)
    result = CliRunner().invoke(app, ["dashboards", "apply"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # The full specs: every audience its connection and group, every dashboard once per audience.
    dashboards, audiences = load_dashboards(), load_audiences()
    scopes = sum(len(d.audiences) for d in dashboards)
    assert summary["created"] == 2 * len(audiences) + sum((len(d.cards) + 2) * len(d.audiences) for d in dashboards)
    assert len(summary["dashboards"]) == scopes
    assert {(d["key"], d["audience"]) for d in summary["dashboards"]} == {
        (d.key, a) for d in dashboards for a in d.audiences}


def test_members_listed_in_the_audience_spec_join_its_group(fake_metabase: FakeMetabase, reporting_url: str,
                                                            one_scope: Path, tmp_path: Path) -> None:
    apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    admin = Admin(fake_metabase)
    user = admin.request("POST", "/api/user", {"email": "burgemeester@gemeente.test", "first_name": "B",
                                               "last_name": "M"}).json()
    specs = tmp_path / "specs"
    shutil.copytree(one_scope, specs)
    audiences = yaml.safe_load((specs / "audiences.yaml").read_text(encoding="utf-8"))
    audiences["audiences"][0]["members"] = ["Burgemeester@gemeente.test", "onbekend@gemeente.test"]
    (specs / "audiences.yaml").write_text(yaml.safe_dump(audiences, allow_unicode=True), encoding="utf-8")

    summary = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=specs)
    memberships = admin.get("/api/permissions/membership")[str(user["id"])]
    assert _group_id(admin, AUDIENCE.group) in {m["group_id"] for m in memberships}
    assert any("onbekend@gemeente.test" in w for w in summary["warnings"])
    again = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=specs)
    assert (again["created"], again["updated"]) == (0, 0)


def test_members_of_a_derived_audience_join_its_own_group(fake_metabase: FakeMetabase, reporting_url: str,
                                                          one_scope: Path, tmp_path: Path) -> None:
    """A district werkgroep's members, declared under its derived template, land in that
    werkgroep's group and in no other; a second apply changes nothing."""
    apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    admin = Admin(fake_metabase)
    user = admin.request("POST", "/api/user", {"email": "secretaris@utrecht.test", "first_name": "S",
                                               "last_name": "W"}).json()
    specs = tmp_path / "specs"
    shutil.copytree(one_scope, specs)
    full = yaml.safe_load((SPECS_DIR / "audiences.yaml").read_text(encoding="utf-8"))
    districts = copy.deepcopy(next(t for t in full["derived"] if t["family"] == "districten"))
    districts["members"] = {"district_utrecht_stad": ["Secretaris@utrecht.test"]}
    audiences = yaml.safe_load((specs / "audiences.yaml").read_text(encoding="utf-8"))
    audiences["derived"] = [districts]
    (specs / "audiences.yaml").write_text(yaml.safe_dump(audiences, allow_unicode=True), encoding="utf-8")

    summary = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=specs)
    assert summary["warnings"] == []
    group = load_audiences(specs)["district_utrecht_stad"].group
    memberships = {m["group_id"] for m in admin.get("/api/permissions/membership")[str(user["id"])]}
    managed = {_group_id(admin, a.group) for a in load_audiences(specs).values()}
    assert memberships & managed == {_group_id(admin, group)}
    again = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=specs)
    assert (again["created"], again["updated"]) == (0, 0)


def test_every_audience_of_the_reference_data_gets_its_connection_and_dashboards(
        fake_metabase: FakeMetabase, reporting_url: str) -> None:
    """The full specs: one connection per audience logging in as its own role (every basisteam,
    every district, the region), each dashboard in each of its audiences' collections; again: no-op."""
    audiences = load_audiences()
    first = apply_all(fake_metabase.url, warehouse_url=reporting_url)
    admin = Admin(fake_metabase)
    users = {d["name"]: d["details"]["user"] for d in admin.get("/api/database")}
    assert users == {a.connection: a.role for a in audiences.values()}
    roles = set(users.values())
    assert "reporter_regio" in roles and "reporter_mn_us1" in roles
    assert "reporter_district_gooi_en_vechtstreek" in roles
    boards = {(d["key"], d["audience"]): d for d in first["dashboards"]}
    assert ("jaarplan_monitor", "stuurgroep") in boards
    assert ("lokaal_informatiebeeld", "basisteam_mn_us1") in boards
    assert ("cyberbeeld_midden_nederland", "district_utrecht_stad") in boards
    # A driehoek's dashboard is in its own collection, bound to its own connection.
    utrecht = boards[("lokaal_informatiebeeld", "basisteam_mn_us1")]
    db = database_named(admin, audiences["basisteam_mn_us1"].connection)
    for dc in admin.get(f"/api/dashboard/{utrecht['id']}")["dashcards"]:
        if dc["card_id"] is not None:
            card = admin.get(f"/api/card/{dc['card_id']}")
            assert card["dataset_query"]["database"] == db["id"]
            assert card["collection_id"] == utrecht["collection_id"]
    collections = admin.get("/api/collection/graph")["groups"]
    utrecht_group = str(_group_id(admin, audiences["basisteam_mn_us1"].group))
    regio_board = boards[("lokaal_informatiebeeld", "stuurgroep")]
    assert collections[utrecht_group][str(utrecht["collection_id"])] == "read"
    assert collections[utrecht_group][str(regio_board["collection_id"])] == "none"

    second = apply_all(fake_metabase.url, warehouse_url=reporting_url)
    assert (second["created"], second["updated"], second["archived"]) == (0, 0, 0)
    assert fake_metabase.errors == []
