"""Feed contracts: the single declaration of each partner feed (one YAML file per feed).

Everything else about a feed is derived from its contract: parsing, the Great Expectations
suite, the raw table DDL, the dbt source definition and the partner documentation.
"""
from __future__ import annotations

import re
from functools import cache
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from config import CONTRACTS_DIR

ColumnType = Literal[
    "text", "date", "integer", "decimal", "number", "enum", "gemeente", "wijk",
    "ja_nee", "gemeente_list", "timestamp", "region", "period_month",
]
Personal = Literal["pseudonymise", "age_band", "never_store"]

AGE_BANDS: list[tuple[str, int, int]] = [
    ("0-17", 0, 17), ("18-24", 18, 24), ("25-44", 25, 44), ("45-64", 45, 64), ("65+", 65, 200),
]
AGE_UNKNOWN = "onbekend"

PG_TYPES = {
    "text": "text", "date": "date", "integer": "integer", "decimal": "numeric(14,2)",
    "number": "double precision", "enum": "text", "gemeente": "text", "wijk": "text",
    "ja_nee": "boolean", "gemeente_list": "text[]", "timestamp": "timestamptz",
    "region": "text", "period_month": "text",
}


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    equals: str


class Categories(BaseModel):
    """How an enum's values fall into categories: the values listed under a category belong to it,
    every other value to `other` (e.g. which modi are cybercrime)."""

    model_config = ConfigDict(extra="forbid")

    of: dict[str, list[str]]
    other: str

    @property
    def names(self) -> list[str]:
        return [*self.of, self.other]

    def category(self, value: str) -> str:
        return next((name for name, values in self.of.items() if value in values), self.other)


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: ColumnType
    required: bool = False
    unique: bool = False
    # The value names one record across periods: another period's file may deliver it again,
    # as a correction (the newest delivery wins in dbt staging; the partner's report says how many).
    corrected_across_periods: bool = False
    personal: Personal | None = None
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    in_period: bool = False
    not_after: str | None = None
    not_before: str | None = None
    within_gemeente: str | None = None
    within_district: str | None = None        # gemeente_list: every gemeente lies in this district column
    not_greater_than: str | None = None       # numeric: at most the value of that column
    required_when: Condition | None = None    # required if another column has a value
    required_unless: Condition | None = None  # required unless another column has a value
    folder_gemeente: bool = False             # must equal the gemeente of the delivery folder
    categories: Categories | None = None      # enum: the categories its values fall into
    description: str = ""

    @model_validator(mode="after")
    def _enum_has_values(self) -> Column:
        if self.type == "enum" and not self.values:
            raise ValueError(f"enum column {self.name} needs values")
        if self.categories:
            unknown = {v for listed in self.categories.of.values() for v in listed} - set(self.values or ())
            if unknown:
                raise ValueError(f"categories of {self.name} name values it does not have: {sorted(unknown)}")
        if self.corrected_across_periods and self.personal != "pseudonymise":
            # The count of re-delivered records compares pseudonyms' fingerprints (ingest/corrections.py).
            raise ValueError(f"{self.name}: corrected_across_periods needs personal: pseudonymise")
        return self

    @property
    def stored_name(self) -> str | None:
        """The column name in the warehouse, or None when the value is never stored."""
        if self.personal == "never_store":
            return None
        if self.personal == "pseudonymise":
            return f"{self.name}_pseudoniem"
        if self.personal == "age_band":
            return self.name.replace("leeftijd", "leeftijdsklasse")
        return self.name

    @property
    def stored_type(self) -> str:
        if self.personal in ("pseudonymise", "age_band"):
            return "text"
        return PG_TYPES[self.type]


class CsvOptions(BaseModel):
    delimiter: str | list[str] = ";"
    decimal: str = ","
    null_tokens: list[str] = Field(default_factory=list)   # e.g. CBS's "." for unknown


class XlsxOptions(BaseModel):
    sheet: str | None = None              # None: the first sheet
    total_row_prefix: str | None = None   # a trailing totals row whose first cell starts with this


class JsonOptions(BaseModel):
    records: str                          # the list of rows
    partner_field: str | None = None      # must equal the partner of the delivery folder
    period_field: str | None = None       # must equal the period in the file name


class Freshness(BaseModel):
    warn_after_days: int
    error_after_days: int


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feed: str
    partner: str
    partner_code: str
    title: str
    description: str
    landing_prefix: str                   # may contain {partner}: one folder per partner
    also_landing_prefixes: list[str] = Field(default_factory=list)
    cadence: Literal["monthly", "quarterly", "yearly", "any"]
    freshness: Freshness
    retention_years: int       # row-level data (raw, derived tables, rejected rows) and its originals
    # How long the sealed original of a delivery is kept for reprocessing (ingest/retention.py).
    archive_days: int = Field(default=90, ge=1)
    format: Literal["csv", "xlsx", "json", "csv_or_xlsx"]
    # The largest file accepted, in MB (10^6 bytes): a larger one is quarantined from the object's
    # size before a byte is read, so no delivery can hold more memory than this (plus parsing).
    max_file_mb: int = Field(default=50, gt=0)
    csv: CsvOptions = Field(default_factory=CsvOptions)
    xlsx: XlsxOptions = Field(default_factory=XlsxOptions)
    json_options: JsonOptions | None = Field(default=None, alias="json")
    file_name: str                 # regular expression with a named group `period`
    file_name_human: str           # the same, as partners know it: registraties_online_JJJJMM.csv
    period: Literal["month", "quarter", "date", "none"]
    tolerance: float = 0.05
    columns: list[Column]

    @model_validator(mode="after")
    def _references_exist(self) -> Contract:
        names = {c.name for c in self.columns}
        for c in self.columns:
            refs = (c.not_after, c.not_before, c.within_gemeente, c.within_district, c.not_greater_than,
                    c.required_when.column if c.required_when else None,
                    c.required_unless.column if c.required_unless else None)
            for ref in refs:
                if ref and ref not in names:
                    raise ValueError(f"{self.feed}.{c.name} refers to unknown column {ref}")
        re.compile(self.file_name)
        return self

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1_000_000

    @property
    def raw_table(self) -> str:
        return f"raw.{self.feed}"

    @property
    def stored_columns(self) -> list[Column]:
        return [c for c in self.columns if c.stored_name]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def match_file_name(self, file_name: str) -> re.Match[str] | None:
        return re.fullmatch(self.file_name, file_name, flags=re.IGNORECASE)

    @property
    def prefixes(self) -> list[str]:
        return [self.landing_prefix, *self.also_landing_prefixes]

    @property
    def watch_prefixes(self) -> list[str]:
        """Literal prefixes to watch in the landing area (the part before any placeholder)."""
        return sorted({p.split("{", 1)[0] for p in self.prefixes})

    def partner_for_key(self, key: str) -> str | None:
        """The partner that delivered a file, from its folder; None if the key is not this feed's."""
        for prefix in self.prefixes:
            pattern = "^" + re.escape(prefix).replace(r"\{partner\}", "(?P<partner>[^/]+)") + "[^/]+$"
            m = re.match(pattern, key)
            if m:
                return m.groupdict().get("partner") or prefix.split("/", 1)[0]
        return None


@cache
def load_contract(feed: str) -> Contract:
    path = CONTRACTS_DIR / f"{feed}.yaml"
    return Contract.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def all_contracts() -> list[Contract]:
    return [load_contract(p.stem) for p in sorted(CONTRACTS_DIR.glob("*.yaml"))]


def contract_for_key(object_key: str) -> Contract | None:
    """The contract whose landing prefix (folder) the object key lies in."""
    for contract in all_contracts():
        if contract.partner_for_key(object_key) is not None:
            return contract
    return None


def age_band(age: int | None) -> str:
    if age is None:
        return AGE_UNKNOWN
    for label, low, high in AGE_BANDS:
        if low <= age <= high:
            return label
    return AGE_UNKNOWN
