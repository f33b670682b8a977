"""Step 2, read: the period the file's name gives, its rows as trimmed strings, and the
file-level fields of a JSON delivery. Anything wrong with the file's form refuses it whole."""
from __future__ import annotations

from typing import Any

from ingest.contracts import Contract
from ingest.delivery import Delivery
from ingest.errors import FileRefused
from ingest.readers import Identifiers, read_delivery


def read(delivery: Delivery, on_identifiers: Identifiers) -> None:
    """`on_identifiers` gets each column to pseudonymise as soon as it is parsed (step
    pseudonymise starts hashing it while the rest of the file is read)."""
    contract = delivery.known_contract
    delivery.period = period_of(contract, delivery.file_name)
    delivery.raw, header = read_delivery(contract, delivery.data, delivery.file_name, on_identifiers)
    check_file_fields(contract, header, delivery.folder, delivery.period)


def period_of(contract: Contract, file_name: str) -> str | None:
    match = contract.match_file_name(file_name)
    if not match:
        raise FileRefused(f"De bestandsnaam '{file_name}' voldoet niet aan de afspraak: verwacht "
                          f"{contract.file_name_human}.")
    if contract.period == "none" or "period" not in match.groupdict():
        return None
    raw = match.group("period").upper()
    if contract.period == "month":
        if not (1 <= int(raw[4:6]) <= 12):
            raise FileRefused(f"De bestandsnaam '{file_name}' bevat geen geldige maand ({raw}).")
        return f"{raw[:4]}-{raw[4:6]}"
    if contract.period == "quarter":
        return f"{raw[:4]}-{raw[4:]}"
    return f"{raw[:4]}-{raw[4:6]}-{raw[6:8]}"


def check_file_fields(contract: Contract, header: dict[str, Any], folder: str | None, period: str | None) -> None:
    """File-level fields of a JSON delivery: it must come from the partner's own folder and
    cover the period its name says."""
    options = contract.json_options
    if options is None:
        return
    if options.partner_field:
        value = header.get(options.partner_field)
        if value != folder:
            raise FileRefused(
                f"Het veld '{options.partner_field}' in het bestand is niet gelijk aan de partner van de map waarin "
                f"het is geleverd ('{folder}'). Een partner levert alleen in de eigen map.")
    if options.period_field and period:
        value = header.get(options.period_field)
        if value != period:
            raise FileRefused(f"Het veld '{options.period_field}' in het bestand komt niet overeen met de periode in "
                              f"de bestandsnaam ({period}).")
