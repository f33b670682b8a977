"""Step 3, type: every value typed against the reference data (Dutch decimals, two date forms,
gemeente codes in three spellings, merged gemeenten mapped), stored once per distinct value."""
from __future__ import annotations

import psycopg

from ingest.delivery import Delivery
from ingest.normalize import Reference, normalize


def load_reference(conn: psycopg.Connection) -> Reference:
    codes = frozenset(r[0] for r in conn.execute(
        "select gemeentecode from reference.gemeenten where geldig_van <= current_date"
        " and (geldig_tot is null or geldig_tot > current_date)"))
    mapping = {old: (new, name, f"{since:%d-%m-%Y}") for old, name, new, since in conn.execute(
        "select oude_code, oude_naam, nieuwe_code, per_datum from reference.gemeentecode_mapping")}
    districts = dict(conn.execute(
        "select gemeentecode, district from reference.gemeenten where geldig_van <= current_date"
        " and (geldig_tot is null or geldig_tot > current_date)").fetchall())
    return Reference(codes, mapping, districts)


def others(conn: psycopg.Connection, delivery: Delivery) -> None:
    """Every column except the identifiers: those are stored as their pseudonyms, untyped."""
    contract = delivery.known_contract
    delivery.reference = load_reference(conn)
    delivery.typed = normalize(contract, delivery.raw.frame, delivery.reference, part="others",
                               decimal_comma=delivery.raw.encoding != "xlsx" and contract.format != "json")


def identifiers(delivery: Delivery) -> None:
    """The identifiers, for validation only (nearly all distinct, so this is the slow part): it
    runs while the first rows are being written."""
    delivery.typed.columns.update(
        normalize(delivery.known_contract, delivery.raw.frame, delivery.reference, part="identifiers").columns)
