"""Raw feed tables, derived from the feed contracts.

Each raw table is partitioned by delivery: a load writes a new standalone table, audits it and
then attaches it as a partition in the publishing transaction (write-audit-publish). Earlier
deliveries stay as partitions, so history is never lost; which delivery is current for a period
is recorded in audit.deliveries.
"""
from __future__ import annotations

from psycopg import sql

from config import Role
from ingest.contracts import Contract, all_contracts
from warehouse.connection import connect

# The role that owns the raw tables and writes every load.
LOADER_ROLE = Role.LOADER


def column_definitions(contract: Contract) -> list[sql.Composable]:
    cols = [
        sql.SQL("delivery_id bigint not null"),
        sql.SQL("line_number integer not null"),
    ]
    for c in contract.stored_columns:
        cols.append(sql.SQL("{} {}").format(sql.Identifier(c.stored_name), sql.SQL(c.stored_type)))
    return cols


def create_table_sql(contract: Contract) -> sql.Composed:
    schema, table = contract.raw_table.split(".")
    return sql.SQL("create table if not exists {}.{} ({}) partition by list (delivery_id)").format(
        sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(column_definitions(contract))
    )


def comment_sql(contract: Contract) -> list[sql.Composed]:
    schema, table = contract.raw_table.split(".")
    stmts = [sql.SQL("comment on table {}.{} is {}").format(
        sql.Identifier(schema), sql.Identifier(table), sql.Literal(f"{contract.title}. {contract.description}"))]
    for c in contract.stored_columns:
        note = c.description
        if c.personal == "pseudonymise":
            note += " Gepseudonimiseerd met een HMAC-sleutel."
        stmts.append(sql.SQL("comment on column {}.{}.{} is {}").format(
            sql.Identifier(schema), sql.Identifier(table), sql.Identifier(c.stored_name), sql.Literal(note)))
    return stmts


def ensure_raw_tables(url: str, contracts: list[Contract] | None = None) -> None:
    """Create missing raw tables (owned by the loader role). Idempotent."""
    with connect(url, role=LOADER_ROLE) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext('infopositie.raw_tables'))")
        for contract in contracts or all_contracts():
            conn.execute(create_table_sql(contract))
            for stmt in comment_sql(contract):
                conn.execute(stmt)
