"""The partner page of each feed (Dutch), generated from the contract: what to deliver, where,
in which form, and what every refusal reason means. Regenerate with `infopositie contracts render`."""
from __future__ import annotations

from pathlib import Path

import config
from ingest.contracts import AGE_BANDS, Column, Contract, all_contracts

DOCS_DIR = config.DOCS_DIR / "feeds"

TYPE_NL = {
    "text": "tekst", "date": "datum (dd-mm-jjjj of jjjj-mm-dd)", "integer": "geheel getal",
    "decimal": "bedrag met decimale komma (1.234,56)", "number": "getal met decimale punt", "enum": "vaste waarde",
    "gemeente": "gemeentecode (GM0344, 0344 of 344)", "wijk": "CBS-wijkcode (WK + 6 cijfers)", "ja_nee": "ja of nee",
    "gemeente_list": "gemeentecodes, gescheiden door komma's", "timestamp": "tijdstip", "region": "regiocode",
    "period_month": "periode JJJJ-MM",
}
CADENCE_NL = {"monthly": "maandelijks", "quarterly": "per kwartaal", "yearly": "jaarlijks", "any": "op elk moment"}


def _rules(c: Column) -> list[str]:
    out = []
    if c.required:
        out.append("verplicht")
    if c.unique:
        out.append("uniek binnen het bestand")
    if c.corrected_across_periods:
        out.append("staat het nummer al in de levering van een eerdere maand, dan geldt deze regel als "
                   "correctie (de nieuwste levering telt)")
    if c.values:
        out.append("een van: " + ", ".join(f"`{v}`" for v in c.values))
    if c.min is not None and c.max is not None:
        out.append(f"tussen {c.min:g} en {c.max:g}")
    elif c.min is not None:
        out.append(f"minimaal {c.min:g}")
    if c.pattern:
        out.append(f"vorm `{c.pattern}`")
    if c.in_period:
        out.append("valt in de periode van de bestandsnaam")
    if c.not_after:
        out.append(f"niet na `{c.not_after}`")
    if c.not_before:
        out.append(f"niet voor `{c.not_before}`")
    if c.within_gemeente:
        out.append(f"ligt in `{c.within_gemeente}`")
    if c.personal == "pseudonymise":
        out.append("**wordt gepseudonimiseerd** (vervangen door een versleutelde code)")
    if c.personal == "age_band":
        out.append("**alleen de leeftijdsklasse wordt bewaard** (" + ", ".join(b[0] for b in AGE_BANDS) + ", onbekend)")
    if c.personal == "never_store":
        out.append("**wordt nooit opgeslagen**")
    return out


def render_partner_page(contract: Contract) -> str:
    lines = [
        f"<!-- Gegenereerd uit ingest/contracts/{contract.feed}.yaml door `infopositie contracts render`."
        " Niet met de hand bewerken. -->",
        f"# {contract.title} (`{contract.feed}`)",
        "",
        contract.description,
        "",
        "## Wat en waar",
        f"- Leverancier: {contract.partner}",
        "- Map in de leveromgeving: " + " of ".join(
            f"`{p.replace('{partner}', '<GMxxxx>' if contract.partner_code == 'gemeente' else '<uw partnercode>')}`"
            for p in contract.prefixes) + " (u kunt alleen in uw eigen map schrijven)",
        f"- Frequentie: {CADENCE_NL[contract.cadence]}",
        f"- Bestandsnaam: `{contract.file_name_human}`",
        f"- Formaat: {contract.format.upper()}" + (
            f", scheidingsteken `{contract.csv.delimiter}`, kopregel op regel 1 (kolomnamen niet hoofdlettergevoelig,"
            " volgorde vrij), UTF-8 (met of zonder BOM) of Windows-1252" if contract.format == "csv" else ""),
        f"- Maximale bestandsgrootte: {contract.max_file_mb} MB (een groter bestand wordt niet gelezen maar"
        " geweigerd)",
        f"- Bewaartermijn in het platform: {contract.retention_years} jaar na het einde van de periode van de"
        " levering; daarna worden de regels verwijderd",
        f"- Uw originele bestand: versleuteld bewaard, {contract.archive_days} dagen na ontvangst verwijderd",
        "",
        "## Kolommen",
        "| kolom | soort | regels | betekenis |",
        "|---|---|---|---|",
    ]
    for c in contract.columns:
        lines.append(f"| `{c.name}` | {TYPE_NL[c.type]} | {'; '.join(_rules(c)) or '-'} | {c.description} |")
    lines += [
        "",
        "## Wanneer wordt een bestand of regel geweigerd?",
        "Elke levering krijgt een leveringsrapport met de uitkomst. Het originele bestand wordt altijd"
        " versleuteld bewaard (ook een geweigerd bestand), zodat het na een correctie aan onze kant opnieuw"
        " verwerkt kan worden; er gaat niets verloren zolang het bewaard wordt.",
        "",
        "**Het hele bestand wordt geweigerd (quarantaine)** als:",
        "- het bestand leeg is, alleen een kopregel heeft, of geen tekstbestand is (bijvoorbeeld een Excel-bestand"
        " waar CSV is afgesproken);",
        "- het tekens bevat die niet als UTF-8 of Windows-1252 te lezen zijn;",
        "- het niet het afgesproken scheidingsteken gebruikt, of een verplichte kolom ontbreekt"
        " (het rapport noemt de kolom), of een kolom twee keer voorkomt;",
        "- de bestandsnaam niet aan het patroon voldoet;",
        f"- het groter is dan {contract.max_file_mb} MB, of bij het lezen meer geheugen of tijd vraagt dan voor"
        " één levering is toegestaan (bijvoorbeeld een Excel-werkmap die uitgepakt vele malen groter is, of een"
        " tabblad dat tot ver buiten de gegevens reikt, of JSON die dieper genest is dan afgesproken);",
        f"- meer dan {contract.tolerance:.0%} van de regels is afgekeurd: een gedeeltelijke levering zou de"
        " cijfers ongemerkt te laag maken.",
        "",
        "**Een regel wordt afgekeurd** (de rest wordt geladen) als een waarde niet aan de regels in de tabel"
        " voldoet. Het rapport noemt per regel het regelnummer (de kopregel is regel 1), de kolom en de reden,"
        " bijvoorbeeld:",
        "- `verplicht veld is leeg`: een verplichte kolom heeft geen waarde;",
        "- `geen toegestane waarde`: de waarde staat niet in de lijst van vaste waarden;",
        "- `onbekende gemeentecode`: de code is geen gemeente van politie-eenheid Midden-Nederland"
        " (codes van opgeheven gemeenten worden automatisch omgezet naar de huidige gemeente);",
        "- `geen geldige datum`, `geen geheel getal`, `geen geldig getal`: de waarde heeft niet de"
        " afgesproken vorm;",
        "- `valt niet in de periode van het bestand`, `ligt na ...`: de datum klopt niet met de bestandsnaam of"
        " met een andere datum;",
        "- `een waarde die meer dan eens voorkomt in het bestand`: een nummer dat uniek moet zijn, staat er vaker in"
        " (alle regels met dat nummer worden afgekeurd).",
        "Een rapport herhaalt nooit een waarde uit het bestand (ook geen kolomnaam die niet in de afspraak"
        " staat): het noemt de kolom, het regelnummer en de regel. Zoek de waarde zelf op in uw bestand.",
        "",
        "## Opnieuw leveren",
        "- Hetzelfde bestand (byte voor byte gelijk) nogmaals leveren heeft geen effect: het wordt herkend.",
        "- Een gecorrigeerd bestand voor een periode die al geleverd is, vervangt de eerdere levering;"
        " de eerdere versie blijft in de historie bewaard.",
        "",
    ]
    return "\n".join(lines)


def write_all() -> list[Path]:
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for contract in all_contracts():
        path = DOCS_DIR / f"{contract.feed}.md"
        path.write_text(render_partner_page(contract), encoding="utf-8")
        written.append(path)
    return written
