"""The per-gemeente document, rendered from the real warehouse as reporter_regio."""
from __future__ import annotations

import base64
import html
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import yaml
from typer.testing import CliRunner

from dashboards.report import render_report
from dashboards.report.data import ReportInputError

EXTERNAL = [
    re.compile(r"""\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"<(?:script|link|iframe|object|embed)\b", re.I),
]
COUNT_CELL = re.compile(r'<td class="[^"]*\baantal\b[^"]*"[^>]*>([^<]*)</td>')
EXPOSURES = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "exposures" / "_exposures.yml"
CHART = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"')


def _pick(reporting_url: str) -> tuple[str, str, str, int]:
    """From the data itself: the latest quarter and the gemeente with the most hidden cells in it
    (so the document must show '<5' or 'x'), with its name and hidden-cell count."""
    with psycopg.connect(reporting_url) as conn:
        kwartaal = conn.execute("select max(periode) from reporting.lokaal_beeld_kwartaal").fetchone()[0]
        code, naam, hidden = conn.execute(
            """select gebied_code, gebied_naam, count(*) filter (where aantal is null) as verborgen
               from reporting.lokaal_beeld_kwartaal where niveau = 'gemeente' and periode = %s
               group by 1, 2 order by 3 desc, 1 limit 1""", (kwartaal,)).fetchone()
    return code, naam, kwartaal, hidden


@pytest.fixture(scope="module")
def document(reporting_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str, int]:
    code, naam, kwartaal, hidden = _pick(reporting_url)
    path = render_report(reporting_url, gemeente=code, kwartaal=kwartaal, out_dir=tmp_path_factory.mktemp("rapport"))
    return path, code, naam, kwartaal, hidden


def test_the_document_is_named_and_titled_for_the_gemeente_and_quarter(document) -> None:  # type: ignore[no-untyped-def]
    path, code, naam, kwartaal, _ = document
    assert path.name == f"lokaal_beeld_{code}_{kwartaal}.html"
    text = path.read_text(encoding="utf-8")
    title = f"Lokaal informatiebeeld online criminaliteit — {naam}, {kwartaal}"
    assert f"<title>{html.escape(title)}</title>" in text
    assert f"<h1>{html.escape(title)}</h1>" in text
    assert '<html lang="nl">' in text
    for section in ("Kerncijfers", "Over deze cijfers", "&lt;5", "Midden-Nederland"):
        assert section in text


def test_the_document_is_self_contained(document) -> None:  # type: ignore[no-untyped-def]
    text = document[0].read_text(encoding="utf-8")
    for pattern in EXTERNAL:
        assert not pattern.search(text), pattern.pattern


def test_the_document_has_charts_that_are_real_svg(document) -> None:  # type: ignore[no-untyped-def]
    path, _, naam, _, _ = document
    charts = CHART.findall(path.read_text(encoding="utf-8"))
    assert len(charts) == 2
    for payload, _alt in charts:
        svg = base64.b64decode(payload).decode("utf-8")
        assert "<svg" in svg and "<path" in svg
        assert not re.search(r"""(?:href|src)\s*=\s*["']https?:""", svg)
    assert naam in html.unescape(charts[0][1])


def test_no_count_of_one_to_four_is_ever_shown(document, reporting_url: str) -> None:  # type: ignore[no-untyped-def]
    path, code, _, kwartaal, hidden = document
    text = path.read_text(encoding="utf-8")
    cells = [html.unescape(c).strip() for c in COUNT_CELL.findall(text)]
    assert cells
    for cell in cells:
        assert cell in ("<5", "x", "–") or (cell.replace(".", "").isdigit()
                                            and int(cell.replace(".", "")) not in (1, 2, 3, 4)), cell
    for _, alt in CHART.findall(text):
        for shown in re.findall(r"\d{4}-Q\d: ([^;]+)", html.unescape(alt)):
            assert shown in ("<5", "x") or int(shown) not in (1, 2, 3, 4), alt
    # Every hidden cell of the gemeente in this quarter is in the document as hidden.
    hidden_in_document = len(re.findall(r'class="[^"]*\baantal verborgen"', text))
    assert hidden > 0 and hidden_in_document == hidden


def test_the_document_compares_with_basisteam_district_and_region(document, reporting_url: str) -> None:  # type: ignore[no-untyped-def]
    path, code, naam, kwartaal, _ = document
    with psycopg.connect(reporting_url) as conn:
        basisteam, district = conn.execute(
            "select basisteam_code, district from reporting.lokaal_beeld_kwartaal where gebied_code = %s limit 1",
            (code,)).fetchone()
        rows = conn.execute(
            """select gebied_naam, aantal_weergave from reporting.lokaal_beeld_kwartaal
               where uitsplitsing = 'totaal' and periode = %s
                 and ((niveau = 'gemeente' and gebied_code = %s) or (niveau = 'basisteam' and gebied_code = %s)
                      or (niveau = 'district' and gebied_code = %s) or niveau = 'regio')""",
            (kwartaal, code, basisteam, district)).fetchall()
    text = html.unescape(path.read_text(encoding="utf-8"))
    kern = text.split("Kerncijfers", 1)[1].split("</table>", 1)[0]
    assert len(rows) == 4
    for gebied, weergave in rows:
        shown = f"{int(weergave):,}".replace(",", ".") if weergave.isdigit() else weergave
        assert re.search(rf"<td>{re.escape(gebied)}</td>\s*<td[^>]*>[^<]+</td>"
                         rf"\s*<td[^>]*>{re.escape(shown)}</td>", kern), gebied


def test_the_gemeente_can_be_given_by_name_and_bad_input_is_refused(reporting_url: str, tmp_path: Path) -> None:
    code, naam, kwartaal, _ = _pick(reporting_url)
    by_name = render_report(reporting_url, gemeente=naam.upper(), kwartaal=kwartaal, out_dir=tmp_path)
    assert by_name.name == f"lokaal_beeld_{code}_{kwartaal}.html"
    with pytest.raises(ReportInputError, match="Onbekende gemeente"):
        render_report(reporting_url, gemeente="GM9999", kwartaal=kwartaal, out_dir=tmp_path)
    with pytest.raises(ReportInputError, match="JJJJ-Qn"):
        render_report(reporting_url, gemeente=code, kwartaal="2026-05", out_dir=tmp_path)
    with pytest.raises(ReportInputError, match="Geen cijfers"):
        render_report(reporting_url, gemeente=code, kwartaal="1999-Q1", out_dir=tmp_path)


def test_the_cli_command_writes_the_document(reporting_url: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from infopositie.cli import app

    code, naam, kwartaal, _ = _pick(reporting_url)
    monkeypatch.setenv("WAREHOUSE_URL", reporting_url)
    result = CliRunner().invoke(app, ["report", "--gemeente", code, "--kwartaal", kwartaal, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip().splitlines()[-1])
    assert written.exists() and naam in written.read_text(encoding="utf-8")


def test_the_document_renders_in_a_headless_browser(document, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.dashboards.browser import require

    browser = require("chromium")  # skips without Chromium, but not where CI is set
    shot = tmp_path / "rapport.png"
    subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", f"--screenshot={shot}",
                    "--window-size=1200,2400", document[0].as_uri()], check=True, capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000


def test_the_document_shows_damage_fraud_reports_and_activities_as_published(
        document, reporting_url: str) -> None:  # type: ignore[no-untyped-def]
    path, code, _, kwartaal, _ = document
    raw = path.read_text(encoding="utf-8")
    text = html.unescape(raw)
    for title in ("Schade bij registraties", "Fraudemeldingen bij banken en Fraudehelpdesk",
                  "Preventieactiviteiten en bereik per doelgroep"):
        assert title in text
    cells = [html.unescape(c).strip() for c in re.findall(r'class="getal telling"[^>]*>([^<]*)<', raw)]
    assert cells
    for cell in cells:
        assert cell in ("<5", "x", "onbekend") or int(cell.replace(".", "")) not in (1, 2, 3, 4), cell
    with psycopg.connect(reporting_url) as conn:
        published = conn.execute(
            """select aantal_weergave, aantal_gedupeerden_weergave, schade_weergave
               from reporting.fraudemeldingen_kwartaal
               where niveau = 'gemeente' and gebied_code = %s and periode = %s and uitsplitsing = 'totaal'""",
            (code, kwartaal)).fetchone()
    table = raw.split("Fraudemeldingen bij banken en Fraudehelpdesk</h3>", 1)[1].split("</table>", 1)[0]
    first_row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "<td>Totaal</td>" in first_row
    fraud_total = [html.unescape(v).strip().replace(".", "")
                   for v in re.findall(r'class="getal telling"[^>]*>([^<]*)<', first_row)]
    assert fraud_total == list(published)


def test_the_document_exposure_names_every_relation_it_reads() -> None:
    from dashboards.report.data import AANVULLEND, FENOMENEN_SQL, SOURCE

    exposures = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))["exposures"]
    (exposure,) = [e for e in exposures if e["name"] == "document_lokaal_beeld_per_gemeente"]
    queries = [q for _, _, _, q in AANVULLEND] + [FENOMENEN_SQL]
    read = {SOURCE} | {m for q in queries for m in re.findall(r"reporting\.[a-z_]+", q)}
    assert sorted(exposure["depends_on"]) == sorted(f"ref('{r.split('.', 1)[1]}')" for r in read)


def _reference_districts() -> dict[str, set[str]]:
    import csv

    from warehouse.reference import REFERENCE_DIR

    with open(REFERENCE_DIR / "gemeenten.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if not r["geldig_tot"]]
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["district"], set()).add(r["gemeentenaam"])
    return out


def test_the_district_document_shows_its_own_gemeenten_side_by_side(reporting_url: str, tmp_path: Path) -> None:
    """For the district werkgroep: its gemeenten side by side, read as the district's own role,
    so nothing of another district can be in it."""
    from dashboards.report.render import render_area

    districts = _reference_districts()
    district = "Gooi en Vechtstreek"
    kwartaal = _pick(reporting_url)[2]
    path = render_area(reporting_url, niveau="district", gebied=district.upper(), kwartaal=kwartaal, out_dir=tmp_path)
    assert path.name == f"districtsbeeld_gooi_en_vechtstreek_{kwartaal}.html"
    text = html.unescape(path.read_text(encoding="utf-8"))
    assert f"<h1>Districtsbeeld online criminaliteit — district {district}, {kwartaal}</h1>" in text
    assert "rol reporter_district_gooi_en_vechtstreek" in text
    side = text.split("De gemeenten van het district naast elkaar", 1)[1].split("</table>", 1)[0]
    shown = set(re.findall(r"<tr>\s*<td>([^<]+)</td>", side))
    assert shown == districts[district]
    others = {g for d, names in districts.items() if d != district for g in names}
    assert not {g for g in others if f"<td>{g}</td>" in text}
    for cell in (c.strip() for c in COUNT_CELL.findall(path.read_text(encoding="utf-8"))):
        cell = html.unescape(cell)
        assert cell in ("<5", "x", "–") or int(cell.replace(".", "")) not in (1, 2, 3, 4), cell


def test_the_cyber_document_shows_the_districts_side_by_side(reporting_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from infopositie.cli import app

    kwartaal = _pick(reporting_url)[2]
    monkeypatch.setenv("WAREHOUSE_URL", reporting_url)
    result = CliRunner().invoke(app, ["report", "--regio", "--kwartaal", kwartaal, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip().splitlines()[-1])
    text = html.unescape(path.read_text(encoding="utf-8"))
    assert f"Cyberbeeld Midden-Nederland, {kwartaal}" in text and "stuurgroep" in text
    side = text.split("De districten naast elkaar", 1)[1].split("</table>", 1)[0]
    assert set(re.findall(r"<tr>\s*<td>([^<]+)</td>", side)) == set(_reference_districts())
    both = CliRunner().invoke(app, ["report", "--regio", "--gemeente", "GM0344", "--kwartaal", kwartaal])
    assert both.exit_code != 0


def _fenomenen(text: str) -> str:
    return html.unescape(text.split('<section class="fenomenen">', 1)[1].split("</section>", 1)[0])


def test_the_documents_show_the_local_phenomena_as_published(reporting_url: str, tmp_path: Path) -> None:
    """Item 7: the flagged modi of the quarter, in the gemeente's own document and in the
    regional overview, exactly as reporting.lokale_fenomenen_kwartaal has them; a gemeente that
    does not share them with the stuurgroep is left out of the regional document only."""
    from dashboards.report.render import render_area
    from dashboards.sharing import Sharing

    with psycopg.connect(reporting_url) as conn:
        kwartaal = conn.execute(
            """select periode from reporting.lokale_fenomenen_kwartaal where niveau = 'gemeente' group by periode
               order by count(*) filter (where opvallend) desc, periode desc limit 1""").fetchone()[0]
        flagged = conn.execute(
            """select gemeentecode, gebied_naam, waarde, aantal_weergave from reporting.lokale_fenomenen_kwartaal
               where niveau = 'gemeente' and opvallend and periode = %s""", (kwartaal,)).fetchall()
    assert flagged, "the synthetic data set has no local phenomenon to show"
    row = re.compile(r'<tr>\s*<td>([^<]+)</td>\s*<td class="telling" data-label="Modus">([^<]+)</td>')

    regio = _fenomenen(render_area(reporting_url, niveau="regio", gebied=None, kwartaal=kwartaal,
                                   out_dir=tmp_path / "r").read_text(encoding="utf-8"))
    assert set(row.findall(regio)) == {(naam, modus) for _, naam, modus, _ in flagged}

    code, naam = flagged[0][0], flagged[0][1]
    own = _fenomenen(render_area(reporting_url, niveau="gemeente", gebied=code, kwartaal=kwartaal,
                                 out_dir=tmp_path / "g").read_text(encoding="utf-8"))
    assert set(re.findall(r'<tr>\s*<td>([^<]+)</td>\s*<td class="getal telling"', own)) == {
        modus for c, _, modus, _ in flagged if c == code}
    assert naam in own

    private = Sharing({("lokale_fenomenen", "regio"): frozenset({code})})
    text = render_area(reporting_url, niveau="regio", gebied=None, kwartaal=kwartaal, out_dir=tmp_path / "p",
                       sharing=private).read_text(encoding="utf-8")
    regio = _fenomenen(text)
    assert {n for n, _ in row.findall(regio)} == {n for c, n, _, _ in flagged if c != code}
    assert f"op eigen verzoek: {naam}" in regio
    assert "eenzijdige exacte voorwaardelijke binomiale" in html.unescape(text)


def test_the_document_explains_the_alfa_the_model_uses() -> None:
    from dashboards.report.render import FENOMENEN_ALFA
    from infopositie.dbt import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert Decimal(str(project["vars"]["fenomenen_alfa"])) == FENOMENEN_ALFA
