"""The one way to find and reach the warehouse: WAREHOUSE_URL if set, else the embedded default.

Every connection of the platform is opened here, so the role it acts as (SET ROLE), the database
it lands in and how long it waits for the server are decided in one place.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.errors
import psycopg.sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from config import load_settings

# The server's maintenance database: where databases are created and dropped.
MAINTENANCE_DB = "postgres"

_checked: set[str] = set()


def warehouse_url() -> str:
    settings = load_settings()
    if settings.warehouse_url:
        if settings.warehouse_url not in _checked:
            _create_if_missing(settings.warehouse_url)
            _checked.add(settings.warehouse_url)
        return settings.warehouse_url
    from warehouse.embedded import EmbeddedWarehouse

    return EmbeddedWarehouse(settings.pgdata).ensure_running()


def open_connection(url: str | None = None, *, role: str | None = None, autocommit: bool = False,
                    dbname: str | None = None, connect_timeout: int | None = None,
                    **kwargs: Any) -> psycopg.Connection:
    """A connection the caller closes (for ones that outlive a `with` block, such as the parallel
    COPY connections); otherwise use `connect`. Arguments as for `connect`."""
    conninfo = url or warehouse_url()
    if dbname is not None:
        conninfo = make_conninfo(conninfo, dbname=dbname)
    if connect_timeout is not None:
        kwargs["connect_timeout"] = connect_timeout
    conn = psycopg.connect(conninfo, autocommit=autocommit, **kwargs)
    if role:
        try:
            conn.execute(psycopg.sql.SQL("set role {}").format(psycopg.sql.Identifier(role)))
        except BaseException:
            conn.close()
            raise
    return conn


@contextmanager
def connect(url: str | None = None, *, role: str | None = None, autocommit: bool = False,
            dbname: str | None = None, connect_timeout: int | None = None,
            **kwargs: Any) -> Iterator[psycopg.Connection]:
    """A connection to `url` (default: the warehouse); committed when the block ends without an
    error, rolled back otherwise (psycopg's own rule), and closed.

    `role`: every statement runs as that role (SET ROLE), so grants and row-level security apply
    exactly as they would for that role logging in itself. `dbname`: another database on the same
    server (e.g. MAINTENANCE_DB). Further keyword arguments (row_factory, ...) go to psycopg."""
    with open_connection(url, role=role, autocommit=autocommit, dbname=dbname, connect_timeout=connect_timeout,
                         **kwargs) as conn:
        yield conn


def ensure_database(url: str, name: str) -> bool:
    """Create database `name` on the server of `url` unless it exists; True when it was created."""
    with connect(url, dbname=MAINTENANCE_DB, autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(name)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return False  # another process (a parallel test worker, an Airflow task) created it first
        return True


def _create_if_missing(url: str) -> None:
    """A WAREHOUSE_URL may name a database that does not exist yet on a fresh server: create it
    (through the server's maintenance database) rather than fail the first command."""
    try:
        open_connection(url, connect_timeout=10).close()
    except psycopg.OperationalError as err:
        if "does not exist" not in str(err):
            raise
        ensure_database(url, str(conninfo_to_dict(url)["dbname"]))
