"""Why a whole file, or one of its rows, is refused. Messages are Dutch: partners read them in
their report."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class RejectedRow(NamedTuple):
    """A row that failed validation, as kept in audit.rejected_rows."""

    line: int                  # line (or record) number in the original file
    reasons: list[str]
    record: dict[str, Any]     # the row as it may be stored (pseudonymised); empty if unreadable


@dataclass(eq=False)  # an exception compares and hashes by identity
class FileRefused(Exception):
    """The file cannot be processed at all; it goes to quarantine whole.

    Only `reason` is always known. A refusal after the rows were read (more rejected rows than the
    feed tolerates) also carries those rows, so the quarantine report can list them."""

    reason: str
    rows_received: int = field(default=0, kw_only=True)
    rejected_rows: list[RejectedRow] = field(default_factory=list, kw_only=True)
    row_summary: list[str] = field(default_factory=list, kw_only=True)

    def __post_init__(self) -> None:
        super().__init__(self.reason)
