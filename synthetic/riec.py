"""Synthetic RIEC case register (feed riec_casussen): monthly full snapshots as XLSX.

The register is simulated once as case histories (phase changes, withdrawals, reports issued)
and each snapshot shows the state on its reference date, so cases evolve from file to file and
withdrawn cases disappear. Online cases follow a fixed script that reproduces the year plan's
look-back on 2025 (two online cases reached fase `casus` in 2025, more than 10 bestuurlijke
rapportages issued in 2025 on online cases); the other cases are random.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic.common import Month, columns, contract, gemeenten, rng_for, values
from synthetic.xlsx import workbook_bytes

FEED = "riec_casussen"
PREFIX = contract(FEED).landing_prefix
COLUMNS = columns(FEED)
DISTRICTS = values(FEED, "district")
FIRST_MONTH = Month(2022, 1)
HORIZON = Month(2027, 12)  # simulate far enough that the generated range never changes a history


def file_key(day: date) -> str:
    return f"{PREFIX}riec_casussen_{day:%Y%m%d}.xlsx"


@dataclass
class CaseHistory:
    start: date
    district: str
    gemeenten: list[str]
    online: bool
    fenomeen: str
    phases: list[tuple[date, str]]                     # (from date, fase), first is the start
    withdrawn: date | None = None
    rapportages: list[date] = field(default_factory=list)
    interventies: list[date] = field(default_factory=list)
    nummer: str = ""

    def row(self, day: date) -> list | None:
        if self.start > day or (self.withdrawn and self.withdrawn <= day):
            return None
        since, fase = [p for p in self.phases if p[0] <= day][-1]
        return [self.nummer, fase, self.start, since if fase == "afgerond" else None, self.district,
                ",".join(self.gemeenten), "ja" if self.online else "nee", self.fenomeen,
                sum(d <= day for d in self.rapportages), sum(d <= day for d in self.interventies)]


def _gemeenten_in(district: str) -> list[str]:
    return [g.code for g in gemeenten() if g.district == district]


def _pick_gemeenten(rng: np.random.Generator, district: str, k: int) -> list[str]:
    options = _gemeenten_in(district)
    k = min(k, len(options))
    return sorted(rng.choice(options, size=k, replace=False).tolist())


# (start, district, fenomeen, [(date, fase) after signaal], withdrawn, rapportages, interventies)
_ONLINE_SCRIPT = [
    (date(2023, 9, 4), "Utrecht-Stad", "cyberfraude",
     [(date(2023, 11, 20), "casusverkenning"), (date(2024, 2, 12), "casus"), (date(2025, 6, 30), "afgerond")],
     None, [date(2024, 6, 3), date(2024, 11, 18), date(2025, 2, 10), date(2025, 5, 26)],
     [date(2024, 4, 8), date(2025, 3, 3)]),
    (date(2024, 5, 13), "Flevoland", "witwassen-crypto",
     [(date(2024, 7, 1), "casusverkenning"), (date(2024, 11, 4), "casus"), (date(2026, 3, 16), "afgerond")],
     None, [date(2025, 1, 20), date(2025, 4, 14), date(2025, 10, 6), date(2026, 2, 2)],
     [date(2025, 2, 17), date(2025, 9, 8)]),
    (date(2025, 1, 15), "Oost-Utrecht", "phishing-infrastructuur",
     [(date(2025, 2, 24), "casusverkenning"), (date(2025, 4, 14), "casus")],
     None, [date(2025, 6, 16), date(2025, 9, 29), date(2025, 12, 8)], [date(2025, 7, 7)]),
    (date(2025, 3, 10), "Gooi en Vechtstreek", "hosting-faciliteerder",
     [(date(2025, 5, 19), "casusverkenning"), (date(2025, 9, 22), "casus")],
     None, [date(2025, 10, 27), date(2025, 11, 24), date(2025, 12, 15), date(2026, 4, 20)], [date(2025, 11, 10)]),
    (date(2025, 6, 2), "West-Utrecht", "cyberfraude",
     [(date(2025, 8, 11), "casusverkenning")], date(2025, 12, 1), [], []),
    (date(2025, 10, 6), "West-Utrecht", "cyberfraude",
     [(date(2025, 12, 1), "casusverkenning"), (date(2026, 2, 9), "casus")],
     None, [date(2026, 5, 11), date(2026, 9, 14)], [date(2026, 3, 30)]),
    (date(2026, 1, 19), "Utrecht-Stad", "ransomware",
     [(date(2026, 3, 2), "casusverkenning"), (date(2026, 5, 18), "casus")],
     None, [date(2026, 8, 24)], [date(2026, 7, 6)]),
    (date(2026, 3, 23), "Flevoland", "witwassen-crypto",
     [(date(2026, 6, 1), "casusverkenning"), (date(2026, 9, 7), "casus")], None, [], []),
    (date(2026, 6, 15), "Oost-Utrecht", "phishing-infrastructuur",
     [(date(2026, 8, 17), "casusverkenning")], None, [], []),
    (date(2026, 8, 3), "Gooi en Vechtstreek", "cyberfraude", [], None, [], []),
]


def _day_in(rng: np.random.Generator, month: Month) -> date:
    return month.first_day + timedelta(days=int(rng.integers(month.days)))


def _random_cases(seed: int) -> list[CaseHistory]:
    rng = rng_for(seed, FEED, "register")
    weights = np.array([sum(g.inwoners for g in gemeenten() if g.district == d) for d in DISTRICTS], float)
    cases: list[CaseHistory] = []
    for index in range(FIRST_MONTH.index, HORIZON.index + 1):
        month = Month.from_index(index)
        for _ in range(int(rng.poisson(1.6))):
            district = DISTRICTS[rng.choice(len(DISTRICTS), p=weights / weights.sum())]
            k = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
            start = _day_in(rng, month)
            case = CaseHistory(start, district, _pick_gemeenten(rng, district, k), False,
                               "overig" if rng.random() < 0.75 else "witwassen-crypto", [(start, "signaal")])
            fase, step = "signaal", month
            while case.withdrawn is None and fase != "afgerond" and step < HORIZON:
                step = step.plus(1)
                u = rng.random()
                if fase == "signaal" and u < 0.25:
                    fase = "casusverkenning"
                elif fase == "signaal" and u < 0.30 or fase == "casusverkenning" and u < 0.04:
                    case.withdrawn = _day_in(rng, step)
                    break
                elif fase == "casusverkenning" and u < 0.16:
                    fase = "casus"
                elif fase == "casus" and u < 0.05:
                    fase = "afgerond"
                else:
                    if fase == "casus" and rng.random() < 0.06:
                        case.rapportages.append(_day_in(rng, step))
                    if fase in ("casus", "casusverkenning") and rng.random() < 0.10:
                        case.interventies.append(_day_in(rng, step))
                    continue
                case.phases.append((max(_day_in(rng, step), case.phases[-1][0] + timedelta(days=1)), fase))
            cases.append(case)
    return cases


def register(seed: int) -> list[CaseHistory]:
    rng = rng_for(seed, FEED, "online")
    cases = _random_cases(seed)
    for start, district, fenomeen, phases, withdrawn, rapportages, interventies in _ONLINE_SCRIPT:
        k = 1 if rng.random() < 0.5 else 2
        cases.append(CaseHistory(start, district, _pick_gemeenten(rng, district, k), True, fenomeen,
                                 [(start, "signaal"), *phases], withdrawn, list(rapportages), list(interventies)))
    cases.sort(key=lambda c: (c.start, c.district, c.gemeenten))
    per_year: dict[int, int] = {}
    for case in cases:
        per_year[case.start.year] = per_year.get(case.start.year, 0) + 1
        case.nummer = f"RIEC-MN-{case.start.year}-{per_year[case.start.year]:03d}"
    return cases


def snapshot_file(cases: list[CaseHistory], day: date) -> bytes:
    rows = [r for r in (c.row(day) for c in cases) if r is not None]
    return workbook_bytes([("Casussen", [list(COLUMNS), *rows])])


def generate_riec(seed: int, months: list[Month]) -> list[tuple[str, bytes]]:
    cases = register(seed)
    return [(file_key(m.last_day), snapshot_file(cases, m.last_day)) for m in months]
