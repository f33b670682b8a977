"""Charts for the document, drawn with matplotlib into self-contained SVG data URIs, so the HTML
opens from disk in any browser and prints without a server or network.

A hidden count is never drawn as a bar or a point: the bar is absent and its label says '<5' or
'x'; a hidden rate leaves a gap in its line.
"""
from __future__ import annotations

import base64
import io
import math

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from dashboards.report.data import Cel

COLORS = {"gemeente": "#01689b", "district": "#e17000", "regio": "#6f6f6f"}
NIVEAU_LABEL = {"gemeente": "gemeente", "district": "district", "regio": "regio"}


def _data_uri(figure: Figure) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(figure)
    # No date or tool metadata: the same figures give the same document.
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")


def _style(ax) -> None:  # type: ignore[no-untyped-def]
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)


def registraties_per_kwartaal(cells: list[Cel], gemeente: str) -> tuple[str, str]:
    """Bars of the gemeente's total per quarter; returns (data URI, alt text)."""
    figure = Figure(figsize=(7.5, 3.0), dpi=100)
    ax = figure.add_subplot()
    labels = [c.periode for c in cells]
    heights = [c.aantal if c.aantal is not None else 0 for c in cells]
    bars = ax.bar(labels, heights, color=COLORS["gemeente"], width=0.6)
    top = max([h for h in heights] + [5])
    for bar, cel in zip(bars, cells):
        if cel.aantal is None:
            bar.set_visible(False)
        ax.annotate(cel.weergave, (bar.get_x() + bar.get_width() / 2, (cel.aantal or 0)),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8,
                    color="#b00020" if cel.aantal is None else "#333333")
    ax.set_ylim(0, top * 1.2)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("registraties", fontsize=8)
    ax.set_title(f"Registraties online criminaliteit per kwartaal — {gemeente}", fontsize=10, loc="left")
    _style(ax)
    alt = f"Staafdiagram registraties per kwartaal in {gemeente}: " + "; ".join(
        f"{c.periode}: {c.weergave}" for c in cells)
    return _data_uri(figure), alt


def per_10000_vergelijking(trend: dict[str, list[Cel]]) -> tuple[str, str]:
    """Lines per 10.000 inwoners for gemeente, district and regio; gaps where hidden."""
    figure = Figure(figsize=(7.5, 3.0), dpi=100)
    ax = figure.add_subplot()
    periods = sorted({c.periode for cells in trend.values() for c in cells})
    alt_parts = []
    for niveau in ("gemeente", "district", "regio"):
        cells = {c.periode: c for c in trend.get(niveau, [])}
        if not cells:
            continue
        name = next(iter(cells.values())).gebied_naam
        values = [float(cells[p].per_10000) if p in cells and cells[p].per_10000 is not None else math.nan
                  for p in periods]
        ax.plot(periods, values, marker="o", markersize=3, linewidth=1.6, color=COLORS[niveau],
                label=f"{name} ({NIVEAU_LABEL[niveau]})")
        alt_parts.append(f"{name}: " + ", ".join(
            f"{p} {_nl(cells[p].per_10000) if p in cells else '–'}" for p in periods))
    ax.set_ylabel("per 10.000 inwoners", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",")))
    ax.set_title("Registraties per 10.000 inwoners", fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _style(ax)
    return _data_uri(figure), "Lijndiagram per 10.000 inwoners. " + "; ".join(alt_parts)


def _nl(value: object) -> str:
    return "–" if value is None else f"{float(value):.2f}".replace(".", ",")  # type: ignore[arg-type]
