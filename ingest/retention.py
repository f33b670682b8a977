"""Retention: nothing row-level is kept longer than its feed's contract says.

Two rules per feed, both from the contract (ingest/contracts/<feed>.yaml):
- `retention_years`: a delivery expires when the period it covers ended more than that many years
  before today (a delivery without a period: from the day it was received). Its raw partition is
  dropped (with its key fingerprints in `audit.delivery_keys`, ingest/corrections.py), its
  rejected rows leave `audit.rejected_rows`, and its sealed original and report leave the store.
  Derived row-level relations follow: staging and intermediate views read raw, and the
  marts and intermediate tables are rebuilt from raw by the next `dbt build` (the retention DAG
  emits the feed's raw Asset, which starts that build). Disclosure-controlled aggregates in
  `reporting` are rebuilt too; they hold no row-level data.
- `archive_days` (default 90): the sealed original of a delivery is deleted that many days after
  it was received; after that it can no longer be reprocessed. Its rows stay until the rule above.

Every removal is one row in `audit.purges` (what, how many rows, which rule, which role), and the
delivery's audit record keeps its metadata (file name, checksum, counts) with `purged_at` and
`original_deleted_at` set. Runs as the loader role, which owns the raw partitions, under the feed's
ingest lock so that no load of the feed runs at the same time.
"""
from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date

import psycopg
from psycopg import sql

from config import Role
from ingest import audit, corrections
from ingest.contracts import Contract, all_contracts
from ingest.landing import LandingZone
from ingest.load import partition_name
from warehouse.connection import connect


@dataclass
class Purge:
    feed: str
    delivery_id: int
    what: str
    rows_removed: int
    rule: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def period_end(period: str | None, received: date) -> date:
    """The last day a delivery covers: its month, quarter or day; without a period, its arrival."""
    if not period:
        return received
    if len(period) == 7 and period[4] == "-" and period[5:].isdigit():  # 2026-01
        year, month = int(period[:4]), int(period[5:])
    elif len(period) == 7 and period[5] == "Q":  # 2026-Q3
        year, month = int(period[:4]), 3 * int(period[6])
    else:  # 2026-01-31
        return date.fromisoformat(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def expires_after(period: str | None, received: date, years: int) -> date:
    """The last day the delivery's rows may be kept."""
    end = period_end(period, received)
    try:
        return end.replace(year=end.year + years)
    except ValueError:  # 29 February into a common year
        return end.replace(year=end.year + years, day=28)


def apply(url: str, zone: LandingZone, today: date, contracts: list[Contract] | None = None) -> list[Purge]:
    """Apply both rules of every feed (or of `contracts`) as of `today`; returns what was removed."""
    purges: list[Purge] = []
    with connect(url, role=Role.LOADER, autocommit=True) as conn:
        for contract in contracts or all_contracts():
            purges += _expire_rows(conn, zone, contract, today)
            purges += _expire_originals(conn, zone, contract, today)
    return purges


def _expire_rows(conn: psycopg.Connection, zone: LandingZone, contract: Contract, today: date) -> list[Purge]:
    rule = f"retention_years={contract.retention_years}"
    rows = conn.execute(
        "select delivery_id, period, received_at::date, stored_key, report_key, original_deleted_at"
        " from audit.deliveries where feed = %s and purged_at is null and status <> 'processing'"
        " order by delivery_id", (contract.feed,)).fetchall()
    purges = []
    for delivery_id, period, received, stored_key, report_key, original_deleted in rows:
        if today <= expires_after(period, received, contract.retention_years):
            continue
        # Files first: if the database step then fails, the next run finds the rows again; the
        # other order could leave a file whose delivery is recorded as purged.
        done = []
        if stored_key and original_deleted is None:
            done += _delete_location(zone, contract, delivery_id, stored_key, rule)
        if report_key:
            done += _delete_location(zone, contract, delivery_id, report_key, rule)
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"infopositie.ingest.{contract.feed}",))
            schema, table = partition_name(contract, delivery_id)
            if conn.execute("select to_regclass(%s)", (f"{schema}.{table}",)).fetchone()[0]:
                ident = sql.Identifier(schema, table)
                count = conn.execute(sql.SQL("select count(*) from {}").format(ident)).fetchone()[0]
                conn.execute(sql.SQL("drop table {}").format(ident))
                done.append(Purge(contract.feed, delivery_id, f"{schema}.{table}", count, rule))
            count = conn.execute("delete from audit.rejected_rows where delivery_id = %s", (delivery_id,)).rowcount
            if count:
                done.append(Purge(contract.feed, delivery_id, "audit.rejected_rows", count, rule))
            # Like an index of the partition: they go with its rows, logged as that partition's purge.
            corrections.forget(conn, [delivery_id])
            conn.execute("update audit.deliveries set purged_at = now(), is_current = false,"
                         " original_deleted_at = coalesce(original_deleted_at, now()) where delivery_id = %s",
                         (delivery_id,))
            _log(conn, done, today)
            audit.event(conn, delivery_id, "purged", {"rule": rule, "as_of": today.isoformat(),
                                                      "removed": {p.what: p.rows_removed for p in done}})
        purges += done
    return purges


def _expire_originals(conn: psycopg.Connection, zone: LandingZone, contract: Contract, today: date) -> list[Purge]:
    rule = f"archive_days={contract.archive_days}"
    rows = conn.execute(
        "select delivery_id, stored_key from audit.deliveries where feed = %s and stored_key is not null"
        " and original_deleted_at is null and received_at::date + %s < %s order by delivery_id",
        (contract.feed, contract.archive_days, today)).fetchall()
    purges = []
    for delivery_id, stored_key in rows:
        done = _delete_location(zone, contract, delivery_id, stored_key, rule)
        with conn.transaction():
            conn.execute("update audit.deliveries set original_deleted_at = now() where delivery_id = %s",
                         (delivery_id,))
            _log(conn, done, today)
            audit.event(conn, delivery_id, "original_deleted", {"rule": rule, "as_of": today.isoformat()})
        purges += done
    return purges


def _delete_location(zone: LandingZone, contract: Contract, delivery_id: int, location: str,
                     rule: str) -> list[Purge]:
    area, key = zone.key_for(location)
    zone.delete(key, area)  # absent already (an earlier run that failed half-way): nothing to do
    return [Purge(contract.feed, delivery_id, f"{area}/{key}", 0, rule)]


def _log(conn: psycopg.Connection, purges: list[Purge], today: date) -> None:
    for p in purges:
        conn.execute("insert into audit.purges (feed, delivery_id, what, rows_removed, rule, as_of)"
                     " values (%s, %s, %s, %s, %s, %s)", (p.feed, p.delivery_id, p.what, p.rows_removed, p.rule,
                                                          today))
