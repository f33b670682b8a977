"""The delivery report a partner reads (Dutch, plain text so it opens anywhere)."""
from __future__ import annotations

from datetime import datetime

from ingest.contracts import Contract

MAX_LISTED_ROWS = 500
DOCS_PATH = "docs/feeds/{feed}.md"


def _n(value: int | None) -> str:
    return f"{value or 0:,}".replace(",", ".")


def render(*, contract: Contract | None, file_name: str, object_key: str, sha256: str | None, status: str,
           received_at: datetime, rows_received: int | None, rows_loaded: int | None,
           rows_rejected: int | None, reasons: list[str], rejected_rows: list[tuple[int, list[str]]],
           delivery_id: int) -> str:
    outcome = {
        "quarantined": "GEWEIGERD. Het bestand is in quarantaine geplaatst; er is niets uit geladen.",
        "loaded": "GELADEN." + (" Een deel van de regels is afgekeurd (zie hieronder)." if rows_rejected else ""),
    }.get(status, status.upper())
    feed = f"{contract.feed} ({contract.title})" if contract else "onbekend"
    lines = [
        "Leveringsrapport Infopositie",
        "============================",
        f"Bestand:         {file_name}",
        f"Locatie:         {object_key}",
        f"Gegevensstroom:  {feed}",
        f"Leveringsnummer: {delivery_id}",
        f"Ontvangen op:    {received_at:%d-%m-%Y %H:%M} (UTC)",
        f"Controlegetal:   SHA-256 {sha256}" if sha256 else "Controlegetal:   geen (het bestand is niet gelezen)",
        "",
        f"Uitkomst: {outcome}",
        f"Regels: ontvangen {_n(rows_received)}, geladen {_n(rows_loaded)}, afgekeurd {_n(rows_rejected)}.",
        "",
    ]
    if reasons:
        lines += ["Waarom?"] + [f"- {r}" for r in reasons] + [""]
    if rejected_rows:
        shown = rejected_rows[:MAX_LISTED_ROWS]
        lines.append(f"Afgekeurde regels ({len(rejected_rows)}" +
                     (f", de eerste {MAX_LISTED_ROWS} staan hieronder" if len(rejected_rows) > MAX_LISTED_ROWS
                      else "") + "):")
        lines += [f"- regel {line}: {'; '.join(msgs)}" for line, msgs in shown]
        lines.append("")
    lines += ["Wat nu?"]
    if status == "quarantined" and any("incidentnummer" in r for r in reasons):
        # Our fault, not the file's (ingest/incident.py): nothing for the partner to repair.
        lines.append("- U hoeft het bestand niet te herstellen; het team Infopositie onderzoekt de storing (zie het "
                     "incidentnummer hierboven).")
    elif status == "quarantined":
        lines.append("- Herstel het bestand en lever het opnieuw aan onder dezelfde naam en in dezelfde map.")
    elif rows_rejected:
        lines.append("- De goedgekeurde regels zijn geladen. Wilt u de afgekeurde regels alsnog laten meetellen, "
                     "lever dan het hele bestand gecorrigeerd opnieuw aan: een nieuwe levering voor dezelfde "
                     "periode vervangt de vorige.")
    lines.append("- Het originele bestand is ongewijzigd bewaard; er gaat niets verloren.")
    if contract:
        lines.append(f"- De afspraken over dit bestand en de betekenis van elke afkeurreden staan in "
                     f"{DOCS_PATH.format(feed=contract.feed)}.")
    lines += ["- Vragen? Neem contact op met het team Infopositie (Bureau RVS).", ""]
    return "\n".join(lines)
