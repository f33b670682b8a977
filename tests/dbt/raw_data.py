"""Raw politie registrations for the dbt tests, written the way the ingest publishes them.

The ingest pipeline is built in parallel, so these tests load the raw layer directly, as role
`loader`: one audit.deliveries row per monthly file plus a partition
raw.politie_registraties_d<delivery_id> with that delivery's rows. A correction for a month
supersedes the earlier delivery exactly like ingest/audit.supersede_current does.

The data set is small but shaped like the real thing: registrations spread over the 38 gemeenten
by population (so small gemeenten get counts of 1-4 and the disclosure control has work to do),
a few percent with unknown gemeente, and the modus, age and victim mixes of the year plan.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg
from psycopg import sql

from ingest.contracts import load_contract
from warehouse.connection import connect
from warehouse.reference import current_gemeenten

FEED = "politie_registraties"
PARTNER = "politie"

MODI: dict[str, float] = {
    "phishing": 22, "vriend-in-nood": 14, "bankhelpdeskfraude": 9, "marktplaatsfraude": 16,
    "webwinkelfraude": 10, "identiteitsfraude": 6, "sextortion": 3, "ransomware": 1.5,
    "hacken": 8, "ddos": 0.8, "beleggingsfraude": 3, "datingfraude": 2.5, "overig": 4,
}
LEEFTIJDSKLASSEN: dict[str, float] = {
    "0-17": 6, "18-24": 14, "25-44": 32, "45-64": 26, "65+": 15, "onbekend": 7,
}
SLACHTOFFER_TYPES: dict[str, float] = {"burger": 85, "ondernemer": 11, "instelling": 4}
SOORT_MISDRIJF = {"ransomware": "3.7.4", "hacken": "3.7.4", "ddos": "3.7.4", "sextortion": "1.6.2"}


@dataclass(frozen=True)
class Delivery:
    delivery_id: int
    period: str
    rows: list[dict]


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _months(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_rows(period: str, count: int, *, seed: int, unknown_share: float = 0.03,
               tag: str = "") -> list[dict]:
    """`count` registrations in month `period` (JJJJ-MM), deterministic for a seed."""
    rng = random.Random(f"{seed}-{period}-{tag}")
    gemeenten = current_gemeenten()
    weights = [int(g["inwoners_circa"]) for g in gemeenten]
    year, month = map(int, period.split("-"))
    first = date(year, month, 1)
    days = ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - first).days
    rows = []
    for i in range(count):
        modus = _pick(rng, MODI)
        registered = first + timedelta(days=rng.randrange(days))
        unknown = rng.random() < unknown_share
        rows.append({
            "line_number": i + 2,
            "registratienummer_pseudoniem": hashlib.sha256(f"{seed}|{tag}|{period}|{i}".encode()).hexdigest(),
            "registratiedatum": registered,
            "pleegdatum": registered - timedelta(days=rng.randrange(20)) if rng.random() < 0.8 else None,
            "pleeggemeente": None if unknown else rng.choices(gemeenten, weights=weights)[0]["gemeentecode"],
            "wijk": None,
            "soort_misdrijf": SOORT_MISDRIJF.get(modus, "3.9.1"),
            "incidentcode": "F90" if modus in ("hacken", "ddos", "ransomware") else "F636",
            "modus": modus,
            "registratiesoort": "aangifte" if rng.random() < 0.62 else "melding",
            "slachtoffer_type": _pick(rng, SLACHTOFFER_TYPES),
            "slachtoffer_leeftijdsklasse": _pick(rng, LEEFTIJDSKLASSEN),
            "schadebedrag": round(rng.lognormvariate(6, 1.2), 2) if rng.random() < 0.7 else None,
        })
    return rows


def load_delivery(url: str, period: str, rows: list[dict]) -> Delivery:
    """Publish one monthly delivery as the current one for its period (superseding any earlier)."""
    contract = load_contract(FEED)
    columns = ["delivery_id", "line_number"] + [c.stored_name for c in contract.stored_columns]
    with connect(url, role="loader") as conn:
        delivery_id = conn.execute(
            "insert into audit.deliveries (feed, partner, object_key, file_name, sha256, size_bytes,"
            " period, status, rows_received, rows_loaded, rows_rejected, is_current, finished_at)"
            " values (%s, %s, %s, %s, %s, %s, %s, 'loaded', %s, %s, 0, false, now())"
            " returning delivery_id",
            (FEED, PARTNER, f"politie/registraties/registraties_online_{period.replace('-', '')}.csv",
             f"registraties_online_{period.replace('-', '')}.csv",
             hashlib.sha256(repr(rows).encode()).hexdigest(), 1000 + len(rows), period,
             len(rows), len(rows)),
        ).fetchone()[0]
        partition = sql.Identifier("raw", f"{FEED}_d{delivery_id}")
        conn.execute(sql.SQL("create table {} partition of raw.{} for values in ({})").format(
            partition, sql.Identifier(FEED), sql.Literal(delivery_id)))
        with conn.cursor().copy(sql.SQL("copy {} ({}) from stdin").format(
                partition, sql.SQL(", ").join(map(sql.Identifier, columns)))) as copy:
            for row in rows:
                copy.write_row([delivery_id] + [row.get(c) for c in columns[1:]])
        conn.execute(
            "update audit.deliveries set is_current = false, superseded_by = %s"
            " where feed = %s and partner = %s and period = %s and is_current",
            (delivery_id, FEED, PARTNER, period))
        conn.execute("update audit.deliveries set is_current = true where delivery_id = %s", (delivery_id,))
    return Delivery(delivery_id, period, rows)


@dataclass(frozen=True)
class DataSet:
    current: list[Delivery]
    superseded: list[Delivery]

    @property
    def current_rows(self) -> Iterable[dict]:
        return (r for d in self.current for r in d.rows)

    @property
    def superseded_pseudonyms(self) -> set[str]:
        return {r["registratienummer_pseudoniem"] for d in self.superseded for r in d.rows}


def load_data_set(url: str, *, first: str = "2022-01", last: str = "2023-07", per_month: int = 160,
                  corrected: str = "2023-02", seed: int = 20261128) -> DataSet:
    """Monthly deliveries `first`..`last` (the last quarter left incomplete by the caller's choice
    of `last`), with the month `corrected` delivered twice: the first delivery is superseded."""
    current: list[Delivery] = []
    superseded: list[Delivery] = []
    for period in _months(first, last):
        if period == corrected:
            superseded.append(load_delivery(url, period, month_rows(period, per_month + 40, seed=seed, tag="v1")))
        current.append(load_delivery(url, period, month_rows(period, per_month, seed=seed)))
    return DataSet(current, superseded)


def current_raw_count(conn: psycopg.Connection) -> int:
    return conn.execute(
        "select count(*) from raw.politie_registraties r join audit.deliveries d using (delivery_id)"
        " where d.is_current and d.feed = %s", (FEED,)).fetchone()[0]
