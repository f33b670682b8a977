"""The dashboard specs (dashboards/specs/*.yaml): what each audience sees, declared once.

`audiences.yaml` declares the audiences: each is one Metabase group and one Metabase database
connection that logs in as its own Postgres role, so row-level security in the warehouse decides
what the audience can see (open-source Metabase has no row-level sandboxing). Every other YAML file
declares one dashboard: its collection, its filters, its cards as native SQL over one reporting
relation, and which audiences get it. Everything Metabase shows is named here, in Dutch; the apply
code derives every name from these files.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dashboards import audiences as audience_specs
from dashboards import sharing as sharing_specs
from dashboards.audiences import AUDIENCES_FILE, Audience
from dashboards.metabase import native
from dashboards.yaml_io import load_yaml

SPECS_DIR = Path(__file__).parent / "specs"
GRID_COLUMNS = 24

KEY = r"^[a-z][a-z0-9_]*$"
Display = Literal["line", "bar", "row", "area", "combo", "pie", "scalar", "table", "progress"]

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Layout(_Strict):
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    size_x: int = Field(ge=1, le=GRID_COLUMNS)
    size_y: int = Field(ge=1)

    @model_validator(mode="after")
    def _fits(self) -> Layout:
        if self.col + self.size_x > GRID_COLUMNS:
            raise ValueError(f"col {self.col} + size_x {self.size_x} exceeds the {GRID_COLUMNS}-column grid")
        return self

    def cells(self) -> set[tuple[int, int]]:
        return {(r, c) for r in range(self.row, self.row + self.size_y)
                for c in range(self.col, self.col + self.size_x)}


class Parameter(_Strict):
    slug: str = Field(pattern=KEY)
    name: str
    kind: Literal["field_filter", "text"]
    # field_filter: the column of the dashboard's source relation the filter is bound to.
    field: str | None = None
    widget: Literal["string/="] = "string/="
    default: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _field(self) -> Parameter:
        if (self.kind == "field_filter") != (self.field is not None):
            raise ValueError(f"parameter {self.slug}: a field filter needs `field`, a text variable must not have one")
        return self


class Card(_Strict):
    key: str = Field(pattern=KEY)
    name: str
    description: str
    display: Display
    sql: str
    layout: Layout
    visualization_settings: dict[str, Any] = {}


class Text(_Strict):
    key: str = Field(pattern=KEY)
    text: str
    layout: Layout


class Collection(_Strict):
    name: str
    description: str = ""


class Dashboard(_Strict):
    key: str = Field(pattern=KEY)
    name: str
    description: str
    source: str = Field(pattern=r"^reporting\.[a-z_][a-z0-9_]*$")
    # Further reporting relations the cards may join to the source (the filters stay bound to the
    # source). Each must be a dbt exposure dependency of the dashboard (tests/dashboards).
    also_reads: list[str] = []
    collection: Collection
    audiences: list[str] = Field(min_length=1)
    parameters: list[Parameter] = []
    # Put in front of every card's SQL (shared CTEs), so the cards resolve the filters one way.
    prelude: str = ""
    cards: list[Card] = Field(min_length=1)
    texts: list[Text] = []

    def card_sql(self, card: Card, withheld: tuple[str, ...] = ()) -> str:
        """The card's SQL; `withheld`: gemeentecodes this audience may not be shown (sharing
        preferences), put where the spec marks it with `/* niet_gedeeld(<column>) */`."""
        prelude = self.prelude.strip()
        sql = f"{prelude}\n{card.sql.strip()}" if prelude else card.sql.strip()
        return withhold(sql, withheld)

    @property
    def reads(self) -> list[str]:
        """Every relation the cards may read: the source first."""
        return [self.source, *self.also_reads]

    @property
    def source_schema(self) -> str:
        return self.source.split(".", 1)[0]

    @property
    def source_table(self) -> str:
        return self.source.split(".", 1)[1]

    def parameter(self, slug: str) -> Parameter:
        for p in self.parameters:
            if p.slug == slug:
                return p
        raise KeyError(slug)

    @field_validator("also_reads")
    @classmethod
    def _reporting_only(cls, v: list[str]) -> list[str]:
        # Only reporting is disclosure-controlled; a dashboard never reads another layer.
        for relation in v:
            if not re.fullmatch(r"reporting\.[a-z_][a-z0-9_]*", relation):
                raise ValueError(f"{relation}: a dashboard may only read relations in reporting")
        return v

    @field_validator("audiences")
    @classmethod
    def _unique_audiences(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("an audience is listed twice")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Dashboard:
        keys = [c.key for c in self.cards] + [t.key for t in self.texts]
        if len(set(keys)) != len(keys):
            raise ValueError(f"dashboard {self.key}: card and text keys must be unique")
        slugs = [p.slug for p in self.parameters]
        if len(set(slugs)) != len(slugs):
            raise ValueError(f"dashboard {self.key}: parameter slugs must be unique")
        taken: dict[tuple[int, int], str] = {}
        for item in [*self.cards, *self.texts]:
            for cell in item.layout.cells():
                if cell in taken:
                    raise ValueError(f"dashboard {self.key}: {item.key} overlaps {taken[cell]}")
                taken[cell] = item.key
        for card in self.cards:
            _check_card_sql(self, card)
        return self


# Where a spec lets the sharing preferences (dashboards/sharing.py) narrow what a card may show.
SHARING_MARKER_RE = re.compile(r"/\*\s*niet_gedeeld\(([a-z_][a-z0-9_.]*)\)\s*\*/")
_GEMEENTECODE_RE = re.compile(r"^GM\d{4}$")


def withhold(sql: str, gemeenten: tuple[str, ...]) -> str:
    """Replace every sharing marker with a condition excluding `gemeenten`, or remove it."""
    for code in gemeenten:
        if not _GEMEENTECODE_RE.match(code):
            raise ValueError(f"not a gemeentecode: {code!r}")
    if not gemeenten:
        return SHARING_MARKER_RE.sub("", sql)
    codes = ",".join(gemeenten)
    return SHARING_MARKER_RE.sub(lambda m: f"and {m.group(1)} <> all ('{{{codes}}}'::text[])", sql)


# Tables a card reads: the name after FROM/JOIN unless it is a CTE or a subquery.
_RELATION_RE = re.compile(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_.\"]*)", re.I)
_CTE_RE = re.compile(r"(?:\bwith|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s+as\s*\(", re.I)
# A suppressed count is null; turning it into 0 would publish a false figure.
_NULL_TO_ZERO_RE = re.compile(r"coalesce\s*\([^()]*,\s*'?0(?:\.0*)?'?\s*\)", re.I)
_SQL_COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def _check_card_sql(dashboard: Dashboard, card: Card) -> None:
    where = f"dashboard {dashboard.key}, card {card.key}"
    sql = _SQL_COMMENT_RE.sub(" ", dashboard.card_sql(card))
    try:
        native.check_syntax(sql)
    except native.NativeQueryError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    ctes = {m.lower() for m in _CTE_RE.findall(sql)}
    for relation in _RELATION_RE.findall(sql):
        name = relation.replace('"', "").lower()
        if name not in ctes and name not in dashboard.reads:
            raise ValueError(f"{where}: reads {relation}; cards may only read {', '.join(dashboard.reads)}")
    if _NULL_TO_ZERO_RE.search(sql):
        raise ValueError(f"{where}: never turn a suppressed (null) count into 0")
    declared = {p.slug: p for p in dashboard.parameters}
    for name in native.tags_in(sql):
        if name not in declared:
            raise ValueError(f"{where}: {{{{{name}}}}} is not a declared parameter")
        if declared[name].kind == "field_filter" and re.search(
                r"(=|<|>|\blike|\bin)\s*\{\{\s*" + name + r"\s*\}\}", sql, re.I):
            # A field filter renders to a whole condition, never to a value.
            raise ValueError(f"{where}: field filter {{{{{name}}}}} must stand alone as a condition")


def load_audiences(specs_dir: Path = SPECS_DIR) -> dict[str, Audience]:
    """Every audience: the declared ones and one per basisteam and district of the reference data."""
    return audience_specs.load(specs_dir).by_key


def load_sharing(specs_dir: Path = SPECS_DIR) -> sharing_specs.Sharing:
    """The sharing preferences (specs/deling.yaml; default: everything shared)."""
    return sharing_specs.load(specs_dir, {d.key for d in load_dashboards(specs_dir)})


def load_dashboards(specs_dir: Path = SPECS_DIR) -> list[Dashboard]:
    audiences = audience_specs.load(specs_dir)
    dashboards = []
    for path in sorted(specs_dir.glob("*.yaml")):
        if path.name in (AUDIENCES_FILE, sharing_specs.SHARING_FILE):
            continue
        dashboard = Dashboard.model_validate(load_yaml(path))
        # `audiences:` may name families (all basisteams, all districts) besides single audiences.
        expanded = audiences.expand(dashboard.audiences)
        unknown = [a for a in expanded if a not in audiences.by_key]
        if unknown:
            raise ValueError(f"{path.name}: unknown audience(s) {unknown}")
        dashboards.append(dashboard.model_copy(update={"audiences": expanded}))
    keys = [d.key for d in dashboards]
    if len(set(keys)) != len(keys):
        raise ValueError("dashboard keys must be unique")
    return dashboards
