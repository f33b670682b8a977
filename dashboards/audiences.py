"""The audiences of the dashboards and documents: declared ones plus those derived from the
gemeenten reference data (warehouse/reference/gemeenten.csv, the one source of truth).

`specs/audiences.yaml` declares the region's audience by hand and, under `derived`, one template
per level (basisteam, district). Every basisteam and district valid today in the reference data
becomes one audience from its template, so a new basisteam or a gemeente moving to another district
needs no change here. The role names follow the rule the warehouse uses to create the roles
(warehouse/migrations/V006 and V007): lower case, every run of non-alphanumerics as '_'.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dashboards.yaml_io import load_yaml
from warehouse.reference import REFERENCE_DIR

AUDIENCES_FILE = "audiences.yaml"
KEY = r"^[a-z][a-z0-9_]*$"
Level = Literal["regio", "district", "basisteam"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Audience(_Strict):
    key: str = Field(pattern=KEY)
    label: str
    group: str
    role: str = Field(pattern=r"^reporter_[a-z0-9_]+$")
    connection: str
    password_env: str | None = None
    # What the group may do with its own connection beyond viewing saved cards.
    create_queries: Literal["no", "query-builder", "query-builder-and-native"] = "no"
    members: list[str] = []
    description: str = ""
    level: Level = "regio"
    # The gemeentecodes the audience may see in detail (empty for the region: all of them).
    gemeenten: tuple[str, ...] = ()


class Template(_Strict):
    """One audience per basisteam or district; the texts may use {slug}, {code}, {naam}, {role},
    {ROLE} (the role in upper case, for environment variable names) and {gemeenten}."""

    family: str = Field(pattern=KEY)
    per: Literal["district", "basisteam"]
    key: str
    label: str
    group: str
    role: str
    connection: str
    password_env: str | None = None
    create_queries: Literal["no", "query-builder", "query-builder-and-native"] = "no"
    description: str = ""
    # Existing Metabase users per derived audience key.
    members: dict[str, list[str]] = {}


def slug(text: str) -> str:
    """The warehouse's naming rule for audience roles (V006/V007)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower())


@dataclass(frozen=True)
class Unit:
    """A basisteam or district as the reference data has it today."""

    code: str
    naam: str
    gemeenten: tuple[str, ...]
    gemeentenamen: tuple[str, ...]


def _valid(row: dict[str, str], on: date) -> bool:
    start = date.fromisoformat(row["geldig_van"])
    end = date.fromisoformat(row["geldig_tot"]) if row["geldig_tot"] else None
    return start <= on and (end is None or end > on)


def reference_units(per: str, reference_dir: Path = REFERENCE_DIR, on: date | None = None) -> list[Unit]:
    """The basisteams or districts valid on `on` (today), with their gemeenten, from the CSV."""
    on = on or date.today()
    with open(reference_dir / "gemeenten.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if _valid(r, on)]
    grouped: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        key = (r["basisteam_code"], r["basisteam_naam"]) if per == "basisteam" else (r["district"], r["district"])
        grouped[key].append(r)
    return [Unit(code, naam, tuple(sorted(r["gemeentecode"] for r in members)),
                 tuple(sorted(r["gemeentenaam"] for r in members)))
            for (code, naam), members in sorted(grouped.items())]


def _derive(template: Template, unit: Unit) -> Audience:
    unit_slug = slug(unit.code if template.per == "basisteam" else unit.naam)
    role = template.role.format(slug=unit_slug)
    values = {"slug": unit_slug, "code": unit.code, "naam": unit.naam, "role": role, "ROLE": role.upper(),
              "gemeenten": ", ".join(unit.gemeentenamen)}
    key = template.key.format(**values)
    return Audience(
        key=key, label=template.label.format(**values), group=template.group.format(**values), role=role,
        connection=template.connection.format(**values),
        password_env=template.password_env.format(**values) if template.password_env else None,
        create_queries=template.create_queries, members=template.members.get(key, []),
        description=template.description.format(**values).strip(), level=template.per, gemeenten=unit.gemeenten)


@dataclass(frozen=True)
class Audiences:
    by_key: dict[str, Audience]
    # family name (e.g. `basisteams`) -> the keys of its audiences, for the dashboard specs.
    families: dict[str, list[str]]

    def expand(self, names: list[str]) -> list[str]:
        """Audience keys for a dashboard's `audiences:` list of keys and family names."""
        keys: list[str] = []
        for name in names:
            for key in self.families.get(name, [name]):
                if key not in keys:
                    keys.append(key)
        return keys


def load(specs_dir: Path, reference_dir: Path = REFERENCE_DIR) -> Audiences:
    data = load_yaml(specs_dir / AUDIENCES_FILE) or {}
    audiences = [Audience.model_validate(a) for a in data.get("audiences", [])]
    families: dict[str, list[str]] = {}
    for raw in data.get("derived", []):
        template = Template.model_validate(raw)
        derived = [_derive(template, unit) for unit in reference_units(template.per, reference_dir)]
        # Members are listed per derived key; a key the reference data no longer yields (a renamed
        # basisteam or district) would silently leave people out of their group: refuse it.
        unknown = sorted(set(template.members) - {a.key for a in derived})
        if unknown:
            raise ValueError(f"derived family {template.family}: members for unknown audience(s) "
                             f"{', '.join(unknown)}; known: {', '.join(a.key for a in derived)}")
        families[template.family] = [a.key for a in derived]
        audiences.extend(derived)
    by_key = {a.key: a for a in audiences}
    if len(by_key) != len(audiences):
        raise ValueError("audience keys must be unique")
    clash = set(families) & set(by_key)
    if clash:
        raise ValueError(f"family names and audience keys must differ: {sorted(clash)}")
    for attr in ("group", "role", "connection"):
        values = [getattr(a, attr) for a in audiences]
        if len(set(values)) != len(values):
            raise ValueError(f"every audience needs its own {attr}")
    return Audiences(by_key, families)
