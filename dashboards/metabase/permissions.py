"""Groups, memberships and the two permission graphs (data and collections).

Each audience's group may use its own connection and is blocked on every other audience's
connection; "All Users" (every Metabase user is in it, and the most permissive group wins) is
blocked on all of them. Collections follow the same line: an audience's group may view its own
collections and nothing else we manage.

Both graphs carry a `revision`: Metabase answers 409 when someone saved in between, and we then
read the graph again and retry once. Open-source Metabase refuses `view-data: blocked` with 402
(it needs the advanced-permissions feature); then we keep everything else, and the audience's
isolation rests on the collection permissions, create-queries `no` and the Postgres role.
"""
from __future__ import annotations

from collections.abc import Callable

from dashboards.metabase.client import MetabaseClient, MetabaseError
from dashboards.metabase.summary import Summary
from dashboards.spec import Audience

ALL_USERS = "All Users"
# Metabase leaves the least permissive value out of the graph it returns.
LEAST = {"view-data": "blocked", "create-queries": "no"}
OSS_VIEW_DATA_WARNING = (
    "view-data 'blocked' is Pro/Enterprise only (HTTP 402); audiences are separated by their "
    "collections, create-queries 'no' and their own Postgres role instead")

Graph = dict[str, dict[str, dict[str, str]]]


def ensure_group(client: MetabaseClient, name: str, summary: Summary) -> int:
    for group in client.get_list("/api/permissions/group"):
        if group.get("name") == name:
            summary.record("group", name, "unchanged", group["id"])
            return int(group["id"])
    created = client.post("/api/permissions/group", {"name": name})
    summary.record("group", name, "created", created["id"])
    return int(created["id"])


def all_users_group(client: MetabaseClient) -> int:
    for group in client.get_list("/api/permissions/group"):
        if group.get("name") == ALL_USERS:
            return int(group["id"])
    raise RuntimeError("Metabase has no 'All Users' group")


def ensure_members(client: MetabaseClient, audience: Audience, group_id: int, summary: Summary) -> None:
    if not audience.members:
        return
    users = {str(u.get("email", "")).lower(): int(u["id"]) for u in client.get_list("/api/user")}
    memberships = client.get("/api/permissions/membership") or {}
    for email in audience.members:
        user_id = users.get(email.lower())
        if user_id is None:
            summary.warn(f"{audience.group}: no Metabase user {email}; create the account first")
            continue
        groups = {int(m["group_id"]) for m in memberships.get(str(user_id), [])}
        key = f"{audience.group}/{email}"
        if group_id in groups:
            summary.record("membership", key, "unchanged")
        else:
            client.post("/api/permissions/membership", {"group_id": group_id, "user_id": user_id})
            summary.record("membership", key, "created")


def desired_data_graph(audiences: list[Audience], groups: dict[str, int], databases: dict[str, int],
                       all_users: int) -> Graph:
    graph: Graph = {str(all_users): {str(db): {"view-data": "blocked", "create-queries": "no"}
                                     for db in databases.values()}}
    for audience in audiences:
        own = databases[audience.key]
        graph[str(groups[audience.key])] = {
            str(db): ({"view-data": "unrestricted", "create-queries": audience.create_queries} if db == own
                      else {"view-data": "blocked", "create-queries": "no"})
            for db in databases.values()
        }
    return graph


def data_graph_changes(current: dict, desired: Graph) -> Graph:
    changes: Graph = {}
    groups = current.get("groups") or {}
    for group, dbs in desired.items():
        for db, perms in dbs.items():
            now = (groups.get(group) or {}).get(db) or {}
            if any(now.get(k, LEAST.get(k)) != v for k, v in perms.items()):
                changes.setdefault(group, {})[db] = perms
    return changes


def _without_blocked(desired: Graph) -> Graph:
    return {g: {db: {k: v for k, v in p.items() if not (k == "view-data" and v == "blocked")}
                for db, p in dbs.items()} for g, dbs in desired.items()}


def _put_with_revision(client: MetabaseClient, path: str, changes_for: Callable[[dict], dict]) -> bool:
    """PUT the changes against the current revision; on 409 read again and retry once.
    Returns whether anything had to change."""
    for attempt in (1, 2):
        current = client.get(path)
        changes = changes_for(current)
        if not changes:
            return False
        try:
            client.put(path, {"revision": current["revision"], "groups": changes})
            return True
        except MetabaseError as exc:
            if exc.status != 409 or attempt == 2:
                raise
    return True  # unreachable


def ensure_data_permissions(client: MetabaseClient, desired: Graph, summary: Summary) -> None:
    path = "/api/permissions/graph"
    try:
        changed = _put_with_revision(client, path, lambda g: data_graph_changes(g, desired))
    except MetabaseError as exc:
        if exc.status != 402:
            raise
        summary.warn(OSS_VIEW_DATA_WARNING)
        relaxed = _without_blocked(desired)
        changed = _put_with_revision(client, path, lambda g: data_graph_changes(g, relaxed))
    summary.record("data_permissions", "graph", "updated" if changed else "unchanged")


def desired_collection_graph(audiences: list[Audience], groups: dict[str, int],
                             collections: dict[str, list[int]], all_users: int) -> Graph:
    everything = [c for ids in collections.values() for c in ids]
    graph: Graph = {str(all_users): {str(c): "none" for c in everything}}  # type: ignore[dict-item]
    for audience in audiences:
        own = set(collections.get(audience.key, []))
        graph[str(groups[audience.key])] = {str(c): ("read" if c in own else "none") for c in everything}  # type: ignore[dict-item]
    return graph


def collection_graph_changes(current: dict, desired: Graph) -> Graph:
    changes: dict = {}
    groups = current.get("groups") or {}
    for group, perms in desired.items():
        for collection, value in perms.items():
            if (groups.get(group) or {}).get(collection, "none") != value:
                changes.setdefault(group, {})[collection] = value
    return changes


def ensure_collection_permissions(client: MetabaseClient, desired: Graph, summary: Summary) -> None:
    changed = _put_with_revision(client, "/api/collection/graph", lambda g: collection_graph_changes(g, desired))
    summary.record("collection_permissions", "graph", "updated" if changed else "unchanged")
