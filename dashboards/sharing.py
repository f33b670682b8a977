"""Sharing preferences: per gemeente or basisteam, which parts of the picture it does not share
with which audiences (specs/deling.yaml). The year plan: every gemeente and basisteam has its own
wishes about what is shared and discussed. The default, for everything not listed, is: shared.

A gemeente's own driehoek (its basisteam audience) always sees its own picture; a preference can
only withhold it from the district werkgroep (`district`) or the stuurgroep (`regio`). The parts:
- a dashboard key (e.g. `lokaal_informatiebeeld`): that audience cannot choose the gemeente on the
  dashboard (its cards fall back to the region, as for any gemeente the audience may not see);
- `gemeenten_naast_elkaar`: the gemeente's row in the district document's table of its gemeenten;
- `lokale_fenomenen`: the gemeente's local phenomena in the district and regional documents.
Row-level security stays what it is; this narrows what the products show, it never widens it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dashboards.audiences import Audience, Unit, reference_units
from dashboards.yaml_io import load_yaml
from warehouse.reference import REFERENCE_DIR

SHARING_FILE = "deling.yaml"
DOCUMENT_PARTS = ("gemeenten_naast_elkaar", "lokale_fenomenen")
Level = Literal["district", "regio"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Withheld(_Strict):
    onderdeel: str
    met: list[Level] = Field(min_length=1)


class Preference(_Strict):
    gemeente: str | None = Field(default=None, pattern=r"^GM\d{4}$")
    basisteam: str | None = None
    deelt_niet: list[Withheld] = Field(min_length=1)
    toelichting: str = ""

    @model_validator(mode="after")
    def _one_subject(self) -> Preference:
        if (self.gemeente is None) == (self.basisteam is None):
            raise ValueError("a preference names either a gemeente or a basisteam")
        return self


@dataclass(frozen=True)
class Sharing:
    # (part, audience level) -> gemeentecodes that do not share that part with that level
    withheld_from: dict[tuple[str, str], frozenset[str]]

    def withheld(self, part: str, audience: Audience) -> tuple[str, ...]:
        """The gemeenten whose `part` this audience may not be shown (never its own driehoek's)."""
        if audience.level == "basisteam":
            return ()
        return tuple(sorted(self.withheld_from.get((part, audience.level), frozenset())))

    def withheld_for_level(self, part: str, level: str) -> frozenset[str]:
        return self.withheld_from.get((part, level), frozenset())


EVERYTHING_SHARED = Sharing({})


def load(specs_dir: Path, known_parts: set[str], reference_dir: Path = REFERENCE_DIR) -> Sharing:
    path = specs_dir / SHARING_FILE
    if not path.exists():
        return EVERYTHING_SHARED
    data = load_yaml(path) or {}
    teams: dict[str, Unit] = {u.code: u for u in reference_units("basisteam", reference_dir)}
    gemeenten = {g for u in teams.values() for g in u.gemeenten}
    parts = known_parts | set(DOCUMENT_PARTS)
    withheld: dict[tuple[str, str], set[str]] = defaultdict(set)
    for raw in data.get("voorkeuren") or []:
        pref = Preference.model_validate(raw)
        if pref.gemeente is not None:
            if pref.gemeente not in gemeenten:
                raise ValueError(f"{SHARING_FILE}: unknown gemeente {pref.gemeente}")
            codes = {pref.gemeente}
        else:
            if pref.basisteam not in teams:
                raise ValueError(f"{SHARING_FILE}: unknown basisteam {pref.basisteam}")
            codes = set(teams[pref.basisteam].gemeenten)  # type: ignore[index]
        for item in pref.deelt_niet:
            if item.onderdeel not in parts:
                raise ValueError(f"{SHARING_FILE}: unknown onderdeel {item.onderdeel!r}; "
                                 f"known: {', '.join(sorted(parts))}")
            for level in item.met:
                withheld[(item.onderdeel, level)] |= codes
    return Sharing({k: frozenset(v) for k, v in withheld.items()})
