"""dbt source definitions, rendered from the feed contracts.

The raw tables are derived from the contracts (ingest/raw_tables.py); so are their dbt sources, so
that a column added to a contract cannot drift from what dbt documents and tests. The rendered
files are committed (dbt and Cosmos read them without running Python); tests/dbt checks that the
committed files equal the render. Regenerate with:

    python -m ingest.contracts.dbt_sources
"""
from __future__ import annotations

import copy
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from config import DBT_STAGING_DIR, PROJECT_ROOT
from ingest.contracts import AGE_BANDS, AGE_UNKNOWN, Column, Contract, all_contracts

_HEADER = """\
# GENERATED FILE: do not edit. Rendered by ingest/contracts/dbt_sources.py from the feed
# contract(s) {contracts}.
# Change the contract and run `python -m ingest.contracts.dbt_sources`;
# tests/dbt/test_generated_sources.py fails while this file differs from the render.
#
# Freshness is measured on the period the data covers, not on the moment of loading: it is the
# newest period that dashboards show, and a corrected delivery for an old month must not make a
# feed look fresh while recent months are missing. The period is the feed's period column (for
# example registratiedatum) or else the end of the delivery period in audit.deliveries (month,
# quarter or reference date), taken per partner so that the partner furthest behind counts.
# Feeds without periods (delivered at will or revised per record) fall back to the last load time.
"""

# Columns every raw feed table has besides the contract's (ingest/raw_tables.py).
_TECHNICAL_COLUMNS: list[dict[str, Any]] = [
    {
        "name": "delivery_id",
        "description": "Levering (audit.deliveries) waaruit de rij komt; de tabel is hierop gepartitioneerd.",
        "data_type": "bigint",
        "data_tests": [
            "not_null",
            {"relationships": {"arguments": {"to": "source('audit', 'deliveries')", "field": "delivery_id"}}},
        ],
    },
    {
        "name": "line_number",
        "description": "Regelnummer in het oorspronkelijke bestand (kopregel = 1).",
        "data_type": "integer",
        "data_tests": ["not_null"],
    },
]


_CADENCE_NL = {"monthly": "maandelijks", "quarterly": "per kwartaal", "yearly": "jaarlijks", "any": "wisselend"}


def source_name(contract: Contract) -> str:
    return contract.partner_code


def table_name(contract: Contract) -> str:
    """`politie_registraties` of partner `politie` becomes source('politie', 'registraties')."""
    prefix = f"{contract.partner_code}_"
    return contract.feed[len(prefix):] if contract.feed.startswith(prefix) else contract.feed


def period_column(contract: Contract) -> Column | None:
    """The date column that places a row in the delivery's period, if the feed has one."""
    return next((c for c in contract.stored_columns if c.in_period and c.type in ("date", "timestamp")), None)


def _column_description(column: Column) -> str:
    text = column.description.strip()
    if column.personal == "pseudonymise":
        text += " Gepseudonimiseerd met een HMAC-sleutel (64 hexadecimale tekens); het origineel wordt niet bewaard."
    elif column.type == "gemeente":
        text += " Opgeslagen als GMxxxx; codes van samengevoegde gemeenten zijn omgezet naar de huidige gemeente."
    if column.personal == "age_band":
        bands = ", ".join([label for label, _, _ in AGE_BANDS] + [AGE_UNKNOWN])
        text += f" Opgeslagen als leeftijdsklasse ({bands}); de exacte waarde wordt nooit bewaard."
    return text


def _column_tests(column: Column) -> list[Any]:
    tests: list[Any] = []
    if column.required:
        tests.append("not_null")
    if column.type == "enum" and column.values:
        tests.append({"accepted_values": {"arguments": {"values": list(column.values)}}})
    if column.personal == "age_band":
        values = [label for label, _, _ in AGE_BANDS] + [AGE_UNKNOWN]
        tests.append({"accepted_values": {"arguments": {"values": values}}})
    if column.type == "gemeente":
        # Ingest maps merged codes to the current one; a code that is still unknown is reported,
        # not fatal: the models count such rows as "gemeente onbekend".
        tests.append({"relationships": {"arguments": {"to": "source('reference', 'gemeenten')",
                                                      "field": "gemeentecode"},
                                        "config": {"severity": "warn"}}})
    return tests


def _column(column: Column) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": column.stored_name,
        "description": _column_description(column),
        "data_type": column.stored_type,
    }
    meta = {"contract_column": column.name, "contract_type": column.type}
    if column.personal:
        meta["personal"] = column.personal
    entry["config"] = {"meta": meta}
    tests = _column_tests(column)
    if tests:
        entry["data_tests"] = tests
    return entry


# The last day a delivery period covers, from audit.deliveries.period as ingest/pipeline.py
# writes it: JJJJ-MM, JJJJ-Qn, or JJJJ-MM-DD (the reference date of a snapshot).
_PERIOD_END: dict[str, str] = {
    "month": "(to_date(period, 'YYYY-MM') + interval '1 month' - interval '1 day')",
    "quarter": ("(make_date(left(period, 4)::int, right(period, 1)::int * 3, 1)"
                " + interval '1 month' - interval '1 day')"),
    "date": "period::date::timestamp",
}


def _freshness_config(contract: Contract) -> dict[str, Any]:
    config: dict[str, Any] = {
        "freshness": {
            "warn_after": {"count": contract.freshness.warn_after_days, "period": "day"},
            "error_after": {"count": contract.freshness.error_after_days, "period": "day"},
        },
    }
    column = period_column(contract)
    if column is not None:
        config["loaded_at_field"] = f"{column.stored_name}::timestamp"
    elif contract.period in _PERIOD_END:
        # A feed with several partners (banks, Fraudehelpdesk) is as fresh as the partner furthest
        # behind: a month without one partner's reports undercounts, whoever else delivered.
        config["loaded_at_query"] = (
            f"select min(newest) from (select max({_PERIOD_END[contract.period]}) as newest"
            f" from audit.deliveries where feed = '{contract.feed}' and is_current group by partner) as per_partner"
        )
    else:
        config["loaded_at_query"] = (
            "select max(finished_at) from audit.deliveries"
            f" where feed = '{contract.feed}' and is_current"
        )
    return config


def _table(contract: Contract) -> dict[str, Any]:
    config = _freshness_config(contract)
    config["meta"] = {
        "feed": contract.feed,
        "partner": contract.partner,
        "cadence": contract.cadence,
        "retention_years": contract.retention_years,
        "contract": f"ingest/contracts/{contract.feed}.yaml",
        "current_rows": "join audit.deliveries using (delivery_id) where is_current",
    }
    return {
        "name": table_name(contract),
        "identifier": contract.raw_table.split(".", 1)[1],
        "description": (
            f"{contract.title}. {contract.description.strip()} Bevat alle leveringen, ook vervangen"
            " leveringen; alleen rijen van de actuele levering per periode tellen"
            f" (audit.deliveries.is_current). Levering: {_CADENCE_NL[contract.cadence]}."
        ),
        "config": config,
        "columns": copy.deepcopy(_TECHNICAL_COLUMNS) + [_column(c) for c in contract.stored_columns],
    }


def render_dbt_sources(contract: Contract | Sequence[Contract]) -> str:
    """The dbt sources YAML for one contract, or for several contracts of the same partner."""
    contracts = [contract] if isinstance(contract, Contract) else list(contract)
    if not contracts:
        raise ValueError("render_dbt_sources needs at least one contract")
    partners = {source_name(c) for c in contracts}
    if len(partners) != 1:
        raise ValueError(f"one source file per partner; got {sorted(partners)}")
    contracts.sort(key=lambda c: c.feed)
    first = contracts[0]
    schema = first.raw_table.split(".", 1)[0]
    document = {
        "version": 2,
        "sources": [{
            "name": source_name(first),
            "description": (
                f"Ruwe leveringen van {first.partner}, gevalideerd (en waar nodig gepseudonimiseerd)"
                " door de ingest; eigenaar is de rol loader. Afgeleid van de feedcontracten."
            ),
            "schema": schema,
            "loader": "infopositie ingest",
            "tables": [_table(c) for c in contracts],
        }],
    }
    header = _HEADER.format(contracts=", ".join(f"ingest/contracts/{c.feed}.yaml" for c in contracts))
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def source_file(partner_code: str) -> Path:
    return DBT_STAGING_DIR / partner_code / f"_{partner_code}__sources.yml"


def rendered_files() -> dict[Path, str]:
    """Every generated sources file and its content: one file per partner."""
    by_partner: dict[str, list[Contract]] = defaultdict(list)
    for contract in all_contracts():
        by_partner[source_name(contract)].append(contract)
    return {source_file(partner): render_dbt_sources(group) for partner, group in sorted(by_partner.items())}


def write_all() -> list[Path]:
    """Write every generated sources file; returns the paths written."""
    written = []
    for path, content in rendered_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(written_path.relative_to(PROJECT_ROOT))
    sys.exit(0)
