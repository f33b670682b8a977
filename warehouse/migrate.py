"""Versioned, idempotent migrations: `V###__name.sql` files applied once each, in order."""
from __future__ import annotations

import re
from pathlib import Path

import psycopg

from warehouse.connection import MAINTENANCE_DB, connect
from warehouse.reference import load_reference

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^V(\d{3})__[a-z0-9_]+\.sql$")


def pending(conn: psycopg.Connection) -> list[Path]:
    applied = {r[0] for r in conn.execute("select version from audit.schema_migrations")}
    files = sorted(p for p in MIGRATIONS_DIR.glob("V*.sql") if _NAME.match(p.name))
    return [p for p in files if p.name not in applied]


def migrate(url: str) -> list[str]:
    """Apply pending migrations and reload reference data. Safe to run any number of times,
    also concurrently (an advisory lock serialises runners)."""
    applied: list[str] = []
    # Roles belong to the server, not to one database, and advisory locks to one database: two
    # warehouses on one server migrated at the same moment (two test workers on a fresh server)
    # both created role `loader`, and one failed. So the lock is taken in the maintenance database,
    # which every warehouse on the server shares.
    with connect(url, dbname=MAINTENANCE_DB, autocommit=True) as server, connect(url) as conn:
        server.execute("select pg_advisory_lock(hashtext('infopositie.migrate'))")
        conn.execute("select pg_advisory_xact_lock(hashtext('infopositie.migrate'))")
        conn.execute("create schema if not exists audit")
        conn.execute(
            "create table if not exists audit.schema_migrations ("
            " version text primary key, applied_at timestamptz not null default now())"
        )
        for path in pending(conn):
            conn.execute(path.read_text())
            conn.execute("insert into audit.schema_migrations (version) values (%s)", (path.name,))
            applied.append(path.name)
        load_reference(conn)
        # One reporter role per basisteam in the reference data just loaded (V006).
        conn.execute("select audit.sync_audience_roles()")
    return applied
