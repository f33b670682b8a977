"""One Metabase database connection per audience, logging in as the audience's own Postgres role.

The connection is what makes row-level security work in open-source Metabase: every query of the
audience runs as its role. Host, port and database come from the warehouse URL; Metabase may see
the warehouse under another name than we do (Docker: `postgres:5432`), which the
METABASE_WAREHOUSE_HOST / _PORT / _DBNAME variables express.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from psycopg.conninfo import conninfo_to_dict

from config import Env
from dashboards.metabase.client import MetabaseClient
from dashboards.metabase.summary import Summary
from dashboards.spec import Audience

# Compared on every apply; the password is write-only in Metabase and never compared.
COMPARED_DETAILS = ("host", "port", "dbname", "user", "ssl", "schema-filters-type", "schema-filters-patterns")


class SyncError(RuntimeError):
    pass


@dataclass(frozen=True)
class WarehouseTarget:
    host: str
    port: int
    dbname: str
    ssl: bool
    schemas: tuple[str, ...]

    @classmethod
    def from_url(cls, url: str, schemas: tuple[str, ...]) -> WarehouseTarget:
        params = conninfo_to_dict(url)
        return cls(
            host=os.environ.get(Env.METABASE_WAREHOUSE_HOST) or str(params.get("host") or "localhost"),
            port=int(os.environ.get(Env.METABASE_WAREHOUSE_PORT) or params.get("port") or 5432),
            dbname=os.environ.get(Env.METABASE_WAREHOUSE_DBNAME) or str(params.get("dbname")),
            ssl=os.environ.get(Env.METABASE_WAREHOUSE_SSL, "false").lower() in ("1", "true", "yes"),
            schemas=schemas,
        )


def desired_details(audience: Audience, target: WarehouseTarget) -> dict:
    details = {
        "host": target.host, "port": target.port, "dbname": target.dbname,
        "user": audience.role, "ssl": target.ssl,
        # Metabase syncs only what the audience's cards read, not every schema the role can see.
        "schema-filters-type": "inclusion",
        "schema-filters-patterns": ",".join(target.schemas),
    }
    password = os.environ.get(audience.password_env) if audience.password_env else None
    if password:
        details["password"] = password
    return details


def _same_details(current: dict, desired: dict) -> bool:
    return all(str(current.get(k)) == str(desired.get(k)) for k in COMPARED_DETAILS)


def ensure_database(client: MetabaseClient, audience: Audience, target: WarehouseTarget,
                    summary: Summary, *, timeout: float) -> int:
    details = desired_details(audience, target)
    existing = [d for d in client.get_list("/api/database") if d.get("name") == audience.connection]
    if not existing:
        created = client.post("/api/database", {"engine": "postgres", "name": audience.connection,
                                                "details": details})
        db_id = int(created["id"])
        summary.record("database", audience.connection, "created", db_id)
        client.post(f"/api/database/{db_id}/sync_schema")
        wait_for_initial_sync(client, db_id, timeout=timeout)
        return db_id
    db_id = int(existing[0]["id"])
    current = client.get(f"/api/database/{db_id}")
    if current.get("engine") != "postgres" or not _same_details(current.get("details") or {}, details):
        client.put(f"/api/database/{db_id}", {"engine": "postgres", "name": audience.connection,
                                              "details": details})
        summary.record("database", audience.connection, "updated", db_id)
        client.post(f"/api/database/{db_id}/sync_schema")
    else:
        summary.record("database", audience.connection, "unchanged", db_id)
    wait_for_initial_sync(client, db_id, timeout=timeout)
    return db_id


def _poll(deadline: float, attempt: int) -> None:
    if time.monotonic() > deadline:
        raise SyncError
    time.sleep(min(0.1 * (2 ** attempt), 2.0))


def wait_for_initial_sync(client: MetabaseClient, db_id: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    attempt = 0
    while (status := client.get(f"/api/database/{db_id}").get("initial_sync_status")) != "complete":
        if status == "aborted":
            raise SyncError(f"Metabase aborted the sync of database {db_id}: can it reach the warehouse "
                              "as the audience's role?")
        try:
            _poll(deadline, attempt)
        except SyncError:
            raise SyncError(f"Metabase did not finish syncing database {db_id} within {timeout:.0f}s") from None
        attempt += 1


FieldIds = dict[tuple[str, str, str], int]


def field_ids(client: MetabaseClient, db_id: int, needed: dict[tuple[str, str], set[str]],
              *, timeout: float) -> FieldIds:
    """Field ids of the needed (schema, table) -> columns, re-syncing once if something is missing
    (a table that dbt created after the connection was made)."""
    deadline = time.monotonic() + timeout
    attempt = 0
    synced = False
    while True:
        metadata = client.get(f"/api/database/{db_id}/metadata", include_hidden="true")
        ids: FieldIds = {}
        tables: set[tuple[str, str]] = set()
        for table in metadata.get("tables", []):
            tables.add((str(table.get("schema")), str(table["name"])))
            for f in table.get("fields", []):
                ids[(str(table.get("schema")), str(table["name"]), str(f["name"]))] = int(f["id"])
        missing = sorted({f"{s}.{t}" for (s, t) in needed if (s, t) not in tables}
                         | {f"{s}.{t}.{c}" for (s, t), cols in needed.items() for c in cols if (s, t, c) not in ids})
        if not missing:
            return ids
        if not synced:
            client.post(f"/api/database/{db_id}/sync_schema")
            synced = True
        try:
            _poll(deadline, attempt)
        except SyncError:
            raise SyncError(
                f"Metabase database {db_id} does not know {', '.join(missing[:5])}: does the relation "
                "exist in the warehouse (run `infopositie build`) and may the audience's role read it?"
            ) from None
        attempt += 1
