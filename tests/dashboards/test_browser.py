"""The documents in a real browser and on paper: Debian's Chromium driven by Playwright.

At a phone's width (390 px) and a laptop's (1280 px): the page never scrolls sideways, every chart
is loaded and visible within the page, nothing is logged as an error. Screenshots are kept under
the test's own output folder (pytest's tmp_path). The PDF is read back with poppler's pdfinfo and
pdftotext. The dbt docs the demo points to must open from disk too.
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from dashboards.report import render_report
from tests.dashboards.browser import LAUNCH_ARGS, require

WIDTHS = (390, 1280)
A4_POINTS = (595, 842)


@pytest.fixture()
def chromium() -> Iterator[object]:
    # Per test: Playwright's sync API cannot nest, and the PDF renderer starts its own.
    path = require("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def choice(reporting_url: str) -> tuple[str, str, str]:
    """Utrecht (the largest gemeente: the longest tables) in the latest quarter of the data."""
    with psycopg.connect(reporting_url) as conn:
        kwartaal = conn.execute("select max(periode) from reporting.lokaal_beeld_kwartaal").fetchone()[0]
        naam = conn.execute("select gebied_naam from reporting.lokaal_beeld_kwartaal where gebied_code = 'GM0344'"
                            " limit 1").fetchone()[0]
    return "GM0344", naam, kwartaal


@pytest.fixture(scope="module")
def html_document(reporting_url: str, choice: tuple[str, str, str],
                  tmp_path_factory: pytest.TempPathFactory) -> Path:
    code, _, kwartaal = choice
    return render_report(reporting_url, gemeente=code, kwartaal=kwartaal, out_dir=tmp_path_factory.mktemp("html"))


def _open(chromium, path: Path, width: int):  # type: ignore[no-untyped-def]
    page = chromium.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, errors


@pytest.mark.parametrize("width", WIDTHS)
def test_the_document_fits_the_screen_shows_every_chart_and_logs_no_error(
        chromium, html_document: Path, width: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, errors = _open(chromium, html_document, width)
    try:
        scroll_width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert scroll_width <= width, f"the page is {scroll_width} px wide on a {width} px screen"

        charts = page.query_selector_all("figure.grafiek img")
        assert len(charts) == 2
        for chart in charts:
            chart.scroll_into_view_if_needed()
            assert chart.is_visible()
            assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), "chart did not load"
            box = chart.bounding_box()
            assert box and box["width"] > 0.5 * min(width, 960) - 80 and box["height"] > 100, box
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box

        shot = tmp_path / f"{html_document.stem}_{width}px.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
        assert errors == []

        # The check itself can fail: an element wider than the screen is caught.
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div style=\"width: 2000px\">breed</div>')")
        assert page.evaluate("document.documentElement.scrollWidth") > width
    finally:
        page.close()


def test_on_a_phone_the_key_figures_keep_their_labels(chromium, html_document: Path) -> None:  # type: ignore[no-untyped-def]
    """The table rows become label-value lines: the reader still sees what each number is."""
    page, _ = _open(chromium, html_document, 390)
    try:
        cell = page.query_selector("table.regels tbody tr td[data-label='Registraties']")
        assert cell is not None
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"Registraties"'
    finally:
        page.close()


def _pdfinfo(pdf: Path) -> dict[str, str]:
    out = subprocess.run([require("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def test_the_pdf_is_a4_at_most_twelve_pages_numbered_and_names_gemeente_and_quarter(
        reporting_url: str, choice: tuple[str, str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    require("chromium")
    from infopositie.cli import app

    code, naam, kwartaal = choice
    monkeypatch.setenv("WAREHOUSE_URL", reporting_url)
    result = CliRunner().invoke(app, ["report", "--gemeente", code, "--kwartaal", kwartaal, "--format", "pdf",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdf = Path(result.stdout.strip().splitlines()[-1])
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF-")

    info = _pdfinfo(pdf)
    width, height = (float(v) for v in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (round(width), round(height)) == A4_POINTS, info["Page size"]
    pages = int(info["Pages"])
    assert 1 <= pages <= 12
    text = subprocess.run([require("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert naam in text and kwartaal in text
    assert f"Pagina 1 van {pages}" in text and f"Pagina {pages} van {pages}" in text
    # Print styling: the explanation starts on a page of its own, after the figures.
    pages_text = [page for page in text.split("\f") if page.strip()]  # pdftotext ends with a form feed
    assert len(pages_text) == pages
    assert "Over deze cijfers" in pages_text[-1] and "Over deze cijfers" not in pages_text[0]


def test_the_dbt_docs_open_from_disk(chromium, reporting_url: str) -> None:  # type: ignore[no-untyped-def]
    """The page the demo and `infopositie build` print: dbt's --static site, with the manifest
    and catalog inside it, so the browser needs no fetch (the plain index.html stays on
    "(loading)" opened from disk)."""
    from infopositie.dbt import DOCS_INDEX, dbt_docs_generate

    index = dbt_docs_generate(reporting_url)
    assert index == DOCS_INDEX and index.name == "static_index.html"
    page = chromium.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page.goto(index.resolve().as_uri(), wait_until="load")
        page.wait_for_function("!document.body.innerText.includes('(loading)')", timeout=30_000)
        # The project tree and the exposures are drawn from the inlined manifest.
        page.wait_for_function("document.body.innerText.includes('Exposures')", timeout=30_000)
        text = page.inner_text("body")
        assert "infopositie" in text and "Dashboard" in text
        page.goto(index.resolve().as_uri() + "#!/model/model.infopositie.lokaal_beeld_kwartaal", wait_until="load")
        page.wait_for_function("document.body.innerText.includes('gebied_naam')", timeout=30_000)
        assert not [u for u in failed if u.endswith((".json",)) or ".json?" in u], failed
    finally:
        page.close()
