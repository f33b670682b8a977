"""`infopositie dashboards apply`: bring Metabase to the state declared in dashboards/specs.

Idempotent: every object is found again by its marker (see content.py) or its name, compared,
and only written when it differs, so a second apply reports everything `unchanged`. Order:
setup (first run only) -> one connection per audience (synced) -> groups -> per dashboard and
audience: collection, cards, dashboard (one PUT with all dashcards), then archive what the spec
dropped -> data and collection permission graphs.
"""
from __future__ import annotations

from pathlib import Path

from dashboards.metabase import content, databases, permissions
from dashboards.metabase.client import connect
from dashboards.metabase.summary import Summary
from dashboards.spec import SPECS_DIR, load_audiences, load_dashboards, load_sharing


def apply_all(metabase_url: str, *, username: str | None = None, password: str | None = None,
              api_key: str | None = None, warehouse_url: str, specs_dir: Path | None = None,
              sync_timeout: float = 300.0) -> dict:
    specs_dir = specs_dir or SPECS_DIR
    audiences = load_audiences(specs_dir)
    dashboards = load_dashboards(specs_dir)
    sharing = load_sharing(specs_dir)
    summary = Summary()
    client, summary.setup = connect(metabase_url, username=username, password=password, api_key=api_key)

    schemas = tuple(sorted({d.source_schema for d in dashboards})) or ("reporting",)
    target = databases.WarehouseTarget.from_url(warehouse_url, schemas)
    ordered = list(audiences.values())

    database_ids: dict[str, int] = {}
    fields: dict[str, databases.FieldIds] = {}
    for audience in ordered:
        db_id = databases.ensure_database(client, audience, target, summary, timeout=sync_timeout)
        database_ids[audience.key] = db_id
        needed: dict[tuple[str, str], set[str]] = {}
        for d in dashboards:
            if audience.key in d.audiences:
                cols = needed.setdefault((d.source_schema, d.source_table), set())
                cols.update(p.field for p in d.parameters if p.field)
        fields[audience.key] = databases.field_ids(client, db_id, needed, timeout=sync_timeout) if needed else {}

    group_ids: dict[str, int] = {}
    for audience in ordered:
        group_ids[audience.key] = permissions.ensure_group(client, audience.group, summary)
        permissions.ensure_members(client, audience, group_ids[audience.key], summary)

    existing_collections = content.managed_collections(client)
    collections: dict[str, list[int]] = {}
    wanted_scopes: set[str] = set()
    for dashboard in dashboards:
        for audience_key in dashboard.audiences:
            audience = audiences[audience_key]
            scope = content.Scope(dashboard, audience, database_ids[audience_key], fields[audience_key],
                                  sharing.withheld(dashboard.key, audience))
            wanted_scopes.add(scope.key)
            collection_id = content.ensure_collection(client, scope, existing_collections, summary)
            collections.setdefault(audience_key, []).append(collection_id)
            card_ids, dropped = content.ensure_cards(client, scope, collection_id, summary)
            dashboard_id = content.ensure_dashboard(client, scope, collection_id, card_ids, summary)
            # Only now: the dashboard no longer shows the dropped cards.
            content.archive(client, "card", dropped, summary)
            summary.dashboards.append({"key": dashboard.key, "audience": audience_key, "id": dashboard_id,
                                       "collection_id": collection_id,
                                       "url": f"{metabase_url.rstrip('/')}/dashboard/{dashboard_id}"})
    # A dashboard (or an audience of it) that left the specs: its collection goes to the trash.
    gone = [(key, int(c["id"])) for key, c in existing_collections.items() if key not in wanted_scopes]
    content.archive(client, "collection", gone, summary)

    all_users = permissions.all_users_group(client)
    permissions.ensure_data_permissions(
        client, permissions.desired_data_graph(ordered, group_ids, database_ids, all_users), summary)
    permissions.ensure_collection_permissions(
        client, permissions.desired_collection_graph(ordered, group_ids, collections, all_users), summary)
    return summary.as_dict()
