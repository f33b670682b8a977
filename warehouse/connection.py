"""One way to find and reach the warehouse: WAREHOUSE_URL if set, else the embedded default."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
import psycopg.errors
import psycopg.sql

from infopositie.settings import load_settings


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


@contextmanager
def connect(url: str | None = None, *, role: str | None = None, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A connection; with `role`, every statement runs as that role (SET ROLE), so grants and
    row-level security apply exactly as they would for that role logging in itself."""
    with psycopg.connect(url or warehouse_url(), autocommit=autocommit) as conn:
        if role:
            conn.execute(psycopg.sql.SQL("set role {}").format(psycopg.sql.Identifier(role)))
        yield conn


def _create_if_missing(url: str) -> None:
    """A WAREHOUSE_URL may name a database that does not exist yet on a fresh server: create it
    (through the server's maintenance database) rather than fail the first command."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.OperationalError as err:
        if "does not exist" not in str(err):
            raise
        params = conninfo_to_dict(url)
        name = params["dbname"]
        with psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as conn:
            try:
                conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(name)))
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another process (a parallel test worker, an Airflow task) created it first
