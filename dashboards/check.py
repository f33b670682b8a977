"""`infopositie dashboards check`: every card of every dashboard, run as each of its audiences'
Postgres roles against the warehouse, with the filters at their defaults.

The SQL is the SQL the apply sends: the card payload is built by the same code as
`dashboards apply` (content.card_payload) and rendered the way Metabase renders a native query
(native.render_card: variables substituted, `[[ ]]` dropped when empty, a field filter without a
value as `1=1`). Metabase itself is not needed: a field filter's field id is only used to name
its column, so the check numbers the columns itself. Each query runs read-only as the audience's
role, so row-level security applies exactly as for the audience's Metabase connection.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from dashboards.metabase import content, native
from dashboards.spec import SPECS_DIR, Audience, Dashboard, load_audiences, load_dashboards, load_sharing

# A card that needs longer than this would make its Metabase dashboard unusable anyway.
STATEMENT_TIMEOUT_MS = 60_000
# Collection id of the payload: irrelevant to the SQL, which is all the check looks at.
_NO_COLLECTION = 0


@dataclass(frozen=True)
class CardResult:
    dashboard: str
    card: str
    audience: str
    role: str
    ok: bool
    rows: int | None
    error: str | None = None

    def as_dict(self) -> dict:
        result = asdict(self)
        if self.error is None:
            result.pop("error")
        return result


def _field_ids(dashboard: Dashboard) -> dict[tuple[str, str, str], int]:
    columns = sorted({p.field for p in dashboard.parameters if p.field})
    return {(dashboard.source_schema, dashboard.source_table, c): i for i, c in enumerate(columns, start=1)}


def rendered_cards(dashboard: Dashboard, audience: Audience, withheld: tuple[str, ...] = (),
                   values: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(card key, SQL as Metabase would send it), with the filters at their defaults or `values`."""
    fields = _field_ids(dashboard)
    by_id = {i: column for column, i in fields.items()}
    scope = content.Scope(dashboard, audience, database_id=0, fields=fields, withheld=withheld)
    result = []
    for card in dashboard.cards:
        payload = content.card_payload(scope, card, _NO_COLLECTION)
        result.append((card.key, native.render_card(payload, values or {}, by_id.__getitem__)))
    return result


def _run(conn: psycopg.Connection, role: str, query: str) -> tuple[bool, int | None, str | None]:
    try:
        with conn.transaction():
            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            conn.execute("set local transaction read only")
            conn.execute(f"set local statement_timeout = {STATEMENT_TIMEOUT_MS}")
            rows = conn.execute(query).fetchall()  # type: ignore[arg-type]
        return True, len(rows), None
    except psycopg.Error as exc:
        return False, None, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"


def check_all(warehouse_url: str, specs_dir: Path | None = None) -> list[CardResult]:
    specs_dir = specs_dir or SPECS_DIR
    audiences = load_audiences(specs_dir)
    sharing = load_sharing(specs_dir)
    results: list[CardResult] = []
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        for dashboard in load_dashboards(specs_dir):
            for key in dashboard.audiences:
                audience = audiences[key]
                for card_key, query in rendered_cards(dashboard, audience, sharing.withheld(dashboard.key, audience)):
                    ok, rows, error = _run(conn, audience.role, query)
                    results.append(CardResult(dashboard.key, card_key, key, audience.role, ok, rows, error))
    return results
