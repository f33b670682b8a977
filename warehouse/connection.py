"""One way to find and reach the warehouse: WAREHOUSE_URL if set, else the embedded default."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
import psycopg.sql

from infopositie.settings import load_settings


def warehouse_url() -> str:
    settings = load_settings()
    if settings.warehouse_url:
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
