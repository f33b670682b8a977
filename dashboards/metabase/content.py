"""Collections, cards and dashboards: the desired state from a spec, and bringing Metabase to it.

Every object we manage carries a marker at the end of its description:
`[infopositie:<key>#<hash>]`. The key (dashboard/audience[/card]) finds the object again on the
next apply, whatever its name or id; the hash is taken over everything we send, so a changed
spec shows up even where Metabase normalises what it stores (e.g. the query format). Name,
display, collection and SQL are compared as well, so edits made in the Metabase UI are undone.
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboards.metabase import native
from dashboards.metabase.client import MetabaseClient
from dashboards.metabase.databases import FieldIds
from dashboards.metabase.summary import Summary
from dashboards.spec import Audience, Card, Dashboard, Parameter

MARKER_RE = re.compile(r"\[infopositie:(?P<key>[a-z0-9_/]+)#(?P<hash>[0-9a-f]{12})\]")
MANAGED_NOTE = "Beheerd als code (dashboards/specs in Infopositie); wijzigingen hier worden overschreven."
_TAG_NAMESPACE = uuid.UUID("4f1b2c3d-9a8e-4c1f-b6a2-1d2e3f4a5b6c")


def content_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def with_marker(text: str, key: str, digest: str) -> str:
    return f"{text.strip()}\n\n{MANAGED_NOTE} [infopositie:{key}#{digest}]"


def marker(description: str | None) -> tuple[str, str] | None:
    match = MARKER_RE.search(description or "")
    return (match["key"], match["hash"]) if match else None


def native_sql(dataset_query: dict) -> str | None:
    """The SQL of a stored card, in the legacy shape or the stage-based (MBQL 5) shape."""
    if "native" in dataset_query and isinstance(dataset_query["native"], dict):
        return dataset_query["native"].get("query")
    stages = dataset_query.get("stages") or []
    return stages[0].get("native") if stages else None


# -- desired state --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """One dashboard spec as one audience sees it: its own collection, cards and connection."""

    dashboard: Dashboard
    audience: Audience
    database_id: int
    fields: FieldIds
    # Gemeenten this audience may not be shown on this dashboard (sharing preferences).
    withheld: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.dashboard.key}/{self.audience.key}"

    def card_key(self, card: Card) -> str:
        return f"{self.key}/{card.key}"

    def field_id(self, column: str) -> int:
        d = self.dashboard
        return self.fields[(d.source_schema, d.source_table, column)]


def parameter_id(dashboard: Dashboard, parameter: Parameter) -> str:
    return hashlib.sha1(f"{dashboard.key}/{parameter.slug}".encode()).hexdigest()[:8]


def _tag_id(scope: Scope, card: Card, slug: str) -> str:
    return str(uuid.uuid5(_TAG_NAMESPACE, f"{scope.card_key(card)}/{slug}"))


def template_tags(scope: Scope, card: Card) -> tuple[dict, list[dict]]:
    """Template tags and the card parameters that mirror them (Metabase wants both)."""
    tags: dict[str, dict] = {}
    parameters: list[dict] = []
    for slug in native.tags_in(scope.dashboard.card_sql(card)):
        p = scope.dashboard.parameter(slug)
        tag_id = _tag_id(scope, card, slug)
        tag = {"id": tag_id, "name": slug, "display-name": p.name, "required": False}
        if p.kind == "field_filter":
            tag.update({"type": "dimension", "dimension": ["field", scope.field_id(p.field), None],
                        "widget-type": p.widget})
            target = ["dimension", ["template-tag", slug]]
            param_type = p.widget
        else:
            tag.update({"type": "text"})
            target = ["variable", ["template-tag", slug]]
            param_type = "category"
        if p.default is not None:
            tag["default"] = p.default
        tags[slug] = tag
        parameters.append({"id": tag_id, "type": param_type, "target": target, "name": p.name, "slug": slug})
    return tags, parameters


def card_payload(scope: Scope, card: Card, collection_id: int) -> dict:
    tags, parameters = template_tags(scope, card)
    body = {
        "name": card.name,
        "display": card.display,
        "visualization_settings": card.visualization_settings,
        "collection_id": collection_id,
        "dataset_query": {"type": "native", "database": scope.database_id,
                          "native": {"query": scope.dashboard.card_sql(card, scope.withheld),
                                     "template-tags": tags}},
        "parameters": parameters,
    }
    digest = content_hash({**body, "description": card.description})
    return {**body, "description": with_marker(card.description, scope.card_key(card), digest)}


def dashboard_parameters(dashboard: Dashboard) -> list[dict]:
    result = []
    for p in dashboard.parameters:
        param = {"id": parameter_id(dashboard, p), "name": p.name, "slug": p.slug,
                 "type": p.widget, "sectionId": "string"}
        if p.default is not None:
            param["default"] = [p.default]
        result.append(param)
    return result


def _virtual_text(text: str) -> dict:
    return {"virtual_card": {"name": None, "display": "text", "visualization_settings": {},
                             "dataset_query": {}, "archived": False},
            "text": text.strip()}


def desired_dashcards(scope: Scope, card_ids: dict[str, int]) -> list[dict]:
    """Dashcards without ids yet; `card_ids` maps card key -> Metabase card id."""
    dashboard = scope.dashboard
    result = []
    for card in dashboard.cards:
        card_id = card_ids[card.key]
        mappings = [{"parameter_id": parameter_id(dashboard, dashboard.parameter(slug)), "card_id": card_id,
                     "target": ["dimension" if dashboard.parameter(slug).kind == "field_filter" else "variable",
                                ["template-tag", slug]]}
                    for slug in native.tags_in(dashboard.card_sql(card))]
        result.append({"card_id": card_id, **card.layout.model_dump(), "parameter_mappings": mappings,
                       "visualization_settings": {}})
    for text in dashboard.texts:
        result.append({"card_id": None, **text.layout.model_dump(), "parameter_mappings": [],
                       "visualization_settings": _virtual_text(text.text)})
    return result


# -- comparison -----------------------------------------------------------------------------------
def _dashcard_text(dashcard: dict) -> str | None:
    return (dashcard.get("visualization_settings") or {}).get("text")


def _mappings(dashcard: dict) -> list[tuple]:
    return sorted((str(m.get("parameter_id")), m.get("card_id"), json.dumps(m.get("target")))
                  for m in dashcard.get("parameter_mappings") or [])


def _same_dashcard(current: dict, desired: dict) -> bool:
    layout = ("row", "col", "size_x", "size_y", "card_id")
    return (all(current.get(k) == desired.get(k) for k in layout)
            and _mappings(current) == _mappings(desired)
            and _dashcard_text(current) == _dashcard_text(desired)
            and not current.get("dashboard_tab_id"))


def assign_dashcard_ids(current: list[dict], desired: list[dict]) -> list[dict]:
    """Reuse the id of the current dashcard showing the same card (or text, or at the same
    place); everything else gets a negative id, i.e. is created. Unused current ids are left
    out, which makes Metabase delete them."""
    free = list(current)
    result: list[dict] = []
    new_id = -1

    def take(predicate: Callable[[dict], bool]) -> dict | None:
        for dc in free:
            if predicate(dc):
                free.remove(dc)
                return dc
        return None

    for want in desired:
        if want["card_id"] is not None:
            match = take(lambda dc, want=want: dc.get("card_id") == want["card_id"])
        else:
            match = (take(lambda dc, want=want: dc.get("card_id") is None
                          and _dashcard_text(dc) == _dashcard_text(want))
                     or take(lambda dc, want=want: dc.get("card_id") is None and (dc.get("row"), dc.get("col"))
                             == (want["row"], want["col"])))
        if match is not None:
            result.append({"id": match["id"], **want})
        else:
            result.append({"id": new_id, **want})
            new_id -= 1
    return result


# -- apply ----------------------------------------------------------------------------------------
def _managed_items(client: MetabaseClient, collection_id: int, model: str) -> dict[str, list[dict]]:
    by_key: dict[str, list[dict]] = {}
    # Since v0.53 a question can live inside its dashboard; list those too, so none is missed.
    for item in client.get_list(f"/api/collection/{collection_id}/items", models=model,
                                show_dashboard_questions="true"):
        if item.get("model", model) != model or item.get("archived"):
            continue
        found = marker(item.get("description"))
        if found:
            by_key.setdefault(found[0], []).append(item)
    for items in by_key.values():
        items.sort(key=lambda i: int(i["id"]))
    return by_key


def managed_collections(client: MetabaseClient) -> dict[str, dict]:
    result: dict[str, dict] = {}
    for c in client.get_list("/api/collection"):
        if not isinstance(c.get("id"), int) or c.get("archived"):
            continue
        found = marker(c.get("description"))
        if found and found[0] not in result:
            result[found[0]] = c
    return result


def ensure_collection(client: MetabaseClient, scope: Scope, existing: dict[str, dict], summary: Summary) -> int:
    spec = scope.dashboard.collection
    name = f"{spec.name} — {scope.audience.label}"
    digest = content_hash({"name": name, "description": spec.description})
    body = {"name": name, "description": with_marker(spec.description, scope.key, digest)}
    current = existing.get(scope.key)
    if current is None:
        created = client.post("/api/collection", body)
        summary.record("collection", scope.key, "created", created["id"])
        return int(created["id"])
    if marker(current.get("description")) != (scope.key, digest) or current.get("name") != name \
            or current.get("location", "/") != "/":
        client.put(f"/api/collection/{current['id']}", {**body, "parent_id": None})
        summary.record("collection", scope.key, "updated", current["id"])
    else:
        summary.record("collection", scope.key, "unchanged", current["id"])
    return int(current["id"])


def _card_differs(current: dict, desired: dict) -> bool:
    return (marker(current.get("description")) != marker(desired["description"])
            or current.get("name") != desired["name"]
            or current.get("display") != desired["display"]
            or current.get("collection_id") != desired["collection_id"]
            or bool(current.get("archived"))
            or native_sql(current.get("dataset_query") or {}) != desired["dataset_query"]["native"]["query"])


def ensure_cards(client: MetabaseClient, scope: Scope, collection_id: int,
                 summary: Summary) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Create or update every card of the spec; returns card key -> id, and (key, id) of the
    managed cards the spec no longer has (archived once the dashboard no longer shows them)."""
    existing = {k: v for k, v in _managed_items(client, collection_id, "card").items()
                if k.startswith(scope.key + "/")}
    ids: dict[str, int] = {}
    dropped: list[tuple[str, int]] = []
    for card in scope.dashboard.cards:
        key = scope.card_key(card)
        desired = card_payload(scope, card, collection_id)
        found = existing.pop(key, [])
        if not found:
            created = client.post("/api/card", desired)
            ids[card.key] = int(created["id"])
            summary.record("card", key, "created", ids[card.key])
            continue
        keep, *copies = found
        if copies:
            # A copy made in the UI carries our marker too; one card per key stays managed.
            summary.warn(f"card {key}: {len(copies)} copie(s) with the same marker archived")
            dropped += [(key, int(c["id"])) for c in copies]
        current = client.get(f"/api/card/{keep['id']}")
        ids[card.key] = int(keep["id"])
        if _card_differs(current, desired):
            client.put(f"/api/card/{keep['id']}", {**desired, "archived": False})
            summary.record("card", key, "updated", keep["id"])
        else:
            summary.record("card", key, "unchanged", keep["id"])
    dropped += [(key, int(item["id"])) for key, items in existing.items() for item in items]
    return ids, dropped


def ensure_dashboard(client: MetabaseClient, scope: Scope, collection_id: int,
                     card_ids: dict[str, int], summary: Summary) -> int:
    d = scope.dashboard
    parameters = dashboard_parameters(d)
    digest = content_hash({"name": d.name, "description": d.description, "parameters": parameters,
                           "collection_id": collection_id})
    header = {"name": d.name, "description": with_marker(d.description, scope.key, digest),
              "collection_id": collection_id, "parameters": parameters}
    wanted = desired_dashcards(scope, card_ids)
    found = _managed_items(client, collection_id, "dashboard").get(scope.key, [])
    if len(found) > 1:
        summary.warn(f"dashboard {scope.key}: {len(found) - 1} copie(s) with the same marker left alone")
    if not found:
        created = client.post("/api/dashboard", header)
        dashboard_id = int(created["id"])
        client.put(f"/api/dashboard/{dashboard_id}",
                   {**header, "tabs": [], "dashcards": assign_dashcard_ids([], wanted)})
        summary.record("dashboard", scope.key, "created", dashboard_id)
        return dashboard_id
    dashboard_id = int(found[0]["id"])
    current = client.get(f"/api/dashboard/{dashboard_id}")
    current_cards = current.get("dashcards") or []
    dashcards = assign_dashcard_ids(current_cards, wanted)
    by_id = {dc["id"]: dc for dc in current_cards}
    unchanged = (
        marker(current.get("description")) == (scope.key, digest)
        and current.get("name") == d.name
        and current.get("collection_id") == collection_id
        and not current.get("archived")
        and not current.get("tabs")
        and len(dashcards) == len(current_cards)
        and all(dc["id"] in by_id and _same_dashcard(by_id[dc["id"]], dc) for dc in dashcards)
    )
    if unchanged:
        summary.record("dashboard", scope.key, "unchanged", dashboard_id)
    else:
        # One PUT with the full desired state: new dashcards have negative ids, kept ones their
        # own id, and every dashcard left out is deleted by Metabase.
        client.put(f"/api/dashboard/{dashboard_id}",
                   {**header, "archived": False, "tabs": [], "dashcards": dashcards})
        summary.record("dashboard", scope.key, "updated", dashboard_id)
    return dashboard_id


def archive(client: MetabaseClient, kind: str, objects: list[tuple[str, int]], summary: Summary) -> None:
    for key, object_id in objects:
        client.put(f"/api/{kind}/{object_id}", {"archived": True})
        summary.record(kind, key, "archived", object_id)
