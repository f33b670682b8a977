"""Give every value its declared type, the way the partner specs define the formats.

Work is done once per *distinct* value and then broadcast to the rows (a month of police
registrations has a few dozen distinct dates and a few hundred distinct amounts, but a million
rows). Values that do not fit their type become null with a Dutch reason for the rows they are on.
A reason names the column and what was expected, never the value: reasons reach the audit trail,
the partner's report, logs and XComs, and a value may be anything a partner typed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contracts import Column, Contract


@dataclass
class Reference:
    """What validation needs to know about gemeente codes (from reference.*)."""

    current_codes: frozenset[str]
    mapping: dict[str, tuple[str, str, str]]  # old code -> (new code, old name, date)
    districts: dict[str, str] = field(default_factory=dict)  # gemeente -> district


@dataclass
class Distinct:
    codes: np.ndarray            # row -> index into values (-1 = empty)
    raw: pd.Series               # distinct raw strings
    typed: pd.Series             # distinct typed values (null where unparseable)
    errors: dict[int, str] = field(default_factory=dict)  # distinct index -> reason


@dataclass
class Normalized:
    columns: dict[str, Distinct]

    def row_values(self, name: str, kind: str = "object") -> np.ndarray:
        """Typed value per row: datetime64[D] with NaT, float64 with NaN, or object with None."""
        d = self.columns[name]
        if kind == "date":
            lookup = np.append(pd.to_datetime(pd.Series(d.typed, dtype=object)).to_numpy().astype("datetime64[D]"),
                               np.datetime64("NaT", "D"))
        elif kind == "list":
            lookup = np.empty(len(d.typed) + 1, dtype=object)
            lookup[:-1] = ["{" + ",".join(v) + "}" if v is not None else None for v in d.typed]
            lookup[-1] = None
        elif kind == "float":
            lookup = np.append(pd.to_numeric(pd.Series(d.typed, dtype=object)).to_numpy(dtype=float), np.nan)
        else:
            lookup = np.empty(len(d.typed) + 1, dtype=object)
            lookup[:-1] = d.typed.to_numpy(dtype=object)
            lookup[-1] = None
        return lookup[d.codes]  # code -1 picks the trailing empty value


_GEMEENTE = re.compile(r"^(?:GM)?(\d{1,4})$", re.IGNORECASE)
_DATE_NL = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_INT = re.compile(r"^[+-]?\d+$")
# More digits than any stored whole number has (int8: 19): such a value does not fit its column,
# and Python would refuse to convert one of thousands of digits at all.
MAX_INT_DIGITS = 18
_DEC_NL = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_DEC_POINT = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def parse_date(value: str) -> date | None:
    for pattern, order in ((_DATE_NL, (3, 2, 1)), (_DATE_ISO, (1, 2, 3))):
        m = pattern.match(value)
        if m:
            try:
                return date(int(m.group(order[0])), int(m.group(order[1])), int(m.group(order[2])))
            except ValueError:
                return None
    return None


def _gemeente(label: str, v: str, ref: Reference) -> tuple[str | None, str | None]:
    m = _GEMEENTE.match(v)
    if not m:
        return None, f"{label}: geen gemeentecode (verwacht GM0344, 0344 of 344)"
    code = "GM" + m.group(1).zfill(4)
    if code in ref.mapping:
        new, old_name, since = ref.mapping[code]
        if new not in ref.current_codes:
            return None, (f"{label}: een opgeheven gemeente die is opgegaan in een gemeente buiten "
                          "politie-eenheid Midden-Nederland")
        code = new
    return code, None


def too_large(column: Column) -> str:
    """A number too large to store, named without its digits (there may be thousands)."""
    return f"{column.name}: getal is te groot om op te slaan"


def _convert_numbers(column: Column, values: pd.Series, decimal_comma: bool) -> tuple[list, dict[int, str]]:
    """Vectorised: a month of amounts can hold hundreds of thousands of distinct values."""
    text = pd.Series(values.to_numpy(dtype=object), dtype="str")
    if column.type == "integer":
        ok = text.str.fullmatch(_INT.pattern).fillna(False).to_numpy(dtype=bool)
        huge = ok & (text.str.lstrip("+-").str.len().fillna(0).to_numpy() > MAX_INT_DIGITS)
        # Not in place: to_numpy may hand out a read-only view of the column (a column without
        # any missing value), which raised "output array is read-only" for a whole file.
        ok = ok & ~huge
        parsed = pd.to_numeric(text.where(ok), errors="coerce")
        out = [int(v) if ok_ else None for v, ok_ in zip(parsed.tolist(), ok)]
        errors = {int(i): f"{column.name}: geen geheel getal" for i in np.flatnonzero(~ok & ~huge)}
        errors.update({int(i): too_large(column) for i in np.flatnonzero(huge)})
        return out, errors
    comma = decimal_comma and column.type == "decimal"
    pattern = _DEC_NL if comma else _DEC_POINT
    ok = text.str.fullmatch(pattern.pattern).fillna(False).to_numpy(dtype=bool)
    cleaned = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False) if comma else text
    parsed = pd.to_numeric(cleaned.where(ok), errors="coerce").to_numpy(dtype=float)
    out = [float(v) if k else None for v, k in zip(parsed.tolist(), ok)]
    hint = (" (gebruik een decimale komma, bijvoorbeeld 1.234,56)" if comma
            else " (gebruik een decimale punt, bijvoorbeeld 12.5)")
    errors = {int(i): f"{column.name}: geen geldig getal{hint}" for i in np.flatnonzero(~ok)}
    return out, errors


def _convert(column: Column, values: pd.Series, contract: Contract, ref: Reference,
             decimal_comma: bool) -> tuple[list, dict[int, str]]:
    if column.type in ("integer", "decimal", "number") and len(values) > 256:
        return _convert_numbers(column, values, decimal_comma)
    label = column.name
    out: list = []
    errors: dict[int, str] = {}
    t = column.type
    for i, v in enumerate(values.tolist()):
        if t in ("text", "wijk", "region"):
            out.append(v.upper() if t in ("wijk", "region") else v)
        elif t == "enum":
            match = next((allowed for allowed in column.values if allowed.lower() == v.lower()), v.lower())
            out.append(match)
        elif t == "ja_nee":
            low = v.lower()
            if low in ("ja", "nee"):
                out.append(low == "ja")
            else:
                errors[i] = f"{label}: geen ja of nee"
                out.append(None)
        elif t == "date":
            d = parse_date(v)
            if d is None:
                errors[i] = f"{label}: geen geldige datum (gebruik dd-mm-jjjj of jjjj-mm-dd)"
            out.append(d)
        elif t == "integer":
            if _INT.match(v) and len(v.lstrip("+-")) > MAX_INT_DIGITS:
                errors[i] = too_large(column)
                out.append(None)
            elif _INT.match(v):
                out.append(int(v))
            else:
                errors[i] = f"{label}: geen geheel getal"
                out.append(None)
        elif t in ("decimal", "number"):
            comma = decimal_comma and t == "decimal"
            if comma and _DEC_NL.match(v):
                out.append(float(v.replace(".", "").replace(",", ".")))
            elif not comma and _DEC_POINT.match(v):
                out.append(float(v))
            else:
                hint = " (gebruik een decimale komma, bijvoorbeeld 1.234,56)" if comma else \
                    " (gebruik een decimale punt, bijvoorbeeld 12.5)"
                errors[i] = f"{label}: geen geldig getal{hint}"
                out.append(None)
        elif t == "gemeente":
            code, error = _gemeente(label, v, ref)
            if error:
                errors[i] = error
            out.append(code)
        elif t == "gemeente_list":
            codes, problems = [], []
            for part in re.split(r"[,;]", v):
                if part.strip():
                    code, error = _gemeente(label, part.strip(), ref)
                    codes.append(code) if code else problems.append(error)
            if problems:
                errors[i] = "; ".join(dict.fromkeys(problems))
                out.append(None)
            else:
                out.append(tuple(codes))
        else:
            out.append(v)
    return out, errors


def _dictionary(series: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Row -> index of its distinct value (-1 for empty), and the distinct values in order of
    first appearance. Arrow's hash encoding on the Arrow-backed column: no Python object per row,
    and several times faster than pandas' factorize here."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # the reader encoded it already
        return (series.cat.codes.to_numpy().astype(np.int64),
                pa.array(series.cat.categories.to_numpy(dtype=object), type=pa.large_string()))
    encoded = pc.dictionary_encode(pa.array(series, type=pa.large_string()))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


def normalize(contract: Contract, frame: pd.DataFrame, ref: Reference, *, decimal_comma: bool = True,
              part: Literal["all", "identifiers", "others"] = "all") -> Normalized:
    """`decimal_comma`: decimals are written the Dutch way (CSV exports); spreadsheets and JSON
    carry real numbers. `part` splits the work: the columns to pseudonymise ("identifiers") are
    needed by validation only (the stored rows take their pseudonyms), so they can be encoded
    while the other columns are already being written."""
    columns: dict[str, Distinct] = {}
    for column in contract.columns:
        if column.personal == "never_store":
            continue
        if part != "all" and (column.personal == "pseudonymise") != (part == "identifiers"):
            continue
        codes, dictionary = _dictionary(frame[column.name])
        if column.personal == "pseudonymise":
            # Identifiers are (nearly) all distinct and their values are never needed as Python
            # objects (the pseudonyms are made from the Arrow column).
            values = pd.Series(dictionary, dtype="str")
            columns[column.name] = Distinct(codes, values, values)
            continue
        uniques = pd.Series(dictionary.to_pylist(), dtype="object")
        if column.type == "text" and column.personal is None and not column.pattern:
            # Free identifiers: nothing to convert, keep the distinct values as they are.
            columns[column.name] = Distinct(codes, uniques, uniques)
            continue
        typed, errors = _convert(column, uniques, contract, ref, decimal_comma)
        columns[column.name] = Distinct(codes, uniques, pd.Series(typed, dtype="object"), errors)
    return Normalized(columns)


def period_bounds(contract: Contract, period: str) -> tuple[date, date]:
    if contract.period == "month":
        start = datetime.strptime(period, "%Y-%m").date()
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
        return start, end
    if contract.period == "quarter":
        year, q = int(period[:4]), int(period[-1])
        start = date(year, 3 * (q - 1) + 1, 1)
        end = (pd.Timestamp(start) + pd.offsets.QuarterEnd(0)).date()
        return start, end
    if contract.period == "date":
        day = datetime.strptime(period, "%Y-%m-%d").date()
        return day, day
    raise ValueError(f"no bounds for period kind {contract.period}")
