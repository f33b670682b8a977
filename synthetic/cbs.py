"""Synthetic CBS StatLine exports: Veiligheidsmonitor/OVeC indicators and population.

Region RE09 (politie-eenheid Midden-Nederland) carries the year plan's figures: online
victimisation 15.6% (2023) and 16.0% (2024), aangiftebereidheid 16.9% (2023). Gemeente values
scatter around the region with a confidence interval that widens for small samples; where the
sample is too small CBS publishes '.', never 0. OVeC (even years) is published for the region,
provinces and the Netherlands only.
"""
from __future__ import annotations

import csv
import io

import numpy as np

from synthetic.common import Month, columns, contract, gemeenten, rng_for, values

VM_PREFIX = contract("veiligheidsmonitor").landing_prefix
BEVOLKING_PREFIX = contract("bevolking").landing_prefix
VM_COLUMNS = columns("veiligheidsmonitor")
BEVOLKING_COLUMNS = columns("bevolking")
INDICATORS = values("veiligheidsmonitor", "indicator")
UNKNOWN = "."

RE09 = {
    "slachtofferschap_online": {2022: 14.9, 2023: 15.6, 2024: 16.0, 2025: 17.1},
    "aangiftebereidheid_online": {2022: 16.2, 2023: 16.9, 2024: 16.0, 2025: 17.4},
    "meldingsbereidheid_online": {2022: 18.4, 2023: 19.3, 2024: 18.0, 2025: 19.6},
    "slachtofferschap_fraude_online": {2022: 8.6, 2023: 8.9, 2024: 9.3, 2025: 9.8},
    "slachtofferschap_hacken": {2022: 4.9, 2023: 5.1, 2024: 5.4, 2025: 5.6},
}
NL_OFFSET = {"slachtofferschap_online": {2022: -0.1, 2023: 0.0, 2024: -0.3, 2025: -0.1}}
PROVINCES = {"PV26": 0.3, "PV24": -0.4, "PV27": 0.1}  # offsets from RE09
SAMPLE_SHARE = 0.004        # respondents per inhabitant in the VM
MIN_RESPONDENTS = 100       # below this CBS does not publish
# Reporting rates are measured among victims only: a much smaller base.
BASE_SHARE = {"aangiftebereidheid_online": 0.16, "meldingsbereidheid_online": 0.16}


def bron(year: int) -> str:
    return "VM" if year % 2 == 1 else "OVeC"


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _interval(p: float, respondents: float) -> tuple[float, float]:
    half = 1.96 * np.sqrt(max(p, 0.5) * (100 - p) / max(respondents, 1))
    return max(0.0, p - half), min(100.0, p + half)


def vm_rows(seed: int, year: int) -> list[list[str]]:
    rng = rng_for(seed, "veiligheidsmonitor", year)
    rows = []
    regions: list[tuple[str, float, float]] = [("RE09", 0.0, 6000.0)]
    regions += [(code, offset, 3000.0) for code, offset in PROVINCES.items()]
    regions += [("NL01", 0.0, 60000.0)]
    if bron(year) == "VM":
        regions += [(g.code, float(rng.normal(0, 1.2)), g.inwoners * SAMPLE_SHARE) for g in gemeenten()]
    for indicator in INDICATORS:
        base = RE09[indicator][year]
        for code, offset, respondents in regions:
            respondents *= BASE_SHARE.get(indicator, 1.0)
            if code == "RE09":
                p = base
            elif code == "NL01":
                p = base + NL_OFFSET.get(indicator, {}).get(year, -0.2)
            else:
                p = base + offset * (base / RE09["slachtofferschap_online"][year])
            if respondents < MIN_RESPONDENTS:
                rows.append([str(year), code, indicator, UNKNOWN, UNKNOWN, UNKNOWN, bron(year)])
                continue
            lo, hi = _interval(p, respondents)
            rows.append([str(year), code, indicator, _fmt(p), _fmt(lo), _fmt(hi), bron(year)])
    return rows


def bevolking_rows(seed: int, year: int, provisional: bool) -> list[list[str]]:
    rng = rng_for(seed, "bevolking", year)
    rows = []
    for g in gemeenten():
        inwoners = int(round(g.inwoners * 1.008 ** (year - 2025) * (1 + rng.normal(0, 0.002))))
        share = 0.80 + 0.07 * rng_for(seed, "bevolking", "15plus", g.code).random()
        rows.append([str(year), g.code, str(inwoners), UNKNOWN if provisional else str(int(inwoners * share))])
    return rows


def render(columns: tuple[str, ...], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def vm_key(year: int, suffix: str = "") -> str:
    return f"{VM_PREFIX}veiligheidsmonitor_{year}{suffix}.csv"


def bevolking_key(year: int) -> str:
    return f"{BEVOLKING_PREFIX}bevolking_{year}.csv"


def vm_years(start: Month, end: Month) -> list[int]:
    """Measurement years published within the range: a year's figures appear the next spring;
    the year before the start is included because the plan's baseline needs it."""
    return [y for y in range(start.year - 1, end.year) if y in RE09["slachtofferschap_online"]
            and Month(y + 1, 3) <= end]


def generate_veiligheidsmonitor(seed: int, start: Month, end: Month) -> list[tuple[str, bytes]]:
    return [(vm_key(y), render(VM_COLUMNS, vm_rows(seed, y))) for y in vm_years(start, end)]


def generate_bevolking(seed: int, start: Month, end: Month) -> list[tuple[str, bytes]]:
    years = list(range(start.year, end.year + 1))
    return [(bevolking_key(y), render(BEVOLKING_COLUMNS, bevolking_rows(seed, y, provisional=y == years[-1])))
            for y in years]
