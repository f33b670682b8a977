"""Why a whole file is refused. Messages are Dutch: partners read them in their report."""
from __future__ import annotations


class FileRefused(Exception):
    """The file cannot be processed at all; it goes to quarantine whole."""

    def __init__(self, reason: str, *, rows_received: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rows_received = rows_received
