"""The document on paper: the HTML document printed to an A4 PDF by Chromium (print-to-PDF),
driven by Playwright.

Why Chromium and not WeasyPrint: the document is the HTML the driehoek also opens in a browser;
printing it with the engine that renders it on screen means one layout, one set of CSS rules
(`@media print` / `@page` in the template) and one engine the browser tests already exercise.
Playwright drives the system's Chromium (Debian's `chromium` package) via `executable_path`:
no browser download is needed or possible on our machines.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# Chromium fills in pageNumber/totalPages; the footer is rendered at its own tiny default size.
FOOTER = ('<div style="font-size:8px; width:100%; padding:0 14mm; color:#6f6f6f; '
          'font-family: Arial, Helvetica, sans-serif; display:flex; justify-content:space-between;">'
          '<span>{title}</span><span>Pagina <span class="pageNumber"></span> van '
          '<span class="totalPages"></span></span></div>')
HEADER = '<div></div>'


class BrowserNotFound(RuntimeError):
    pass


def chromium_path() -> str:
    """The Chromium to use: INFOPOSITIE_CHROMIUM, else the system's chromium (Debian: /usr/bin/chromium)."""
    candidates = [os.environ.get("INFOPOSITIE_CHROMIUM"), shutil.which("chromium"),
                  shutil.which("chromium-browser"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise BrowserNotFound("Chromium niet gevonden: installeer het Debian-pakket `chromium` "
                          "of zet INFOPOSITIE_CHROMIUM op het pad van de browser.")


# Chromium as root (CI) needs --no-sandbox; the documents are our own self-contained files.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def html_to_pdf(html: Path, pdf: Path, *, title: str) -> Path:
    """Print `html` (a self-contained file) to `pdf`: A4, backgrounds, page numbers in the footer."""
    from html import escape

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.emulate_media(media="print")
            page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True,
                     display_header_footer=True, header_template=HEADER,
                     footer_template=FOOTER.format(title=escape(title)),
                     margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
        finally:
            browser.close()
    return pdf
