"""`infopositie report`: the local information picture of one gemeente for one quarter, as one
self-contained Dutch HTML file for the driehoek (doel 1 of the year plan)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dashboards.report import charts
from dashboards.report.data import ReportData, load

TEMPLATES = Path(__file__).parent / "templates"
NIVEAU = {"gemeente": "Gemeente", "basisteam": "Basisteam", "district": "District", "regio": "Regio"}


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
    gm, regio, district = kern.get("gemeente"), kern.get("regio"), kern.get("district")
    notes = []
    if gm and gm.aantal is None:
        notes.append(f"Het aantal registraties in {data.gemeente.naam} is dit kwartaal klein ({gm.weergave}) "
                     "en wordt daarom niet precies getoond.")
    for ref in (district, regio):
        if gm and ref and gm.per_10000 is not None and ref.per_10000 is not None and ref.per_10000 > 0:
            ratio = float(gm.per_10000) / float(ref.per_10000)
            richting = "hoger dan" if ratio > 1.1 else "lager dan" if ratio < 0.9 else "vergelijkbaar met"
            notes.append(f"Per 10.000 inwoners ligt {data.gemeente.naam} ({_getal(gm.per_10000)}) "
                         f"{richting} {ref.gebied_naam} ({_getal(ref.per_10000)}).")
    if gm and gm.verandering_pct is not None:
        richting = "meer" if gm.verandering_pct > 0 else "minder"
        notes.append(f"Ten opzichte van hetzelfde kwartaal vorig jaar zijn er {_getal(abs(gm.verandering_pct), 1)}% "
                     f"{richting} registraties ({_aantal(gm.vorig_jaar)} → {gm.weergave}).")
    for key, _, cells, _ in data.uitsplitsingen:
        if key == "modus":
            shown = [c for c in cells if c.aantal]
            if shown:
                notes.append(f"De meest geregistreerde modus is {shown[0].waarde} ({shown[0].weergave}).")
    return notes


def render_report(url: str, *, gemeente: str, kwartaal: str, out_dir: Path, publish: bool = False,
                  fmt: str = "html") -> Path:
    """Render the document (`fmt` html, or pdf: the same HTML printed to A4 by Chromium); with
    `publish`, also record that it was handed to the driehoek. Returns the file written."""
    if fmt not in ("html", "pdf"):
        raise ValueError(f"format {fmt!r}: html of pdf")
    data = load(url, gemeente=gemeente, kwartaal=kwartaal)
    gemeente_trend = data.trend.get("gemeente", [])
    figures = []
    if gemeente_trend:
        uri, alt = charts.registraties_per_kwartaal(gemeente_trend, data.gemeente.naam)
        figures.append({"uri": uri, "alt": alt, "caption": (
            "Aantal registraties per kwartaal. Een kwartaal met '<5' of 'x' heeft geen staaf: "
            "het aantal is verborgen, niet nul.")})
    if data.trend:
        uri, alt = charts.per_10000_vergelijking(data.trend)
        figures.append({"uri": uri, "alt": alt, "caption": (
            "Registraties per 10.000 inwoners in de gemeente, haar district en de regio. Een onderbroken "
            "lijn betekent een verborgen aantal.")})
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(getal=_getal, procent=_procent, aantal=_aantal, weergave=_weergave)
    html = env.get_template("lokaal_beeld.html.j2").render(
        data=data, figures=figures, observaties=_observaties(data), niveau=NIVEAU,
        gemaakt_op=date.today().strftime("%d-%m-%Y"),
        title=f"Lokaal informatiebeeld online criminaliteit — {data.gemeente.naam}, {data.kwartaal}",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"lokaal_beeld_{data.gemeente.code}_{data.kwartaal}.html"
    path.write_text(html, encoding="utf-8")
    if fmt == "pdf":
        from dashboards.report.pdf import html_to_pdf

        title = f"Lokaal informatiebeeld online criminaliteit — {data.gemeente.naam}, {data.kwartaal}"
        path = html_to_pdf(path, path.with_suffix(".pdf"), title=title)
    if publish and data.basisteam is not None:
        from dashboards.report.publish import record_publication

        record_publication(url, document=path, gemeentecode=data.gemeente.code,
                           basisteam_code=data.basisteam.code, kwartaal=data.kwartaal)
    return path

