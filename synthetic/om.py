"""Synthetic OM instroom (feed om_instroom): quarterly XLSX, sheet `Instroom`, with a totals row.

Cases follow the police aangiftes of the same `PoliceModel`: a share of each month's aangiftes
enters the OM one to six months later, so a rise in registrations shows up in the instroom a
quarter later. Decisions are only known when the export date has passed them: a corrected file
of the same quarter, exported later, carries more decisions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from synthetic.common import MODI, Month, columns, contract, gemeenten, modus_category, rng_for, values
from synthetic.politie import PoliceModel, number_scale
from synthetic.xlsx import workbook_bytes

FEED = "om_instroom"
PREFIX = contract(FEED).landing_prefix
COLUMNS = columns(FEED)

# Share of a month's police aangiftes that is sent to the OM, per modus.
TO_OM = {"phishing": .20, "vriend-in-nood": .30, "bankhelpdeskfraude": .35, "marktplaatsfraude": .25,
         "webwinkelfraude": .20, "identiteitsfraude": .25, "sextortion": .40, "ransomware": .15,
         "hacken": .20, "ddos": .10, "beleggingsfraude": .25, "datingfraude": .20, "overig": .30}
DELAY_MONTHS = np.array([.05, .20, .25, .20, .12, .10, .08])  # 0..6 months after the aangifte
FEIT = {"phishing": "art. 326 Sr", "vriend-in-nood": "art. 326 Sr", "bankhelpdeskfraude": "art. 326 Sr",
        "marktplaatsfraude": "art. 326 Sr", "webwinkelfraude": "art. 326e Sr",
        "identiteitsfraude": "art. 231b Sr", "sextortion": "art. 317 Sr", "ransomware": "art. 317 Sr",
        "hacken": "art. 138ab Sr", "ddos": "art. 138b Sr", "beleggingsfraude": "art. 326 Sr",
        "datingfraude": "art. 326 Sr", "overig": "art. 285 Sr"}
DECISIONS = values(FEED, "beslissing")
DECISION_SHARE = np.array([.30, .22, .28, .06, .06, .08])


def file_key(year: int, quarter: int) -> str:
    return f"{PREFIX}om_instroom_{year}Q{quarter}.xlsx"


@dataclass(frozen=True)
class Case:
    parketnummer: str
    instroom: date
    pleeggemeente: str
    categorie: str
    feit: str
    beslissing: str
    beslisdatum: date | None

    def as_of(self, export: date) -> tuple:
        decided = self.beslisdatum is not None and self.beslisdatum <= export
        return (self.parketnummer, self.instroom, self.pleeggemeente, self.categorie, self.feit,
                self.beslissing if decided else "geen beslissing", self.beslisdatum if decided else None)


def _cases_from(model: PoliceModel, source: Month) -> list[tuple[Month, Case]]:
    """Every OM case that stems from the aangiftes registered in `source`, with its instroom month."""
    aangiftes = model.counts(source)[:, :, 1]
    rng = rng_for(model.seed, FEED, "flow", source.compact)
    to_om = rng.binomial(aangiftes, np.array([TO_OM[m] for m in MODI])[None, :])
    g_idx, m_idx = np.nonzero(to_om)
    per_cell = to_om[g_idx, m_idx]
    g_idx, m_idx = np.repeat(g_idx, per_cell), np.repeat(m_idx, per_cell)
    n = len(g_idx)
    delay = rng.choice(len(DELAY_MONTHS), size=n, p=DELAY_MONTHS)
    day_u = rng.random(n)
    known = rng.random(n) >= 0.05
    decision = rng.choice(len(DECISIONS), size=n, p=DECISION_SHARE)
    lag = rng.geometric(1 / 50, size=n)
    codes = [g.code for g in gemeenten()]
    # A block of numbers per source month, wider when a larger volume is generated (bench scale),
    # so that one month's cases never run into the next month's numbers.
    block = 1000 * number_scale()
    out = []
    for i in range(n):
        target = source.plus(int(delay[i]))
        instroom = target.first_day + timedelta(days=int(day_u[i] * target.days))
        modus = MODI[m_idx[i]]
        beslissing = DECISIONS[decision[i]]
        number = f"16/{700000 + (source.index % 240) * block + i:06d}-{instroom.year % 100:02d}"
        out.append((target, Case(
            number, instroom, codes[g_idx[i]] if known[i] else "", modus_category(modus), FEIT[modus],
            beslissing, None if beslissing == "geen beslissing" else instroom + timedelta(days=int(lag[i])),
        )))
    return out


def quarter_cases(model: PoliceModel, year: int, quarter: int) -> list[Case]:
    first = Month(year, 3 * quarter - 2)
    months = {first, first.plus(1), first.plus(2)}
    cases = [case for source in (first.plus(k) for k in range(-len(DELAY_MONTHS) + 1, 3))
             for target, case in _cases_from(model, source) if target in months]
    return sorted(cases, key=lambda c: (c.instroom, c.parketnummer))


def export_date(year: int, quarter: int, days_after: int = 14) -> date:
    return Month(year, 3 * quarter).last_day + timedelta(days=days_after)


def quarter_file(model: PoliceModel, year: int, quarter: int, *, days_after: int = 14) -> bytes:
    export = export_date(year, quarter, days_after)
    rows = [case.as_of(export) for case in quarter_cases(model, year, quarter)]
    cover = [
        ["Openbaar Ministerie - Arrondissementsparket Midden-Nederland"],
        ["Instroom online criminaliteit (cybercrime en gedigitaliseerde criminaliteit)"],
        ["Periode", f"{year}Q{quarter}"],
        ["Exportdatum", export],
        ["Gegevens staan op het tabblad 'Instroom'."],
    ]
    notes = [["Toelichting"], ["categorie volgt uit de modus van de onderliggende aangifte."],
             ["beslisdatum is leeg zolang er geen beslissing is."]]
    return workbook_bytes([
        ("Voorblad", cover),
        ("Instroom", [list(COLUMNS), *map(list, rows), ["Totaal", len(rows)]]),
        ("Toelichting", notes),
    ])


def generate_om(seed: int, quarters: list[tuple[int, int]]) -> list[tuple[str, bytes]]:
    model = PoliceModel(seed)
    return [(file_key(y, q), quarter_file(model, y, q)) for y, q in quarters]
