"""Load the project's reference CSVs into `reference.*` (full replace in one transaction).

The CSVs are the project's own (warehouse/reference/), unless INFOPOSITIE_REFERENCE_DIR names
another folder with the same files: the synthetic national reference of `infopositie bench scale`
takes exactly the path the real reference data takes."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import psycopg

from config import Env

REFERENCE_DIR = Path(__file__).parent / "reference"


def reference_dir() -> Path:
    """The folder the reference CSVs are read from (read at every call: the bench sets it)."""
    return Path(os.environ.get(Env.REFERENCE_DIR) or REFERENCE_DIR)

TABLES = {
    "gemeenten": "reference.gemeenten",
    "gemeentecode_mapping": "reference.gemeentecode_mapping",
}


def load_reference(conn: psycopg.Connection) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, table in TABLES.items():
        with open(reference_dir() / f"{name}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        columns = list(rows[0].keys())
        conn.execute(f"delete from {table}")
        with conn.cursor().copy(
            f"copy {table} ({', '.join(columns)}) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row([row[c] if row[c] != "" else None for c in columns])
        counts[table] = len(rows)
    return counts


def current_gemeenten() -> list[dict[str, str]]:
    """The currently valid gemeenten straight from the CSV (for tools that run before a warehouse
    exists, such as the synthetic data generator)."""
    with open(reference_dir() / "gemeenten.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if not r["geldig_tot"]]
