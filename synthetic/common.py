"""What every synthetic feed shares: the calendar, the random streams, the region and the crime mix.

What a file must look like (columns, their order, enumerations, landing folders) is read from the
feed contracts, never repeated here: a contract change shows up in the generated files at once.

Random streams are derived from (seed, feed, purpose, period) rather than drawn from one global
generator, so a month's file does not depend on which other months are generated: generating
2025-01..2025-03 writes the same bytes for 2025-02 as generating 2024-01..2026-10.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from ingest.contracts import AGE_BANDS as CONTRACT_AGE_BANDS
from ingest.contracts import Contract, load_contract
from warehouse.reference import current_gemeenten

# The period the year plan looks at; trends and seasonality are anchored here so that the
# figures of a month never depend on the generated range.
ANCHOR_YEAR = 2024


def contract(feed: str) -> Contract:
    return load_contract(feed)


def columns(feed: str) -> tuple[str, ...]:
    """The columns a partner delivers for `feed`, in the contract's order (the file's order)."""
    return tuple(c.name for c in contract(feed).columns)


def values(feed: str, column: str) -> tuple[str, ...]:
    """The values an enumeration column of `feed` allows, in the contract's order."""
    return tuple(contract(feed).column(column).values or ())


# The police's modi; the order is the order of every per-modus array below and in the feeds.
_MODUS = contract("politie_registraties").column("modus")
MODI: tuple[str, ...] = tuple(_MODUS.values or ())
CYBERCRIME: frozenset[str] = frozenset(_MODUS.categories.of["cybercrime"]) if _MODUS.categories else frozenset()

# Share of each modus in police registrations (sums to 1). Fraud via messaging and trading
# dominates; cybercrime in the narrow sense is a small part of what victims report.
MODUS_MIX: dict[str, float] = {
    "phishing": 0.22, "vriend-in-nood": 0.13, "bankhelpdeskfraude": 0.07,
    "marktplaatsfraude": 0.20, "webwinkelfraude": 0.12, "identiteitsfraude": 0.06,
    "sextortion": 0.04, "ransomware": 0.01, "hacken": 0.06, "ddos": 0.005,
    "beleggingsfraude": 0.03, "datingfraude": 0.02, "overig": 0.035,
}

# Online fraud peaks around Sinterklaas/Christmas shopping and dips in the summer holidays.
SEASONALITY = np.array([1.00, 0.95, 1.00, 0.97, 0.97, 0.92, 0.84, 0.84, 1.00, 1.04, 1.17, 1.30])
SEASONALITY = SEASONALITY / SEASONALITY.mean()
YEARLY_GROWTH = 0.06

AGE_BANDS: tuple[str, ...] = tuple(label for label, _, _ in CONTRACT_AGE_BANDS)
# Ages drawn within each band: victims registered online are 11 to 94.
AGE_RANGES: tuple[tuple[int, int], ...] = ((11, 17), (18, 24), (25, 44), (45, 64), (65, 94))


def modus_category(modus: str) -> str:
    """Cybercrime or gedigitaliseerde criminaliteit, as the police contract categorises the modus."""
    if _MODUS.categories is None:
        raise ValueError("the police contract no longer categorises its modi")
    return _MODUS.categories.category(modus)


@dataclass(frozen=True)
class Gemeente:
    code: str            # GM0344
    naam: str
    district: str
    basisteam: str
    inwoners: int

    @property
    def digits(self) -> str:
        return self.code[2:]


@lru_cache(maxsize=1)
def gemeenten() -> tuple[Gemeente, ...]:
    return tuple(
        Gemeente(r["gemeentecode"], r["gemeentenaam"], r["district"], r["basisteam_code"],
                 int(r["inwoners_circa"]))
        for r in current_gemeenten()
    )


def population_shares() -> np.ndarray:
    inwoners = np.array([g.inwoners for g in gemeenten()], dtype=float)
    return inwoners / inwoners.sum()


def wijk_count(gemeente: Gemeente) -> int:
    """CBS wijken per gemeente: roughly one per 15,000 inhabitants, at least 1, at most 12."""
    return int(min(12, max(1, round(gemeente.inwoners / 15000))))


def wijk_codes(gemeente: Gemeente) -> list[str]:
    return [f"WK{gemeente.digits}{i:02d}" for i in range(1, wijk_count(gemeente) + 1)]


# --------------------------------------------------------------------------- randomness
def rng_for(seed: int, *parts: str | int) -> np.random.Generator:
    """An independent, reproducible stream for one purpose (e.g. seed, 'politie', 202601)."""
    digest = hashlib.sha256("|".join(map(str, (seed, *parts))).encode()).digest()
    return np.random.default_rng(np.frombuffer(digest, dtype=np.uint32))


# --------------------------------------------------------------------------- calendar
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"expected a month as JJJJ-MM, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def compact(self) -> str:
        return f"{self.year}{self.month:02d}"

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def plus(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.plus(1).first_day - timedelta(days=1)

    @property
    def days(self) -> int:
        return self.last_day.day

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1


def months_between(start: Month, end: Month) -> list[Month]:
    if end < start:
        raise ValueError(f"end {end} lies before start {start}")
    return [Month.from_index(i) for i in range(start.index, end.index + 1)]


def quarters_within(start: Month, end: Month) -> list[tuple[int, int]]:
    """Quarters that are complete inside [start, end]: only a finished quarter is delivered."""
    out = []
    for m in months_between(start, end):
        if m.month % 3 == 0 and m.plus(-2) >= start:
            out.append((m.year, m.quarter))
    return out


def volume_factor(month: Month) -> float:
    """Seasonality times a slight upward trend, relative to an average month of the anchor year."""
    years = (month.index - Month(ANCHOR_YEAR, 1).index) / 12
    return float(SEASONALITY[month.month - 1] * (1 + YEARLY_GROWTH) ** years)


# --------------------------------------------------------------------------- formatting
def nl_date(d: date) -> str:
    return f"{d.day:02d}-{d.month:02d}-{d.year:04d}"


def nl_amount(cents: int, thousands: bool = True) -> str:
    """1234.56 EUR as '1.234,56' (the dot is only ever a thousands separator in Dutch files)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    whole = f"{euros:,}".replace(",", ".") if thousands else str(euros)
    return f"{sign}{whole},{rest:02d}"


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an exact total over weights (integers that sum to total)."""
    weights = np.asarray(weights, dtype=float)
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    short = total - int(out.sum())
    if short:
        out[np.argsort(-(raw - out), kind="stable")[:short]] += 1
    return out
