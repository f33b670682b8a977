"""A delivery on its way through the ingest: the one value every step takes and adds to, and the
result the caller gets back."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from ingest.contracts import Contract
from ingest.errors import FileRefused, RejectedRow
from ingest.normalize import Normalized, Reference
from ingest.pseudonymise import PendingPseudonyms
from ingest.readers import RawTable

UNKNOWN_FEED = "onbekend"


@dataclass
class Rejections:
    """The rows validation rejected."""

    by_position: dict[int, list[str]]  # row of the parsed table -> Dutch reasons
    by_line: dict[int, list[str]]      # line (or record) of the file -> reasons; unreadable lines included
    summary: list[str]                 # the reasons grouped, as the partner reads them
    rows: list[RejectedRow] = field(default_factory=list)  # as kept, pseudonymised (step pseudonymise)

    @property
    def positions(self) -> list[int]:
        return sorted(self.by_position)


@dataclass(eq=False)
class Delivery:
    """One file, from its arrival in the landing zone to its outcome.

    The first fields are known on arrival (step receive). The others are filled in by the step
    named beside them, in the order of ingest/pipeline.py; reading one before its step has run
    raises AttributeError rather than handing on an empty value."""

    key: str
    data: bytes = field(repr=False)
    sha256: str | None                 # None: not read (larger than the feed allows)
    contract: Contract | None          # None: the file lies in no feed's folder
    folder: str | None                 # the partner folder it was delivered in
    delivery_id: int
    received_at: datetime
    period: str | None = None                                                # read
    raw: RawTable = field(init=False, repr=False)                            # read
    pseudonyms: dict[str, PendingPseudonyms] = field(default_factory=dict, repr=False)  # read, pseudonymise
    reference: Reference = field(init=False, repr=False)                     # type
    typed: Normalized = field(init=False, repr=False)                        # type
    rejections: Rejections = field(init=False, repr=False)                   # validate

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.key).name

    @property
    def feed(self) -> str:
        return self.contract.feed if self.contract else UNKNOWN_FEED

    @property
    def known_contract(self) -> Contract:
        """The feed contract; a file outside every feed's folder cannot go further than this."""
        if self.contract is None:
            raise FileRefused("Dit bestand staat niet onder een bekende map (prefix) van een gegevensstroom; "
                              "het kan niet worden toegewezen.")
        return self.contract

    @property
    def rows_received(self) -> int:
        return self.raw.rows_received

    @property
    def rows_rejected(self) -> int:
        return len(self.rejections.by_line)

    @property
    def rows_loaded(self) -> int:
        return len(self.raw.frame) - len(self.rejections.by_position)

    @property
    def reasons(self) -> list[str]:
        """Why a loaded file was not loaded whole, or how it was read: the report's reasons."""
        return self.raw.notes + self.rejections.summary


@dataclass
class DeliveryResult:
    delivery_id: int
    file: str
    feed: str
    status: str
    rows_received: int
    rows_loaded: int
    rows_rejected: int
    reasons: list[str] = field(default_factory=list)
    period: str | None = None
    stored_key: str | None = None
    report_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "file": self.file, "feed": self.feed, "status": self.status,
                "rows_received": self.rows_received, "rows_loaded": self.rows_loaded,
                "rows_rejected": self.rows_rejected, "reasons": self.reasons, "period": self.period}

    def summary_line(self) -> str:
        text = (f"{self.status:<11} {self.file}  ontvangen {self.rows_received}, geladen {self.rows_loaded}, "
                f"afgekeurd {self.rows_rejected}")
        return text + (f"\n            {self.reasons[0]}" if self.reasons and self.status != "loaded" else "")
