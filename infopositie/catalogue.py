"""The data-sharing catalogue (Wpg art. 20) in Dutch: per feed, what the partner delivers, what the
platform keeps of it, which published relations (schema `reporting`) derive from it, and which
audience sees them.

Rendered from three sources of truth, never typed by hand:
- the feed contracts (ingest/contracts/*.yaml): partner, title, columns, personal-data handling,
  retention;
- the dbt lineage (dbt_project/target/manifest.json, from `infopositie.dbt.dbt_parse`): every
  reporting model walked back to the raw tables it reads. Every reporting model declares its feeds
  in `meta: {feeds: [...]}` (what a reader of the YAML and of dbt docs sees); the declaration must
  equal the lineage, so a missing or stale one stops the render instead of misinforming the reader;
- the reference data (warehouse/reference/gemeenten.csv): the basisteam audiences, named as
  warehouse/migrations/V006 names their roles.

`python -m infopositie.catalogue` regenerates docs/catalogus_wpg20.md; `--check` only compares.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import DOCS_DIR, PROJECT_ROOT, REFERENCE_DIR, Role, load_settings
from ingest.contracts import AGE_BANDS, AGE_UNKNOWN, Contract, all_contracts
from ingest.contracts.docs import CADENCE_NL
from ingest.sealing import SEALED_FORM

CATALOGUE = DOCS_DIR / "catalogus_wpg20.md"
REFERENCE_GEMEENTEN = REFERENCE_DIR / "gemeenten.csv"
REPORTING_SCHEMA = "reporting"
RAW_SCHEMA = "raw"
# `dbt parse` never connects to the warehouse; the URL only fills in the profile's variables.
OFFLINE_URL = "host=localhost port=5432 dbname=infopositie user=transformer"


class CatalogueError(ValueError):
    """The manifest contradicts itself or the contracts: the catalogue would be wrong."""


@dataclass(frozen=True)
class Relation:
    name: str
    description: str
    feeds: tuple[str, ...]
    feeds_declared: bool
    columns: frozenset[str]

    @property
    def local_detail(self) -> bool:
        """Rows per gemeente or basisteam: row-level security applies (macros/security/apply_rls.sql)."""
        return bool({"gemeentecode", "basisteam_code"} & self.columns)


@dataclass(frozen=True)
class Audience:
    role: str
    basisteam_code: str
    basisteam_naam: str
    district: str
    gemeenten: tuple[str, ...]


def district_role_for(district: str) -> str:
    """The role of a district werkgroep, as reference.district_audiences (V007) derives it."""
    return "reporter_district_" + re.sub(r"[^a-z0-9]+", "_", district.lower())


def role_for(basisteam_code: str) -> str:
    """The role of a basisteam's audience, as reference.audiences (V006) derives it."""
    return Role.for_basisteam(basisteam_code)


def load_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def lineage_feeds(manifest: dict[str, Any], unique_id: str) -> set[str]:
    """The feeds (raw.<feed> tables) a node reads, directly or through any upstream node."""
    feeds: set[str] = set()
    seen: set[str] = set()
    todo = [unique_id]
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        if uid in manifest["sources"]:
            source = manifest["sources"][uid]
            if source["schema"] == RAW_SCHEMA:
                feeds.add(source["identifier"])
            continue
        node = manifest["nodes"].get(uid)
        if node is not None:
            todo.extend(node.get("depends_on", {}).get("nodes", []))
    return feeds


def reporting_relations(manifest: dict[str, Any]) -> list[Relation]:
    relations = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["schema"] != REPORTING_SCHEMA:
            continue
        found = lineage_feeds(manifest, uid)
        declared = (node["config"].get("meta") or {}).get("feeds")
        if declared is None:
            raise CatalogueError(
                f"{node['name']}: declares no meta.feeds; its lineage reads {sorted(found)}")
        if set(declared) != found:
            raise CatalogueError(
                f"{node['name']}: meta.feeds {sorted(declared)} differs from its lineage {sorted(found)}")
        relations.append(Relation(
            name=f"{REPORTING_SCHEMA}.{node['name']}",
            description=" ".join(node["description"].split()),
            feeds=tuple(sorted(found)),
            feeds_declared=declared is not None,
            columns=frozenset(node["columns"]),
        ))
    return sorted(relations, key=lambda r: r.name)


def current_audiences(path: Path = REFERENCE_GEMEENTEN) -> list[Audience]:
    """One audience per basisteam of today's organisation (rows without an end date)."""
    teams: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if not row["geldig_tot"]:
                teams[row["basisteam_code"]].append(row)
    return [
        Audience(role_for(code), code, rows[0]["basisteam_naam"], rows[0]["district"],
                 tuple(sorted(f"{r['gemeentenaam']} ({r['gemeentecode']})" for r in rows)))
        for code, rows in sorted(teams.items())
    ]


def _visibility(relation: Relation) -> str:
    if not relation.local_detail:
        return ("alle reporter-rollen zien de hele relatie (`reporter_regio`, elke `reporter_<basisteam>` en elke"
                " `reporter_district_<district>`): er staan alleen regio- of programmacijfers in, niets per"
                " gemeente of basisteam")
    aggregates = ("de district- en regiocijfers" if "niveau" in relation.columns
                  else "de rijen zonder gemeente en basisteam")
    return ("`reporter_regio` ziet alle rijen; elke `reporter_<basisteam>` ziet de eigen gemeenten en het"
            " eigen basisteam in detail, elke `reporter_district_<district>` de gemeenten en basisteams van het"
            f" eigen district, en daarnaast {aggregates}")


def _feed_section(contract: Contract, relations: list[Relation]) -> list[str]:
    plain = [c for c in contract.columns if c.stored_name and not c.personal]
    pseudonymised = [c for c in contract.columns if c.personal == "pseudonymise"]
    banded = [c for c in contract.columns if c.personal == "age_band"]
    never = [c for c in contract.columns if c.personal == "never_store"]

    def names(columns: list, stored: bool = False) -> str:
        if not columns:
            return "geen"
        if stored:
            return ", ".join(f"`{c.name}` (als `{c.stored_name}`)" for c in columns)
        return ", ".join(f"`{c.name}`" for c in columns)

    bands = ", ".join([b[0] for b in AGE_BANDS] + [AGE_UNKNOWN])
    lines = [
        f"## {contract.title} (`{contract.feed}`)",
        "",
        f"- Partner: {contract.partner}",
        f"- Wat: {' '.join(contract.description.split())}",
        f"- Levering: {CADENCE_NL[contract.cadence]}, in `{contract.raw_table}`",
        f"- Bewaartermijn: {contract.retention_years} jaar",
        f"- Rijen (`{contract.raw_table}`, de afgeleide tabellen in `staging`, `intermediate` en `marts`, en"
        f" afgekeurde regels in `audit.rejected_rows`), in de vorm hieronder: tot {contract.retention_years} jaar"
        " na het einde van de periode die de levering dekt (zonder periode: na ontvangst), daarna verwijderd",
        f"- Origineel bestand: versleuteld ({SEALED_FORM}) in `archive/` of `quarantine/` van de opslag,"
        f" {contract.archive_days} dagen na ontvangst verwijderd (uiterlijk samen met de rijen)",
        f"- Opgeslagen zoals geleverd: {names(plain)}",
        f"- Gepseudonimiseerd (versleutelde code, het origineel wordt niet bewaard): {names(pseudonymised, True)}",
    ]
    if banded:
        lines.append(f"- Alleen als klasse opgeslagen ({bands}): {names(banded, True)}")
    lines += [f"- Nooit opgeslagen: {names(never)}", ""]
    derived = [r for r in relations if contract.feed in r.feeds]
    if derived:
        lines += ["| publicatie | wie ziet wat |", "|---|---|"]
        lines += [f"| `{r.name}` | {_visibility(r)} |" for r in derived]
    else:
        lines.append("Nog geen publicatie in `reporting` leidt uit deze feed af.")
    return lines + [""]


def render(manifest: dict[str, Any], contracts: list[Contract] | None = None,
           audiences: list[Audience] | None = None) -> str:
    contracts = all_contracts() if contracts is None else contracts
    audiences = current_audiences() if audiences is None else audiences
    relations = reporting_relations(manifest)
    known = {c.feed for c in contracts}
    for relation in relations:
        unknown = set(relation.feeds) - known
        if unknown:
            raise CatalogueError(f"{relation.name} reads raw tables without a feed contract: {sorted(unknown)}")

    lines = [
        "<!-- Gegenereerd door `python -m infopositie.catalogue` uit de feedcontracten (ingest/contracts),"
        " de dbt-lineage (dbt_project/target/manifest.json) en de referentiedata (warehouse/reference)."
        " Niet met de hand bewerken. -->",
        "# Catalogus gegevensdeling (art. 20 Wpg)",
        "",
        "Welke partner levert welke gegevens aan het platform, wat het platform daarvan bewaart, welke",
        "publicaties (relaties in het schema `reporting`) eruit worden afgeleid en wie die kan zien.",
        "Alles in `reporting` is geaggregeerd, zonder persoonsgegevens (art. 22 Wpg); aantallen per gebied",
        "zijn onthullingsgecontroleerd - 1 tot en met 4 wordt nooit getoond en een verborgen cel is niet",
        "terug te rekenen - en hoe, staat bij elke publicatie. Welke feeds een publicatie gebruikt, volgt",
        "uit de dbt-lineage: van de publicatie terug tot de ruwe tabellen `raw.<feed>`.",
        "",
        "## Wat waar bewaard wordt, in welke vorm en hoe lang",
        "",
        "- **Ruwe rijen** (`raw.<feed>`, per levering een partitie): identificerende gegevens gepseudonimiseerd"
        " (HMAC-sleutel), leeftijden als klasse, vrije tekst nooit. Bewaard zolang de bewaartermijn van de"
        " feed (hieronder) na het einde van de geleverde periode loopt.",
        "- **Afgeleide rijen** (`staging`, `intermediate`, `marts`): alleen uit `raw` gebouwd; views volgen"
        " `raw` direct, tabellen bij de eerstvolgende dbt-build, die de bewaartermijn-DAG zelf start.",
        "- **Afgekeurde regels** (`audit.rejected_rows`): gepseudonimiseerd zoals de ruwe rijen, met de reden;"
        " dezelfde bewaartermijn als de levering.",
        f"- **Originele bestanden** (geladen in `archive/`, geweigerd in `quarantine/`): alleen versleuteld"
        f" ({SEALED_FORM}) met een eigen archiefsleutel, los van de pseudonimiseringssleutel; na het aantal"
        " dagen van de feed (standaard 90) verwijderd, en uiterlijk met de rijen. Opnieuw verwerken"
        " (`infopositie reprocess`) ontsleutelt alleen in het geheugen.",
        "- **Rapport aan de partner** (naast het origineel): regelnummers, kolommen en redenen; weg met de rijen.",
        "- **Auditgegevens** (`audit.deliveries`, `audit.events`, `audit.purges`): bestandsnaam, controlegetal,"
        " aantallen en wat wanneer door welke rol is verwijderd; geen inhoud van het bestand.",
        "- **Publicaties** (`reporting`): geaggregeerd en onthullingsgecontroleerd, zonder rijen per persoon"
        " of zaak; elke build berekent ze opnieuw uit de rijen die er dan nog zijn.",
        "",
        "De dagelijkse Airflow-DAG `retention` (`infopositie retention apply`) past de termijnen toe en legt"
        " elke verwijdering vast in `audit.purges`: wat, hoeveel rijen, welke regel en welke databaserol.",
        "",
        "## Doelgroepen",
        "",
        "- `reporter_regio` - de stuurgroep en bestuurlijke werkgroep DVCC en Bureau RVS: ziet alle rijen"
        " van alle publicaties.",
        "- `reporter_<basisteam>` - de driehoek van een basisteam: ziet per publicatie de eigen gemeenten"
        " en het eigen basisteam in detail, en daarnaast de cijfers van districten en de regio. Publicaties"
        " zonder cijfers per gemeente of basisteam ziet elke reporter-rol helemaal.",
        "- `reporter_district_<district>` - de ambtelijke werkgroep van een district: ziet per publicatie de"
        " gemeenten en basisteams van het eigen district in detail, en daarnaast de cijfers van districten"
        " en de regio (warehouse/migrations/V007).",
        "- `reader` - analisten van het platform: de marts en `reporting`, nooit de ruwe gegevens.",
        "",
        "Wie bij welk basisteam hoort, volgt uit de referentiedata (zoals die vandaag geldt); verhuist",
        "een gemeente naar een ander basisteam, dan verandert de toegang bij de volgende build.",
        "",
        "| rol | basisteam | district | gemeenten |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{a.role}` | {a.basisteam_code} {a.basisteam_naam} | {a.district} | {', '.join(a.gemeenten)} |"
              for a in audiences]
    districts: dict[str, list[str]] = defaultdict(list)
    for a in audiences:
        districts[a.district] += a.gemeenten
    lines += ["", "| rol | district | gemeenten |", "|---|---|---|"]
    lines += [f"| `{district_role_for(d)}` | {d} | {', '.join(sorted(g))} |" for d, g in sorted(districts.items())]
    lines += ["", "# Per feed", ""]
    for contract in sorted(contracts, key=lambda c: c.feed):
        lines += _feed_section(contract, relations)
    lines += ["# Per publicatie", ""]
    for relation in relations:
        source = ("opgegeven in `meta.feeds` en gelijk aan de lineage" if relation.feeds_declared
                  else "afgeleid uit de lineage")
        lines += [
            f"## `{relation.name}`",
            "",
            relation.description,
            "",
            f"- Feeds ({source}): " + (", ".join(f"`{f}`" for f in relation.feeds) or "geen"),
            f"- Wie ziet wat: {_visibility(relation)}",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infopositie.catalogue", description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path,
                        help="an existing dbt manifest.json (default: parse the project now)")
    parser.add_argument("--check", action="store_true",
                        help=f"only compare with {CATALOGUE.relative_to(PROJECT_ROOT)}; exit 1 when it differs")
    args = parser.parse_args(argv)
    if args.manifest is None:
        from infopositie.dbt import dbt_parse

        args.manifest = dbt_parse(load_settings().warehouse_url or OFFLINE_URL)
    text = render(load_manifest(args.manifest))
    if args.check:
        current = CATALOGUE.read_text(encoding="utf-8") if CATALOGUE.exists() else ""
        if current != text:
            print(f"{CATALOGUE} is out of date: run `python -m infopositie.catalogue`", file=sys.stderr)
            return 1
        print(f"{CATALOGUE} is up to date")
        return 0
    CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
    CATALOGUE.write_text(text, encoding="utf-8")
    print(f"written {CATALOGUE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
