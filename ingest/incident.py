"""An internal error while processing a file: the partner hears that the platform could not
process it and an incident number; the engineers' log gets the technical detail under the same
number. Neither quotes the file: exception messages (a failed COPY names the row it was sending,
a parser the text it choked on) are withheld, the stack and the exception types are kept."""
from __future__ import annotations

import logging
import secrets
import traceback

import psycopg

from ingest import audit
from ingest.errors import FileRefused

log = logging.getLogger("infopositie.ingest")


def redacted_traceback(err: BaseException) -> str:
    """Where it went wrong (frames and exception types, cause chain included), without messages."""
    chain = []
    current: BaseException | None = err
    while current is not None:
        frames = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        chain.append(f"{frames}{type(current).__module__}.{type(current).__qualname__} (message withheld)\n")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "Traceback (most recent call last):\n" + "\nwhich followed:\n".join(reversed(chain))


def internal_error(conn: psycopg.Connection | None, delivery_id: int | None, key: str,
                   err: BaseException) -> FileRefused:
    """Log the error under a new incident number (and note it in audit.events when the
    connection still works); returns the refusal the partner reads."""
    incident = f"INC-{delivery_id or 0}-{secrets.token_hex(3).upper()}"
    log.error("incident %s: delivery %s (%s) could not be processed: %s\n%s", incident, delivery_id, key,
              type(err).__qualname__, redacted_traceback(err))
    if conn is not None and delivery_id is not None:
        try:
            audit.event(conn, delivery_id, "internal_error", {"incident": incident, "error": type(err).__qualname__})
        except psycopg.Error:
            log.warning("incident %s: not noted in audit.events (the connection failed too)", incident)
    return FileRefused(
        "Het platform kon dit bestand door een storing aan onze kant niet verwerken; er is niets uit geladen. "
        f"Het team Infopositie onderzoekt de storing onder incidentnummer {incident}. Noem dat nummer als u "
        "contact opneemt; opnieuw aanleveren is pas nodig als wij daarom vragen.")
