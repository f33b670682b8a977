"""`infopositie report`: one self-contained Dutch HTML file (or its A4 PDF) per area and quarter:
the local information picture of a gemeente for its driehoek (doel 1 of the year plan), the
district picture for the district werkgroep, and the unit-wide cyber picture for the stuurgroep."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dashboards.report import charts
from dashboards.report.data import ReportData, load_area, resolve
from dashboards.sharing import Sharing
from dashboards.spec import load_sharing

TEMPLATES = Path(__file__).parent / "templates"
# The significance level of reporting.lokale_fenomenen_kwartaal (dbt var fenomenen_alfa), for the
# reader's explanation; tests/dashboards/test_report.py keeps the two equal.
FENOMENEN_ALFA = Decimal("0.01")
NIVEAU = {"gemeente": "Gemeente", "basisteam": "Basisteam", "district": "District", "regio": "Regio"}
# Title, audience line and file name per kind of document.
TITEL = {"gemeente": "Lokaal informatiebeeld online criminaliteit — {naam}, {kwartaal}",
         "district": "Districtsbeeld online criminaliteit — district {naam}, {kwartaal}",
         "regio": "Cyberbeeld {naam}, {kwartaal}"}
ONDERDELEN = {"district": "De gemeenten van het district naast elkaar", "regio": "De districten naast elkaar"}


def _getal(value: Decimal | float | None, decimalen: int = 2) -> str:
    if value is None:
        return "–"
    return f"{float(value):,.{decimalen}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _procent(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + _getal(value, 1) + "%"


def _aantal(value: int | None) -> str:
    """A count that may be shown (never 1..4: the relation guarantees it), or a dash."""
    return "–" if value is None else _getal(value, 0)


def _weergave(value: str) -> str:
    """The published label: digits get thousands separators, '<5' and 'x' stay as they are."""
    return _getal(int(value), 0) if value.isdigit() else value


def _observaties(data: ReportData) -> list[str]:
    """A few plain statements the driehoek can start from; only where both figures are shown."""
    kern = {c.niveau: c for c in data.kerncijfers}
    gm = kern.get(data.niveau)
    refs = [kern[n] for n in ("district", "regio") if n in kern and n != data.niveau]
    notes = []
    if gm and gm.aantal is None:
        notes.append(f"Het aantal registraties in {data.gebied.naam} is dit kwartaal klein ({gm.weergave}) "
                     "en wordt daarom niet precies getoond.")
    for ref in refs:
        if gm and ref and gm.per_10000 is not None and ref.per_10000 is not None and ref.per_10000 > 0:
            ratio = float(gm.per_10000) / float(ref.per_10000)
            richting = "hoger dan" if ratio > 1.1 else "lager dan" if ratio < 0.9 else "vergelijkbaar met"
            notes.append(f"Per 10.000 inwoners ligt {data.gebied.naam} ({_getal(gm.per_10000)}) "
                         f"{richting} {ref.gebied_naam} ({_getal(ref.per_10000)}).")
    if gm and gm.verandering_pct is not None:
        richting = "meer" if gm.verandering_pct > 0 else "minder"
        notes.append(f"Ten opzichte van hetzelfde kwartaal vorig jaar zijn er {_getal(abs(gm.verandering_pct), 1)}% "
                     f"{richting} registraties ({_aantal(gm.vorig_jaar)} → {_weergave(gm.weergave)}).")
    for key, _, cells, _ in data.uitsplitsingen:
        if key == "modus":
            shown = [c for c in cells if c.aantal]
            if shown:
                notes.append(f"De meest geregistreerde modus is {shown[0].waarde} ({shown[0].weergave}).")
    return notes


def render_report(url: str, *, gemeente: str, kwartaal: str, out_dir: Path, publish: bool = False,
                  fmt: str = "html") -> Path:
    """The document of one gemeente (`fmt` html, or pdf: the same HTML printed to A4 by
    Chromium); with `publish`, also record that it was handed to the driehoek. Returns the file."""
    return render_area(url, niveau="gemeente", gebied=gemeente, kwartaal=kwartaal, out_dir=out_dir,
                       publish=publish, fmt=fmt)


def document_role(niveau: str, naam: str) -> str:
    """The role a document reads as: a district document as its werkgroep's own role (the naming
    rule of warehouse/migrations/V007), the others as the region's."""
    if niveau == "district":
        from dashboards.audiences import slug

        return f"reporter_district_{slug(naam)}"
    return "reporter_regio"


def render_area(url: str, *, niveau: str, gebied: str | None, kwartaal: str, out_dir: Path,
                publish: bool = False, fmt: str = "html", sharing: Sharing | None = None) -> Path:
    """The document of a gemeente, a district (`gebied` its name) or the region (`gebied` None),
    honouring the sharing preferences (default: dashboards/specs/deling.yaml)."""
    if fmt not in ("html", "pdf"):
        raise ValueError(f"format {fmt!r}: html of pdf")
    # A district document reads as the district's role: row-level security then guarantees it
    # holds nothing of another district's gemeenten.
    role = document_role(niveau, resolve(url, niveau=niveau, gebied=gebied).naam)
    data = load_area(url, niveau=niveau, gebied=gebied, kwartaal=kwartaal, role=role)
    sharing = sharing if sharing is not None else load_sharing()
    niet_gedeeld = sharing.withheld_for_level("gemeenten_naast_elkaar", niveau) if niveau == "district" else frozenset()
    weggelaten = [c.gebied_naam for c in data.onderdelen if c.gebied_code in niet_gedeeld]
    data.onderdelen = [c for c in data.onderdelen if c.gebied_code not in niet_gedeeld]
    # A gemeente may keep its local phenomena out of the district and regional documents; its own
    # document always has them (the driehoek's own picture).
    fenomenen_niet_gedeeld = (sharing.withheld_for_level("lokale_fenomenen", niveau)
                              if niveau != "gemeente" else frozenset())
    fenomenen_weggelaten = sorted({f.gemeente for f in data.fenomenen if f.gemeentecode in fenomenen_niet_gedeeld})
    data.fenomenen = [f for f in data.fenomenen if f.gemeentecode not in fenomenen_niet_gedeeld]
    own_trend = data.trend.get(niveau, [])
    figures = []
    if own_trend:
        uri, alt = charts.registraties_per_kwartaal(own_trend, data.gebied.naam)
        figures.append({"uri": uri, "alt": alt, "caption": (
            "Aantal registraties per kwartaal. Een kwartaal met '<5' of 'x' heeft geen staaf: "
            "het aantal is verborgen, niet nul.")})
    if data.trend:
        uri, alt = charts.per_10000_vergelijking(data.trend)
        figures.append({"uri": uri, "alt": alt, "caption": {
            "gemeente": "Registraties per 10.000 inwoners in de gemeente, haar district en de regio.",
            "district": "Registraties per 10.000 inwoners in het district en de regio.",
            "regio": "Registraties per 10.000 inwoners in de regio."}[niveau]
            + " Een onderbroken lijn betekent een verborgen aantal."})
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(getal=_getal, procent=_procent, aantal=_aantal, weergave=_weergave)
    title = TITEL[niveau].format(naam=data.gebied.naam, kwartaal=data.kwartaal)
    html = env.get_template("lokaal_beeld.html.j2").render(
        data=data, figures=figures, observaties=_observaties(data), niveau=NIVEAU,
        gemaakt_op=date.today().strftime("%d-%m-%Y"), title=title, role=role,
        onderdelen_titel=ONDERDELEN.get(niveau, ""), weggelaten=weggelaten, alfa=FENOMENEN_ALFA,
        fenomenen_weggelaten=fenomenen_weggelaten,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    name = {"gemeente": f"lokaal_beeld_{data.gebied.code}",
            "district": f"districtsbeeld_{_file_slug(data.gebied.naam)}",
            "regio": f"cyberbeeld_{_file_slug(data.gebied.naam)}"}[niveau]
    path = out_dir / f"{name}_{data.kwartaal}.html"
    path.write_text(html, encoding="utf-8")
    if fmt == "pdf":
        from dashboards.report.pdf import html_to_pdf

        path = html_to_pdf(path, path.with_suffix(".pdf"), title=title)
    if publish and niveau == "gemeente" and data.basisteam is not None:
        from dashboards.report.publish import record_publication

        record_publication(url, document=path, gemeentecode=data.gebied.code,
                           basisteam_code=data.basisteam.code, kwartaal=data.kwartaal)
    return path


def _file_slug(naam: str) -> str:
    from dashboards.audiences import slug

    return slug(naam).strip("_")
