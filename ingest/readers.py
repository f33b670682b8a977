"""Turn a delivered file into a table of trimmed strings, one column per contract column.

Reading is about the file's *form* (encoding, delimiter, header, row structure): anything wrong
there refuses the whole file with a Dutch reason that names the line or column. Whether values
are *valid* is decided later, by the validation suite.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest import sandbox
from ingest.contracts import Contract
from ingest.errors import FileRefused

ENCODINGS = ("utf-8-sig", "cp1252")


@dataclass
class RawTable:
    frame: pa.Table                      # contract column name -> trimmed string or null (possibly dictionary-encoded)
    line_numbers: np.ndarray             # line in the original file of each row (header = 1)
    encoding: str
    rows_received: int                   # data rows in the file, including unreadable ones
    unreadable: dict[int, str] = field(default_factory=dict)  # line -> reason (row-level)
    notes: list[str] = field(default_factory=list)
    unit: str = "regel"                  # how a partner names a row: a line, or a JSON record


def _check_text(data: bytes) -> None:
    if not data[:65536].strip() and not data.strip():
        raise FileRefused("Het bestand is leeg.")
    if data[:4] == b"PK\x03\x04" or b"\x00" in data[:4096]:
        raise FileRefused(
            "Het bestand is geen tekstbestand (CSV): het lijkt een binair bestand, zoals een "
            "Excel-werkmap of een zip-bestand. Lever een CSV-bestand aan."
        )


def _is_utf8(data: bytes) -> bool:
    """Arrow's vectorised UTF-8 check: a tenth of the time of decoding a large file only to learn
    that it decodes (the reader works on the bytes)."""
    whole = pa.Array.from_buffers(pa.large_string(), 1, [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)),
                                                          pa.py_buffer(data)])
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def decode(data: bytes) -> tuple[str, str]:
    _check_text(data)
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as err:
            last = err
    line = data[: last.start].count(b"\n") + 1
    raise FileRefused(
        f"Het bestand bevat tekens die niet als UTF-8 of Windows-1252 te lezen zijn "
        f"(eerste probleem op regel {line}). Sla het bestand op als UTF-8 en lever het opnieuw aan."
    )


def _sniff_delimiter(header_line: str, allowed: list[str], expected_text: str) -> str:
    counts = {d: header_line.count(d) for d in allowed}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        other = [d for d in (";", ",", "\t", "|") if d not in allowed and d in header_line]
        hint = f" maar '{other[0]}'" if other else ""
        raise FileRefused(
            f"De kopregel (regel 1) is niet gescheiden met {expected_text}{hint}. "
            f"Gebruik {expected_text} als scheidingsteken."
        )
    return best


def _map_header(names: list[str], contract: Contract) -> tuple[list[str | None], list[str]]:
    """Header names are case-insensitive and their order may differ between exports."""
    known = {c.name for c in contract.columns}
    mapped: list[str | None] = []
    notes: list[str] = []
    seen: set[str] = set()
    unknown: list[int] = []
    for position, raw in enumerate(names, start=1):
        name = raw.strip().strip('"').strip().lower().lstrip("\ufeff")
        if name in seen:
            # Only a contract column is named: any other text in the first line may be data.
            what = f"De kolom '{name}'" if name in known else "Een kolom met een onbekende naam"
            raise FileRefused(f"{what} staat twee keer in de kopregel (kolom {position}).")
        seen.add(name)
        if name in known:
            mapped.append(name)
        else:
            mapped.append(None)
            if name:
                unknown.append(position)
    missing = [c.name for c in contract.columns if c.required and c.name not in seen]
    if missing:
        cols = ", ".join(f"'{m}'" for m in missing)
        found = [n for n in mapped if n is not None]
        seen_text = (f"Herkende kolommen: {', '.join(found)}" if found else
                     "Geen enkele kolomnaam is herkend; ontbreekt de kopregel, of staat er een andere regel boven?")
        raise FileRefused(
            f"Verplichte kolom ontbreekt in de kopregel (regel 1): {cols}. {seen_text}. "
            f"De kopregel heeft {len(names)} {'kolom' if len(names) == 1 else 'kolommen'}, waarvan "
            f"{len(unknown)} met een naam die niet in de afspraak staat."
        )
    if unknown:
        # By position only: the name of an unknown column is the partner's text, not the contract's.
        notes.append(f"{'Kolom' if len(unknown) == 1 else 'Kolommen'} {', '.join(map(str, unknown))} van de kopregel "
                     f"{'heeft' if len(unknown) == 1 else 'hebben'} een naam die niet in de afspraak staat en "
                     f"{'is' if len(unknown) == 1 else 'zijn'} genegeerd.")
    return mapped, notes


Identifiers = Callable[[str, pa.Array], None]


def read_csv(contract: Contract, data: bytes, on_identifiers: Identifiers | None = None) -> RawTable:
    """`on_identifiers(column, values)` is called with each column to pseudonymise as soon as it
    is parsed, before the rest is converted: the caller can start hashing early."""
    _check_text(data)
    text: str | None = None
    if _is_utf8(data):
        encoding, body = ENCODINGS[0], data.removeprefix(b"\xef\xbb\xbf")
    else:
        text, encoding = decode(data)
        body = text.encode("utf-8")
    delimiters = contract.csv.delimiter if isinstance(contract.csv.delimiter, list) else [contract.csv.delimiter]
    expected = " of ".join(f"'{d}'" for d in delimiters)
    end = body.find(b"\n")
    first_line = (body if end < 0 else body[:end]).decode("utf-8").rstrip("\r")
    try:
        delimiter = _sniff_delimiter(first_line, delimiters, expected)
        try:
            header = next(csv.reader([first_line], delimiter=delimiter))
        except csv.Error:
            raise _field_too_long(1) from None
        mapped, notes = _map_header(header, contract)
    except FileRefused as refused:
        # Say how many rows were refused with the file (its non-empty lines below the header).
        refused.rows_received = max(sum(1 for line in body.splitlines() if line.strip()) - 1, 0)
        raise
    if encoding == "cp1252":
        notes.append("Het bestand is gelezen als Windows-1252.")
    wanted = [i for i, name in enumerate(mapped)
              if name is not None and contract.column(name).personal != "never_store"]
    early = {i: name for i, name in enumerate(mapped)
             if name is not None and contract.column(name).personal == "pseudonymise"} if on_identifiers else {}
    as_text = {i for i, name in enumerate(mapped)
               if name is not None and contract.column(name).personal == "pseudonymise"}
    table = _fast_parse(body, header, delimiter, wanted, tuple(contract.csv.null_tokens), as_text,
                        {i: (lambda values, n=name: on_identifiers(n, values)) for i, name in early.items()})
    if table is None:
        frame_data, lines, unreadable, received = _careful_parse(text if text is not None else body.decode("utf-8"),
                                                                 len(header), delimiter,
                                                                 tuple(contract.csv.null_tokens))
    else:
        frame_data, lines, unreadable, received = table
    if received == 0:
        raise FileRefused("Het bestand bevat alleen een kopregel en geen gegevens.")
    found = {name: frame_data[position] for position, name in enumerate(mapped)
             if name is not None and frame_data[position] is not None
             and contract.column(name).personal != "never_store"}
    return RawTable(_table(contract, found, len(lines)), lines, encoding, received, unreadable, notes)


def _table(contract: Contract, found: dict[str, pa.Array | list[str | None]], rows: int) -> pa.Table:
    """Every contract column in contract order; a column the file lacks (or that is never
    stored) is all empty."""
    return pa.table({c.name: found[c.name] if c.name in found else pa.nulls(rows, pa.string())
                     for c in contract.columns})


def _clean(array: pa.ChunkedArray, null_tokens: tuple[str, ...] = ()) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(array)
    empty = pc.is_in(trimmed, value_set=pa.array(["", *null_tokens])) if null_tokens else pc.equal(trimmed, "")
    return pc.if_else(empty, pa.scalar(None, pa.string()), trimmed).combine_chunks()


def _clean_dictionary(column: pa.ChunkedArray, null_tokens: tuple[str, ...]) -> pa.DictionaryArray:
    """A dictionary-encoded column of trimmed values (empty = missing).
    Trimming runs over the distinct values only; values that differ only in surrounding spaces
    become one category."""
    combined = column.unify_dictionaries().combine_chunks()
    cleaned = _clean(pa.chunked_array([combined.dictionary], type=pa.string()), null_tokens)
    recoded = pc.dictionary_encode(cleaned)
    mapping = recoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    codes = mapping[combined.indices.to_numpy(zero_copy_only=False)]
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), recoded.dictionary)


def _fast_parse(body: bytes, header: list[str], delimiter: str, wanted: list[int], null_tokens: tuple[str, ...],
                as_text: set[int], early: dict[int, Callable[[pa.Array], None]] | None = None):
    """pyarrow's multi-threaded parser. It cannot tell line numbers of odd rows, so it is only
    trusted when every line is exactly one record; otherwise the careful parser takes over.
    Columns are dictionary-encoded while parsing (a month holds a few dozen dates and codes in a
    million rows), except `as_text`: identifiers, nearly all distinct."""
    invalid: list[str] = []
    names = [f"c{i}" for i in range(len(header))]
    dictionary = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=True,
                                           block_size=1 << 22),
            # Without quotes there can be no newline inside a value, and the parser is a third
            # faster when it need not look for one.
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=b'"' in body,
                                             ignore_empty_lines=False,
                                             invalid_row_handler=lambda row: invalid.append(row.text) or "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() if i in as_text else dictionary for i, n in enumerate(names)},
                include_columns=[names[i] for i in sorted(set(wanted) | set(early or {}))],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None
    newlines = body.count(b"\n") - (1 if body.endswith(b"\n") else 0)
    if invalid or b"\r\n" not in body and b"\r" in body or newlines != table.num_rows:
        return None
    names = [n if n in table.column_names else None for n in names]
    columns: list[pa.Array | None] = [None] * len(names)
    for i, n in enumerate(names):
        if n is None or (i not in wanted and i not in (early or {})):
            continue  # columns never to be stored (free text) are not even materialised
        if i in as_text:
            cleaned = _clean(table.column(n), null_tokens)
            if early and i in early:
                early[i](cleaned)  # the caller starts hashing before the rest is converted
            columns[i] = cleaned if i in wanted else None
        else:
            columns[i] = _clean_dictionary(table.column(n), null_tokens)
    lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return columns, lines, {}, table.num_rows


def _field_too_long(line: int) -> FileRefused:
    return FileRefused(f"Regel {line} bevat een veld van meer dan {_n(csv.field_size_limit())} tekens"
                       "; zo lang is geen waarde in deze levering. Controleer de aanhalingstekens en het "
                       "scheidingsteken.")


def _records(reader) -> Iterator[list[str]]:
    """The csv module's records; its field size limit refuses the file, naming the line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _field_too_long(reader.line_num) from None


def _careful_parse(text: str, width: int, delimiter: str, null_tokens: tuple[str, ...] = ()):
    """Record by record, with exact line numbers; rows with the wrong number of fields are
    rejected individually rather than refusing the whole file."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records = _records(reader)
    next(records)
    rows: list[list[str]] = []
    lines: list[int] = []
    unreadable: dict[int, str] = {}
    received = 0
    start = reader.line_num + 1
    for record in records:
        line = start
        start = reader.line_num + 1
        if not record or all(not v.strip() for v in record):
            continue  # blank line: not a row
        received += 1
        if len(record) != width:
            unreadable[line] = (
                f"regel heeft {len(record)} velden, verwacht {width} (scheidingsteken "
                f"'{delimiter}' in een waarde zonder aanhalingstekens?)"
            )
            continue
        rows.append(record)
        lines.append(line)
    columns = []
    for i in range(width):
        values = [None if r[i].strip() in null_tokens else (r[i].strip() or None) for r in rows]
        columns.append(pa.array(values, type=pa.string()))
    return columns, np.asarray(lines, dtype=np.int64), unreadable, received


def _cell_text(value: object) -> str | None:
    """Spreadsheet cells as the text a CSV export would hold: dates ISO, whole numbers without .0."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


# What a workbook may hold before it is opened at all (ZIP headers and the sheets' declared
# dimensions, read without inflating more than the start of each sheet); the child's memory
# limit (ingest/sandbox.py) stops a workbook that lies in its headers.
MAX_ZIP_ENTRIES = 2_000
MAX_UNZIPPED_BYTES = 1_000_000_000       # all parts together, as their headers declare
MAX_ZIP_RATIO = 200                      # inflated / compressed, for a part above 1 MB inflated
MAX_SHEET_CELLS = 20_000_000             # rows x columns of a sheet's declared dimension
MAX_SHEET_COLUMNS = 1_000
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?\"")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def check_workbook(data: bytes) -> None:
    """Refuse a workbook whose parts or sheets are too large before any parser sees it."""
    too_large = ("De Excel-werkmap is uitgepakt te groot om te verwerken ({what}). Lever een werkmap aan met "
                 "alleen de gegevens, of lever de gegevens als CSV.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: the reader says what it is
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRefused(too_large.format(what=f"meer dan {MAX_ZIP_ENTRIES} onderdelen"))
    if sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
        raise FileRefused(too_large.format(what=f"meer dan {MAX_UNZIPPED_BYTES // 1_000_000} MB"))
    for entry in entries:
        if entry.file_size > 1_000_000 and entry.file_size > MAX_ZIP_RATIO * max(entry.compress_size, 1):
            raise FileRefused(too_large.format(what=f"een onderdeel is meer dan {MAX_ZIP_RATIO} keer zo groot als "
                                                    "ingepakt"))
    for entry in entries:
        if not (entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml")):
            continue
        try:
            with archive.open(entry) as part:
                start = part.read(65536)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError, zlib.error):
            return  # damaged: the reader refuses it
        found = _DIMENSION.search(start)
        if not found:
            continue
        first_col, first_row, last_col, last_row = (g.decode("ascii") if g else None for g in found.groups())
        last_col, last_row = last_col or first_col, last_row or first_row
        if not (first_col and first_row and last_col and last_row):
            continue
        columns = _column_number(last_col) - _column_number(first_col) + 1
        rows = int(last_row) - int(first_row) + 1
        if columns > MAX_SHEET_COLUMNS or columns * rows > MAX_SHEET_CELLS:
            raise FileRefused(
                f"Een tabblad van de Excel-werkmap beslaat {_n(rows)} rijen bij {_n(columns)} kolommen (tot cel "
                f"{last_col}{last_row}); dat is meer dan verwerkt kan worden. Verwijder lege opmaak of inhoud buiten "
                "de gegevens, of lever de gegevens als CSV.")


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def read_xlsx(contract: Contract, data: bytes) -> RawTable:
    from python_calamine import CalamineWorkbook

    if not data.strip():
        raise FileRefused("Het bestand is leeg.")
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001 - any unreadable workbook is the same problem for a partner
        raise FileRefused(
            "Het bestand is geen leesbare Excel-werkmap (.xlsx). Sla het op als Excel-werkmap en lever het "
            f"opnieuw aan. (Technische melding: {type(err).__name__})") from None
    sheet_name = contract.xlsx.sheet
    if sheet_name is None:
        sheet_name = workbook.sheet_names[0]
    elif sheet_name not in workbook.sheet_names:
        raise FileRefused(f"Het tabblad '{sheet_name}' ontbreekt in de werkmap (die heeft "
                          f"{len(workbook.sheet_names)} ander(e) tabblad(en)).")
    try:
        rows = list(workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False))
    except Exception as err:  # noqa: BLE001 - a damaged sheet (e.g. a corrupt deflate stream) is the partner's file
        raise FileRefused(
            f"Het tabblad '{sheet_name}' is beschadigd en kan niet gelezen worden. Sla de werkmap opnieuw op als "
            f"Excel-werkmap en lever het opnieuw aan. (Technische melding: {type(err).__name__})") from None
    while rows and all(_cell_text(v) is None for v in rows[-1]):
        rows.pop()
    if not rows:
        raise FileRefused(f"Het tabblad '{sheet_name}' is leeg.")
    header = [str(v) if v is not None else "" for v in rows[0]]
    mapped, notes = _map_header(header, contract)
    body = rows[1:]
    lines = list(range(2, len(body) + 2))
    if contract.xlsx.total_row_prefix and body:
        first = _cell_text(body[-1][0]) or ""
        if first.startswith(contract.xlsx.total_row_prefix):
            body, lines = body[:-1], lines[:-1]  # the export's totals row is not data
    kept = [(r, line) for r, line in zip(body, lines) if any(_cell_text(v) is not None for v in r)]
    if not kept:
        raise FileRefused("Het bestand bevat alleen een kopregel en geen gegevens.")
    found = {name: pa.array([_cell_text(r[position]) if position < len(r) else None for r, _ in kept],
                            type=pa.string())
             for position, name in enumerate(mapped)
             if name is not None and contract.column(name).personal != "never_store"}
    lines = np.asarray([line for _, line in kept], dtype=np.int64)
    return RawTable(_table(contract, found, len(kept)), lines, "xlsx", len(kept), {}, notes)


def read_json(contract: Contract, data: bytes) -> tuple[RawTable, dict]:
    """Returns the records as a table (record numbers from 1) and the file's top-level fields."""
    import json

    options = contract.json_options
    if not data.strip():
        raise FileRefused("Het bestand is leeg.")
    try:
        # Whole numbers stay the text they were (every value becomes text here anyway): a number
        # of thousands of digits is then a value that fails its column's rules, not a crash.
        document = json.loads(data.decode("utf-8-sig"), parse_int=str)
    except UnicodeDecodeError:
        raise FileRefused("Het bestand is niet in UTF-8 opgeslagen; JSON moet UTF-8 zijn.") from None
    except json.JSONDecodeError as err:
        raise FileRefused(f"Het bestand is geen geldige JSON: {err.msg} op regel {err.lineno}, "
                          f"kolom {err.colno}.") from None
    except RecursionError:
        # The parser's depth is bounded by the interpreter's recursion limit (about a thousand
        # levels); a delivery needs three.
        raise FileRefused("Het bestand is dieper genest dan toegestaan (lijsten of objecten in elkaar); "
                          f"verwacht één object met de lijst '{options.records}' van records met enkelvoudige "
                          "waarden.") from None
    if not isinstance(document, dict):
        raise FileRefused("Het bestand moet één JSON-object bevatten (met onder meer "
                          f"'{options.records}'), geen lijst of losse waarde.")
    records = document.get(options.records)
    if not isinstance(records, list):
        raise FileRefused(f"Het veld '{options.records}' ontbreekt of is geen lijst.")
    if not records:
        raise FileRefused(f"De lijst '{options.records}' is leeg: het bestand bevat geen gegevens.")
    unreadable: dict[int, str] = {}
    values: dict[str, list] = {c.name: [] for c in contract.columns}
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            unreadable[i] = f"record {i} is geen JSON-object"
        for c in contract.columns:
            v = record.get(c.name) if isinstance(record, dict) else None
            if isinstance(v, (dict, list)):
                unreadable[i] = f"record {i}: {c.name} bevat een lijst of object; verwacht een enkele waarde"
                v = None
            values[c.name].append(None if v is None or v == "" else (
                repr(v) if isinstance(v, float) else str(v)))
    keep = [i for i in range(len(records)) if (i + 1) not in unreadable]
    frame = _table(contract, {c.name: pa.array([values[c.name][i] for i in keep], type=pa.string())
                              for c in contract.columns}, len(keep))
    header = {k: v for k, v in document.items() if k != options.records}
    table = RawTable(frame, np.asarray([i + 1 for i in keep], dtype=np.int64), "utf-8", len(records),
                     unreadable, [], unit="record")
    return table, header


def read_delivery(contract: Contract, data: bytes, file_name: str,
                  on_identifiers: Identifiers | None = None) -> tuple[RawTable, dict]:
    """Read any delivery of this feed; returns the table and file-level fields (JSON only)."""
    kind = contract.format
    if kind == "csv_or_xlsx":
        kind = "xlsx" if file_name.lower().endswith(".xlsx") else "csv"
    if kind == "xlsx":
        check_workbook(data)
        return sandbox.run_limited(read_xlsx, contract, data), {}
    if kind == "json":
        return sandbox.run_limited(read_json, contract, data)
    return read_csv(contract, data, on_identifiers), {}
