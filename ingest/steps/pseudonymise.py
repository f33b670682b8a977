"""Step 4, pseudonymise: what may be stored of a person. Identifiers become keyed HMAC pseudonyms,
ages become age bands, and *never store* columns are left out.

Hashing runs in a worker process alongside reading, validating and writing: the reader hands
over each identifier column as soon as it is parsed (`Hasher.early`), the rest start right after
reading (`start`), the write step takes the pseudonyms chunk by chunk as they come, and the rows
validation rejected get theirs at the end (`keep_rejected`)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contracts import AGE_BANDS, AGE_UNKNOWN
from ingest.delivery import Delivery
from ingest.errors import RejectedRow
from ingest.pseudonymise import PendingPseudonyms, Pseudonymiser
from ingest.readers import Identifiers


class Hasher:
    """Starts pseudonymising a column with the platform's key (in a worker for a large one)."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._pseudonymiser = Pseudonymiser(key)

    def start(self, values: pa.Array | pa.ChunkedArray | list[Any]) -> PendingPseudonyms:
        return PendingPseudonyms(self._pseudonymiser, self._key, values)

    def early(self, delivery: Delivery) -> Identifiers:
        """The reader's callback: an identifier column starts hashing as soon as it is parsed."""

        def hash_column(column: str, values: pa.Array) -> None:
            delivery.pseudonyms[column] = self.start(values)

        return hash_column


def start(delivery: Delivery, hasher: Hasher) -> None:
    """The identifier columns the reader did not hand over early (all but CSV's) start hashing."""
    frame = delivery.raw.frame
    for c in delivery.known_contract.columns:
        if c.personal == "pseudonymise" and c.name not in delivery.pseudonyms:
            values = frame[c.name]
            if pa.types.is_dictionary(values.type):
                values = values.cast(pa.string())
            delivery.pseudonyms[c.name] = hasher.start(values)


def age_bands(ages: list) -> np.ndarray:
    """Each age's band; anything that is not a number (empty, unparseable) is "onbekend"."""
    values = np.array([_number(a) for a in ages], dtype=float)
    out = np.full(len(values), AGE_UNKNOWN, dtype=object)
    for label, low, high in AGE_BANDS:
        out[(values >= low) & (values <= high)] = label
    return out


def _number(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip()) if value is not None else np.nan
    except ValueError:
        return np.nan


def keep_rejected(delivery: Delivery) -> None:
    """The rejected rows as they may be kept in audit.rejected_rows: pseudonymised, banded,
    never-store fields absent; unreadable lines with their reason only. Waits for the hashing
    workers, so that a worker's failure fails the load."""
    rejections = delivery.rejections
    positions = rejections.positions
    pseudonyms = {name: np.asarray(p.result(), dtype=object)  # only rejected rows need them here
                  for name, p in delivery.pseudonyms.items()} if positions else {}
    for pending in delivery.pseudonyms.values():
        pending.wait()
    lines = delivery.raw.line_numbers
    records = _stored_records(delivery, positions, pseudonyms)
    rejections.rows = [RejectedRow(int(lines[p]), rejections.by_position[p], record)
                       for p, record in zip(positions, records)]
    rejections.rows += [RejectedRow(line, [reason], {}) for line, reason in delivery.raw.unreadable.items()]


def _stored_records(delivery: Delivery, positions: list[int],
                    pseudonyms: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    if not positions:
        return []
    idx = np.asarray(positions, dtype=np.int64)
    frame = delivery.raw.frame
    columns: dict[str, list[Any]] = {}
    for c in delivery.known_contract.stored_columns:
        if c.personal == "pseudonymise":
            values = pseudonyms[c.name][idx].tolist()
        else:
            values = pc.take(frame[c.name], pa.array(idx)).cast(pa.string()).to_pylist()
            if c.personal == "age_band":
                values = age_bands(values).tolist()
        columns[c.stored_name] = values
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())]
