"""Metabase's native-query templating, as far as our cards use it.

Metabase substitutes template tags server-side before it sends SQL to Postgres:
- `{{name}}` of a text/number/date variable becomes a literal;
- `{{name}}` of a field filter (type `dimension`) becomes a condition on the column the filter is
  bound to, or `1=1` when the filter has no value;
- `[[ ... ]]` is kept (without the brackets) when every tag inside it has a value, and dropped
  entirely otherwise.

The spec validator uses the parsing half to reject cards Metabase would fail on, and the tests
use the rendering half to run every card's SQL against the real warehouse exactly as Metabase
would send it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

TAG_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_RE = re.compile(r"\[\[(.*?)\]\]", re.S)

# Field id -> (schema, table, column), as Metabase knows it from its synced metadata.
ColumnLookup = Callable[[int], tuple[str, str, str]]
Value = str | int | float | Sequence[str] | None


class NativeQueryError(ValueError):
    """The query or its parameters would make Metabase refuse to run it."""


def tags_in(sql: str) -> list[str]:
    """Tag names in order of first appearance."""
    seen: dict[str, None] = {}
    for match in TAG_RE.finditer(sql):
        seen.setdefault(match.group(1), None)
    return list(seen)


def check_syntax(sql: str) -> None:
    """Balanced, non-nested optional clauses that each hold at least one tag (Metabase would
    otherwise either fail to parse the query or keep a clause it can never drop)."""
    depth = 0
    i = 0
    while i < len(sql):
        pair = sql[i:i + 2]
        if pair == "[[":
            depth += 1
            if depth > 1:
                raise NativeQueryError("nested [[ ]] clauses are not supported by Metabase")
            i += 2
            continue
        if pair == "]]":
            depth -= 1
            if depth < 0:
                raise NativeQueryError("']]' without a matching '[['")
            i += 2
            continue
        i += 1
    if depth != 0:
        raise NativeQueryError("'[[' without a matching ']]'")
    for clause in OPTIONAL_RE.findall(sql):
        if not TAG_RE.search(clause):
            raise NativeQueryError(f"optional clause without a parameter: [[{clause.strip()}]]")


@dataclass(frozen=True)
class Tag:
    """The parts of a Metabase template tag that decide how it renders."""

    name: str
    type: str  # text | number | date | dimension
    field_id: int | None = None
    widget_type: str | None = None
    required: bool = False
    default: Value = None

    @classmethod
    def from_metabase(cls, tag: Mapping) -> Tag:
        dimension = tag.get("dimension")
        field_id = None
        if dimension:
            if not (isinstance(dimension, list) and len(dimension) >= 2 and dimension[0] == "field"):
                raise NativeQueryError(f"tag {tag.get('name')}: dimension must be ['field', <id>, ...]")
            field_id = int(dimension[1])
        return cls(
            name=str(tag["name"]), type=str(tag["type"]), field_id=field_id,
            widget_type=tag.get("widget-type"), required=bool(tag.get("required", False)),
            default=tag.get("default"),
        )


def quote_literal(value: str) -> str:
    # standard_conforming_strings is on in every supported Postgres, so doubling quotes is enough.
    return "'" + str(value).replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _has_value(value: Value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, (list, tuple)):
        return any(_has_value(v) for v in value)
    return True


def _literal(tag: Tag, value: Value) -> str:
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise NativeQueryError(f"variable {tag.name} takes one value, got {list(value)}")
        value = value[0]
    if tag.type == "number":
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise NativeQueryError(f"{tag.name}: not a number: {value!r}") from exc
        return str(int(number)) if number.is_integer() else repr(number)
    if tag.type == "date":
        return f"date {quote_literal(str(value))}"
    return quote_literal(str(value))


def _field_filter(tag: Tag, value: Value, columns: ColumnLookup) -> str:
    if not _has_value(value):
        return "1=1"
    if tag.field_id is None:
        raise NativeQueryError(f"field filter {tag.name} is not bound to a field")
    schema, table, column = columns(tag.field_id)
    target = ".".join(_quote_ident(p) for p in (schema, table, column))
    values = [v for v in (value if isinstance(value, (list, tuple)) else [value]) if _has_value(v)]
    widget = tag.widget_type or "string/="
    if widget not in ("string/=", "category", "id"):
        raise NativeQueryError(f"field filter {tag.name}: widget {widget} is not supported here")
    if len(values) == 1:
        return f"{target} = {quote_literal(str(values[0]))}"
    return f"{target} IN ({', '.join(quote_literal(str(v)) for v in values)})"


def render(sql: str, tags: Mapping[str, Tag], values: Mapping[str, Value],
           columns: ColumnLookup | None = None) -> str:
    """The SQL Metabase would send to the database for these parameter values."""
    check_syntax(sql)
    for name in tags_in(sql):
        if name not in tags:
            raise NativeQueryError(f"{{{{{name}}}}} is used in the query but has no template tag")

    def effective(name: str) -> Value:
        value = values.get(name)
        return value if _has_value(value) else tags[name].default

    def substitute(fragment: str) -> str:
        def one(match: re.Match[str]) -> str:
            tag = tags[match.group(1)]
            value = effective(tag.name)
            if tag.type == "dimension":
                if columns is None:
                    raise NativeQueryError("a field filter needs a column lookup to render")
                return _field_filter(tag, value, columns)
            if not _has_value(value):
                raise NativeQueryError(f"You'll need to pick a value for '{tag.name}' before this query can run.")
            return _literal(tag, value)

        return TAG_RE.sub(one, fragment)

    def optional(match: re.Match[str]) -> str:
        clause = match.group(1)
        if all(_has_value(effective(name)) for name in tags_in(clause)):
            return substitute(clause)
        return ""

    for name, tag in tags.items():
        if tag.required and not _has_value(effective(name)):
            raise NativeQueryError(f"You'll need to pick a value for '{name}' before this query can run.")
    return substitute(OPTIONAL_RE.sub(optional, sql))


def render_card(card: Mapping, values: Mapping[str, Value], columns: ColumnLookup | None = None) -> str:
    """Render a card as stored in Metabase (its `dataset_query.native`)."""
    native = card["dataset_query"]["native"]
    tags = {name: Tag.from_metabase(tag) for name, tag in (native.get("template-tags") or {}).items()}
    return render(native["query"], tags, values, columns)
