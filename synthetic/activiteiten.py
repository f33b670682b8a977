"""Synthetic prevention activities (feed activiteiten): per gemeente and for the regional programme.

Each gemeente has its own export habit (CSV with ';' or ',', or XLSX; quarterly, half-yearly or
yearly files with its own naming). The year plan's look-back on 2025 is reproduced exactly:
105 activities on the #EchtNietVandaag action day (10 Sept 2025), 15 regional knowledge sessions,
and the Echt-Nep campaign reaching 787 seniors.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from synthetic.common import Gemeente, Month, columns, contract, gemeenten, largest_remainder, nl_date, rng_for
from synthetic.xlsx import workbook_bytes

FEED = "activiteiten"
# One folder per gemeente ({partner}), and one for the regional programme.
GEMEENTE_PREFIX = contract(FEED).landing_prefix
(REGIO_PREFIX,) = contract(FEED).also_landing_prefixes
COLUMNS = columns(FEED)

ACTIEDAG = {2025: (date(2025, 9, 10), 105), 2026: (date(2026, 9, 9), 112)}
ACTIEDAG_BY_REGIO = 5                 # of those, organised by the regional programme itself
KENNISBIJEENKOMSTEN = {2024: 11, 2025: 15, 2026: 13}
ECHT_NEP_BEREIK = {2025: 787, 2026: 640}
ECHT_NEP_ACTIVITIES = {2025: 14, 2026: 12}


def gemeente_prefix(code: str) -> str:
    return GEMEENTE_PREFIX.replace("{partner}", code)


@dataclass(frozen=True)
class Activity:
    source: str          # delivering folder: a gemeentecode or 'regio'
    datum: date
    gemeente: str        # the column: GMxxxx, or '' for a regional activity
    titel: str
    type: str
    doelgroep: str
    campagne: str
    bereik: int | None
    deelnemers: int | None
    onderbouwd: bool

    def values(self) -> list:
        return [self.datum, self.gemeente, self.titel, self.type, self.doelgroep, self.campagne,
                self.bereik, self.deelnemers, "ja" if self.onderbouwd else "nee"]


_TITLES = {
    "voorlichting": ["Voorlichting veilig bankieren voor senioren", "Informatieavond phishing herkennen",
                     "Gastles online veiligheid groep 8", "Spreekuur digitale veiligheid",
                     "Voorlichting WhatsApp-fraude", "@Bibliotheek: hulp bij veilig bankieren",
                     "- Inloopochtend: is dit bericht echt?", "Ouderavond sextortion en sexting"],
    "campagne": ["Campagne Dubbel beveiligd op social media", "Posters en abri's over nepberichten",
                 "+Online campagne tegen marktplaatsfraude", "Huis-aan-huisbrief over bankhelpdeskfraude"],
    "training": ["Training baliemedewerkers herkennen fraude", "Training wijkteams digitale veiligheid",
                 "Workshop cyberweerbaarheid voor ondernemers"],
    "nazorg": ["Nazorggesprekken slachtoffers online fraude", "Terugbelactie na aangifte"],
    "overig": ["=Echt of nep? quiz in het buurthuis", "Stand op de weekmarkt", "Veiligheidsmarkt"],
}
_PLACES = ["bibliotheek", "wijkcentrum", "gemeentehuis", "buurthuis", "online", "seniorensoos",
           "mbo-school", "basisschool", "ondernemersvereniging", "zorgcentrum"]
_TYPE_SHARE = {"voorlichting": .45, "campagne": .15, "training": .15, "nazorg": .10, "overig": .15}
_AUDIENCE = {
    "voorlichting": {"senioren": .35, "jongeren": .20, "ouders": .15, "inwoners": .20, "ondernemers": .10},
    "campagne": {"inwoners": .5, "senioren": .2, "jongeren": .2, "ondernemers": .1},
    "training": {"professionals": .5, "ondernemers": .3, "senioren": .2},
    "nazorg": {"inwoners": .6, "senioren": .4},
    "overig": {"inwoners": .7, "senioren": .2, "jongeren": .1},
}
_REACH = {"voorlichting": (10, 80), "campagne": (300, 6000), "training": (6, 25), "nazorg": (1, 12),
          "overig": (20, 250), "actiedag": (10, 200)}


def _pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    keys = list(shares)
    p = np.array([shares[k] for k in keys])
    return keys[rng.choice(len(keys), p=p / p.sum())]


def _day(rng: np.random.Generator, year: int, avoid: set[date] = frozenset()) -> date:
    while True:
        d = date(year, 1, 1) + timedelta(days=int(rng.integers(365)))
        if d.weekday() < 5 and d not in avoid and not (date(year, 7, 15) <= d <= date(year, 8, 20)):
            return d


def regular(seed: int, g: Gemeente, year: int) -> list[Activity]:
    rng = rng_for(seed, FEED, "regular", g.code, year)
    avoid = {ACTIEDAG[year][0]} if year in ACTIEDAG else set()
    out = []
    for _ in range(int(rng.poisson(3 + 10 * np.sqrt(g.inwoners / 100_000)))):
        kind = _pick(rng, _TYPE_SHARE)
        doelgroep = _pick(rng, _AUDIENCE[kind])
        titel = f"{_TITLES[kind][rng.integers(len(_TITLES[kind]))]} - {_PLACES[rng.integers(len(_PLACES))]}"
        campagne = ""
        u = rng.random()
        if doelgroep == "jongeren" and u < 0.3:
            campagne = "Re_Bootcamp"
        elif kind in ("campagne", "voorlichting") and u < (0.4 if kind == "campagne" else 0.1):
            campagne = "Dubbel beveiligd"
        elif u > 0.93:
            campagne = f"Digiveilig {g.naam}"
        lo, hi = _REACH[kind]
        bereik = None if rng.random() < 0.1 else int(rng.integers(lo, hi + 1))
        out.append(Activity(g.code, _day(rng, year, avoid), g.code, titel, kind, doelgroep, campagne, bereik,
                            None, bool(rng.random() < 0.45)))
    return out


def actiedag(seed: int, year: int) -> list[Activity]:
    """All #EchtNietVandaag activities of one action day, gemeenten and regional programme."""
    if year not in ACTIEDAG:
        return []
    day, total = ACTIEDAG[year]
    rng = rng_for(seed, FEED, "actiedag", year)
    gms = gemeenten()
    per_gemeente = 1 + largest_remainder(total - ACTIEDAG_BY_REGIO - len(gms),
                                         np.sqrt([g.inwoners for g in gms]))
    audience = {"senioren": .40, "inwoners": .30, "jongeren": .15, "ouders": .10, "ondernemers": .05}
    titles = ["Infomarkt #EchtNietVandaag", "Fraudespreekuur #EchtNietVandaag", "Workshop nepberichten herkennen",
              "Belteam belt senioren over oplichting", "Stand in het winkelcentrum", "Gastles op school",
              "Koffieochtend veilig online", "Voorlichting bij de bank"]
    out = []
    sources = [(g.code, g.code, int(k)) for g, k in zip(gms, per_gemeente)]
    regio_places = [g.code for g in rng.choice(gms, size=2, replace=False)]
    sources += [("regio", regio_places[i] if i < 2 else "", 1) for i in range(ACTIEDAG_BY_REGIO)]
    for source, gemeente, count in sources:
        for i in range(count):
            kind_title = titles[(i + int(rng.integers(len(titles)))) % len(titles)]
            lo, hi = _REACH["actiedag"]
            out.append(Activity(source, day, gemeente, f"{kind_title} - {_PLACES[i % len(_PLACES)]} {i + 1}",
                                "actiedag", _pick(rng, audience), "#EchtNietVandaag",
                                int(rng.integers(lo, hi + 1)), None, bool(rng.random() < 0.75)))
    return out


def echt_nep(seed: int, year: int) -> list[Activity]:
    """Echt-Nep sessions for seniors; their reach adds up exactly to the year's figure."""
    if year not in ECHT_NEP_BEREIK:
        return []
    rng = rng_for(seed, FEED, "echt-nep", year)
    gms = gemeenten()
    hosts = rng.choice(len(gms), size=9, replace=False)
    n = ECHT_NEP_ACTIVITIES[year]
    reach = 20 + largest_remainder(ECHT_NEP_BEREIK[year] - 20 * n, rng.random(n) + 0.3)
    avoid = {ACTIEDAG[year][0]} if year in ACTIEDAG else set()
    out = []
    for i in range(n):
        g = gms[hosts[i % len(hosts)]]
        out.append(Activity(g.code, _day(rng, year, avoid), g.code, f"Echt-Nep training voor senioren - sessie {i + 1}",
                            "voorlichting", "senioren", "Echt-Nep", int(reach[i]), None, True))
    return out


def kennisbijeenkomsten(seed: int, year: int) -> list[Activity]:
    if year not in KENNISBIJEENKOMSTEN:
        return []
    rng = rng_for(seed, FEED, "kennis", year)
    topics = ["Ransomware bij gemeenten", "Cijfers online criminaliteit lokaal", "Sextortion en jongeren",
              "Bankhelpdeskfraude: aanpak met banken", "Nazorg slachtoffers online fraude",
              "Cybercrime en ondermijning", "Phishing-infrastructuur", "Datagedreven preventie"]
    n = KENNISBIJEENKOMSTEN[year]
    months = [m for m in range(1, 13) if m != 8]
    chosen = sorted(rng.choice(months, size=n, replace=n > len(months)).tolist())
    out, used = [], set()
    for i, month in enumerate(chosen):
        day = date(year, month, 1) + timedelta(days=int(rng.integers(5, 25)))
        while day.weekday() >= 5 or day in used:
            day += timedelta(days=1)
        used.add(day)
        place = "" if rng.random() < 0.7 else gemeenten()[rng.integers(len(gemeenten()))].code
        out.append(Activity("regio", day, place, f"Kennisbijeenkomst: {topics[i % len(topics)]}",
                            "kennisbijeenkomst", "professionals", "", None, int(rng.integers(20, 91)),
                            bool(rng.random() < 0.6)))
    return out


def all_activities(seed: int, year: int) -> list[Activity]:
    acts = [a for g in gemeenten() for a in regular(seed, g, year)]
    acts += actiedag(seed, year) + echt_nep(seed, year) + kennisbijeenkomsten(seed, year)
    return _unique(acts)


def _unique(acts: list[Activity]) -> list[Activity]:
    """(folder, datum, titel) identifies an activity: make accidental twins distinct."""
    seen: set[tuple] = set()
    out = []
    for a in sorted(acts, key=lambda a: (a.source, a.datum, a.titel)):
        titel, k = a.titel, 2
        while (a.source, a.datum, titel) in seen:
            titel, k = f"{a.titel} ({k})", k + 1
        seen.add((a.source, a.datum, titel))
        out.append(a if titel == a.titel else Activity(**{**a.__dict__, "titel": titel}))
    return out


# --------------------------------------------------------------------------- files
@dataclass(frozen=True)
class Habit:
    cadence: str       # 'quarter' | 'half' | 'year'
    fmt: str           # 'csv;' | 'csv,' | 'xlsx'
    iso_dates: bool

    def periods(self, year: int) -> list[tuple[str, Month, Month]]:
        if self.cadence == "quarter":
            return [(f"Q{q}", Month(year, 3 * q - 2), Month(year, 3 * q)) for q in range(1, 5)]
        if self.cadence == "half":
            return [("H1", Month(year, 1), Month(year, 6)), ("H2", Month(year, 7), Month(year, 12))]
        return [("", Month(year, 1), Month(year, 12))]

    def file_name(self, g: Gemeente, year: int, label: str) -> str:
        ext = "xlsx" if self.fmt == "xlsx" else "csv"
        if self.cadence == "quarter":
            return f"activiteiten_{year}_{label}.{ext}"
        if self.cadence == "half":
            return f"Preventieactiviteiten {g.naam} {year}-{label}.{ext}"
        return f"{g.code}_activiteiten_{year}.{ext}"


_HABITS = [Habit("quarter", "csv;", False), Habit("quarter", "csv,", False), Habit("half", "xlsx", False),
           Habit("year", "csv;", True), Habit("half", "csv,", False), Habit("quarter", "xlsx", False)]


def habit(seed: int, code: str) -> Habit:
    return _HABITS[int(rng_for(seed, FEED, "habit", code).integers(len(_HABITS)))]


def render(acts: list[Activity], fmt: str, iso_dates: bool = False) -> bytes:
    rows = [a.values() for a in sorted(acts, key=lambda a: (a.datum, a.titel))]
    if fmt == "xlsx":
        return workbook_bytes([("Activiteiten", [list(COLUMNS), *rows])])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=fmt[-1], lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        row[0] = row[0].isoformat() if iso_dates else nl_date(row[0])
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def _in_range(acts: list[Activity], first: Month, last: Month) -> list[Activity]:
    return [a for a in acts if first.first_day <= a.datum <= last.last_day]


def generate_activiteiten(seed: int, start: Month, end: Month) -> list[tuple[str, bytes]]:
    files: list[tuple[str, bytes]] = []
    by_source: dict[str, list[Activity]] = {}
    for year in range(start.year, end.year + 1):
        for a in all_activities(seed, year):
            by_source.setdefault(a.source, []).append(a)
    for g in gemeenten():
        h = habit(seed, g.code)
        for year in range(start.year, end.year + 1):
            for label, first, last in h.periods(year):
                acts = _in_range(by_source.get(g.code, []), max(first, start), min(last, end))
                if first <= end and last >= start and acts:
                    files.append((gemeente_prefix(g.code) + h.file_name(g, year, label),
                                  render(acts, h.fmt, h.iso_dates)))
    regio = by_source.get("regio", [])
    for year in range(start.year, end.year + 1):
        year_first, year_last = max(Month(year, 1), start), min(Month(year, 12), end)
        kennis = _in_range([a for a in regio if a.type == "kennisbijeenkomst"], year_first, year_last)
        dag = _in_range([a for a in regio if a.type == "actiedag"], year_first, year_last)
        if kennis:
            files.append((f"{REGIO_PREFIX}kennisbijeenkomsten_{year}.xlsx", render(kennis, "xlsx")))
        if dag:
            files.append((f"{REGIO_PREFIX}echtnietvandaag_{year}_regio.csv", render(dag, "csv;")))
    return files
