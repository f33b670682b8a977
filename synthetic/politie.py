"""Synthetic police registrations of online crime (feed politie_registraties).

One CSV per registration month, exactly as docs/sources/feeds/politie_registraties.md describes.
The volumes come from a `PoliceModel` (population x local rate x modus mix x season x trend), so
that other feeds (OM instroom, fraud reports) can follow the same underlying picture. Row details
are drawn vectorised with numpy: the benchmark writes a million rows in a few seconds.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from synthetic.common import (
    AGE_RANGES,
    MODI,
    MODUS_MIX,
    Month,
    columns,
    contract,
    gemeenten,
    nl_amount,
    nl_date,
    population_shares,
    rng_for,
    values,
    volume_factor,
    wijk_codes,
)

FEED = "politie_registraties"
PREFIX = contract(FEED).landing_prefix
COLUMNS: tuple[str, ...] = columns(FEED)
REGISTRATIONS_PER_YEAR = 15_000  # whole region, in the anchor year
# Registration numbers of one month lie in their own block of this many numbers (the police number
# all registrations, online crime takes every few): a block per month keeps months apart.
_NUMBER_BLOCK = 40_000


def number_scale() -> int:
    """How many times our region's volume is being generated (1 normally): number blocks of the
    feeds that number their own cases (OM parketnummers) widen by it, like the police's."""
    return max(1, math.ceil(REGISTRATIONS_PER_YEAR / 15_000))


@contextmanager
def volume(per_year: float) -> Iterator[None]:
    """Generate as if the reference's gemeenten together registered `per_year` (anchor year)
    instead of our region's 15,000: `infopositie bench scale` fills a national warehouse with it.
    Every feed drawn from the PoliceModel (OM, fraud reports) follows in proportion; the number
    blocks widen with the volume, so months never share a registration number."""
    global REGISTRATIONS_PER_YEAR, _NUMBER_BLOCK
    saved = REGISTRATIONS_PER_YEAR, _NUMBER_BLOCK
    REGISTRATIONS_PER_YEAR = per_year
    _NUMBER_BLOCK = 40_000 * number_scale()
    try:
        yield
    finally:
        REGISTRATIONS_PER_YEAR, _NUMBER_BLOCK = saved
SLACHTOFFER_TYPES = values(FEED, "slachtoffer_type")


def file_key(month: Month) -> str:
    return f"{PREFIX}registraties_online_{month.compact}.csv"


@dataclass(frozen=True)
class ModusProfile:
    aangifte: float                         # share of registrations that are an aangifte
    ages: tuple[float, ...]                 # over AGE_BANDS
    victims: tuple[float, float, float]     # burger, ondernemer, instelling
    damage_median: float                    # EUR, when a damage amount is recorded
    damage_sigma: float
    damage_empty: float                     # share of rows without an amount
    delay_days: float                       # mean days between offence and registration
    codes: tuple[tuple[str, str, float], ...]  # (soort_misdrijf, incidentcode, share)


PROFILES: dict[str, ModusProfile] = {
    "phishing": ModusProfile(0.08, (.02, .10, .30, .30, .28), (.96, .03, .01), 800, 1.2, .60, 5,
                             (("3.9.3", "F600", 1.0),)),
    "vriend-in-nood": ModusProfile(0.20, (0, .02, .10, .30, .58), (.99, .01, 0), 2500, 0.6, .25, 2,
                                   (("3.9.3", "F600", 1.0),)),
    "bankhelpdeskfraude": ModusProfile(0.35, (0, .02, .10, .28, .60), (.98, .02, 0), 17000, 0.7, .20, 3,
                                       (("3.9.3", "F600", 1.0),)),
    "marktplaatsfraude": ModusProfile(0.22, (.06, .22, .45, .20, .07), (.97, .03, 0), 150, 1.0, .15, 9,
                                      (("3.9.1", "F636", 1.0),)),
    "webwinkelfraude": ModusProfile(0.15, (.05, .20, .42, .23, .10), (.94, .06, 0), 90, 1.0, .20, 21,
                                    (("3.9.1", "F636", 1.0),)),
    "identiteitsfraude": ModusProfile(0.20, (.02, .15, .40, .28, .15), (.97, .03, 0), 1000, 1.2, .70, 45,
                                      (("3.9.1", "F617", 1.0),)),
    "sextortion": ModusProfile(0.12, (.35, .35, .20, .08, .02), (1.0, 0, 0), 500, 0.8, .70, 4,
                               (("1.6.2", "", 1.0),)),
    "ransomware": ModusProfile(0.45, (0, .05, .40, .45, .10), (.05, .75, .20), 25000, 1.5, .50, 3,
                               (("3.7.4", "F90", 1.0),)),
    "hacken": ModusProfile(0.15, (.08, .17, .35, .25, .15), (.60, .32, .08), 300, 1.5, .75, 6,
                           (("3.7.4", "F90", 1.0),)),
    "ddos": ModusProfile(0.30, (.05, .15, .45, .30, .05), (.02, .68, .30), 2000, 1.2, .90, 1,
                         (("3.7.4", "F90", 1.0),)),
    "beleggingsfraude": ModusProfile(0.35, (0, .04, .25, .38, .33), (.97, .03, 0), 15000, 1.2, .15, 90,
                                     (("3.9.1", "F639", 1.0),)),
    "datingfraude": ModusProfile(0.25, (0, .05, .25, .35, .35), (1.0, 0, 0), 6000, 1.2, .20, 75,
                                 (("3.9.1", "F637", 1.0),)),
    "overig": ModusProfile(0.12, (.08, .15, .35, .25, .17), (.90, .07, .03), 400, 1.0, .60, 10,
                           (("3.9.3", "F600", 0.6), ("1.4.4", "", 0.3), ("1.4.1", "", 0.1))),
}

# Gemeenten with an older population see relatively more fraud aimed at seniors.
_GREYING = {"GM0417": 1.5, "GM0376": 1.5, "GM1696": 1.3, "GM0406": 1.3, "GM0355": 1.25,
            "GM0310": 1.25, "GM0308": 1.2, "GM0352": 1.2, "GM0402": 1.15}
_SENIOR_MODI = ("vriend-in-nood", "bankhelpdeskfraude")


class PoliceModel:
    """The region's underlying registration volumes: expected[g, modus] per month, and the
    drawn counts split into melding/aangifte. Deterministic per (seed, month)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = rng_for(seed, FEED, "profile")
        gms = gemeenten()
        rate = rng.lognormal(0.0, 0.12, len(gms))
        local_mix = rng.lognormal(0.0, 0.2, (len(gms), len(MODI)))
        for gi, g in enumerate(gms):
            for modus in _SENIOR_MODI:
                local_mix[gi, MODI.index(modus)] *= _GREYING.get(g.code, 1.0)
        mix = np.array([MODUS_MIX[m] for m in MODI])
        base = population_shares()[:, None] * rate[:, None] * mix[None, :] * local_mix
        self.base = base / base.sum() * (REGISTRATIONS_PER_YEAR / 12)
        self.aangifte_share = np.array([PROFILES[m].aangifte for m in MODI])

    def expected(self, month: Month) -> np.ndarray:
        return self.base * volume_factor(month)

    def counts(self, month: Month) -> np.ndarray:
        """[gemeente, modus, (melding, aangifte)] registrations in this month."""
        rng = rng_for(self.seed, FEED, "counts", month.compact)
        total = rng.poisson(self.expected(month))
        aangifte = rng.binomial(total, self.aangifte_share[None, :])
        return np.stack([total - aangifte, aangifte], axis=-1)


@dataclass(frozen=True)
class ExportFormat:
    """Quirks that differ between exports but are all within the spec."""

    iso_dates: bool = False       # jjjj-mm-dd instead of dd-mm-jjjj
    thousands: bool = True        # 1.234,56 instead of 1234,56
    newline: str = "\r\n"

    @classmethod
    def for_month(cls, seed: int, month: Month) -> ExportFormat:
        rng = rng_for(seed, FEED, "format", month.compact)
        return cls(iso_dates=bool(rng.random() < 0.15), thousands=bool(rng.random() < 0.85),
                   newline="\r\n" if rng.random() < 0.8 else "\n")


# --------------------------------------------------------------------------- row details
def _choice_by_group(rng: np.random.Generator, groups: np.ndarray, table: np.ndarray) -> np.ndarray:
    """For each row, an option index drawn from the probability row of its group."""
    cum = np.cumsum(table, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(groups))
    return (u[:, None] > cum[groups]).sum(axis=1)


def _table(rows: list[list], fill) -> np.ndarray:
    width = max(len(r) for r in rows)
    out = np.empty((len(rows), width), dtype=object)
    out[:] = fill
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _format_dates(ordinals: np.ndarray, iso: bool) -> np.ndarray:
    unique, inverse = np.unique(ordinals, return_inverse=True)
    texts = np.array([date.fromordinal(int(o)).isoformat() if iso else nl_date(date.fromordinal(int(o)))
                      for o in unique], dtype=object)
    return texts[inverse]


_TEMPLATES: dict[str, list[str]] = {
    "phishing": [
        "Sms ontvangen over openstaande betaling, via link inloggegevens ingevuld",
        "Mail namens de bank, op link geklikt en gegevens ingevuld",
        "Nep-sms van pakketdienst, klein bedrag betaald via betaalverzoek",
        "Valse e-mail van de Belastingdienst ontvangen",
        "Link in sms geopend; daarna rekening leeggehaald",
    ],
    "vriend-in-nood": [
        "WhatsApp-bericht van 'zoon' met nieuw nummer, geld overgemaakt",
        "Bericht van dochter via WhatsApp: telefoon kapot, rekening moest snel betaald",
        "Via WhatsApp gevraagd om twee rekeningen te betalen",
    ],
    "bankhelpdeskfraude": [
        "Gebeld door zogenaamde bankmedewerker, geld naar 'veilige rekening' overgemaakt",
        "Bankmedewerker aan de deur om pas op te halen na telefoontje",
        "Spoofing: nummer van de bank in beeld, app laten installeren",
    ],
    "marktplaatsfraude": [
        "Telefoon via Marktplaats betaald, niet geleverd",
        "Koper stuurde betaalverzoek van 1 cent, daarna rekening leeggehaald",
        "Fiets gekocht via Marktplaats, verkoper reageert niet meer",
        "Concertkaarten betaald maar nooit ontvangen",
    ],
    "webwinkelfraude": [
        "Bestelling bij webwinkel nooit geleverd, site offline",
        "Nepwebshop met sneakers, betaald met iDEAL",
        "Kleding besteld bij onbekende webshop, geen levering",
    ],
    "identiteitsfraude": [
        "Op mijn naam een telefoonabonnement afgesloten",
        "Kopie paspoort gebruikt voor aanvraag lening",
        "Account aangemaakt met mijn gegevens",
    ],
    "sextortion": [
        "Bedreigd met verspreiden van beelden, geld geëist",
        "Na videobellen afgeperst met opnames",
        "Mail met dreiging beelden te delen tenzij bitcoin betaald",
    ],
    "ransomware": [
        "Bestanden op server versleuteld, losgeld gevraagd in bitcoin",
        "Ransomware-aanval op kantoornetwerk",
        "Systemen onbruikbaar, losgeldbrief aangetroffen",
    ],
    "hacken": [
        "Instagramaccount overgenomen",
        "E-mailaccount gehackt, berichten verstuurd naar contacten",
        "Onbekende ingelogd op beheeromgeving webshop",
    ],
    "ddos": [
        "Website urenlang onbereikbaar door overbelasting",
        "DDoS-aanval op webshop tijdens actieweek",
    ],
    "beleggingsfraude": [
        "Belegd via platform uit advertentie, geld niet terug te krijgen",
        "Cryptobelegging via WhatsApp-groep; opnemen onmogelijk",
    ],
    "datingfraude": [
        "Contact via datingsite, geld gestuurd voor vliegticket",
        "Online relatie vroeg geld voor medische kosten",
    ],
    "overig": [
        "Bedreigd via sociale media",
        "Online gestalkt door ex-partner",
        "Oplichting via telefoon, verder onbekend",
    ],
}

_FIRST = ["Jan", "Sanne", "Mohamed", "Anouk", "Pieter", "Fatima", "Kees", "Lisa", "Daan", "Emma",
          "Youssef", "Marieke", "Henk", "Sophie", "Ahmet", "Ingrid"]
_LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
         "El Amrani", "Yilmaz", "van Dijk", "Bos", "Vermeulen", "van den Berg"]
_BANKS = ["ABNA", "INGB", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"]


def _pii_pool(rng: np.random.Generator, size: int = 400) -> np.ndarray:
    """Fake personal details of the kind victims type into the free text (all invented)."""
    out = []
    for _ in range(size):
        first, last = _FIRST[rng.integers(len(_FIRST))], _LAST[rng.integers(len(_LAST))]
        kind = rng.integers(4)
        if kind == 0:
            out.append(f"Dader noemde zich {first} {last}.")
        elif kind == 1:
            out.append(f"Gebeld vanaf 06-{rng.integers(10**7, 10**8)}.")
        elif kind == 2:
            iban = f"NL{rng.integers(10, 100)}{_BANKS[rng.integers(len(_BANKS))]}0{rng.integers(10**8, 10**9)}"
            out.append(f"Geld overgemaakt naar {iban} t.n.v. {first[0]}. {last}.")
        else:
            mail = f"{first.lower()}.{last.replace(' ', '').lower()}{rng.integers(10, 99)}@example.nl"
            out.append(f"Contact liep via {mail}.")
    return np.array(out, dtype=object)


def _csv_field(value: str) -> str:
    if ";" in value or '"' in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def police_columns(rng: np.random.Generator, g_idx: np.ndarray, m_idx: np.ndarray,
                   aangifte: np.ndarray, month: Month, fmt: ExportFormat,
                   number_offset: int = 0) -> dict[str, list[str]]:
    """The text of every column for the given registrations, sorted by registration date."""
    n = len(g_idx)
    gms = gemeenten()
    first = month.first_day
    weekday_weight = np.array([1.15, 1.15, 1.15, 1.15, 1.1, 0.7, 0.6])
    day_weights = np.array([weekday_weight[date(month.year, month.month, d).weekday()]
                            for d in range(1, month.days + 1)])
    reg = first.toordinal() + rng.choice(month.days, size=n, p=day_weights / day_weights.sum())
    order = np.lexsort((rng.random(n), reg))
    g_idx, m_idx, aangifte, reg = g_idx[order], m_idx[order], aangifte[order], reg[order]
    profiles = [PROFILES[m] for m in MODI]

    # Registration numbers are police-wide, so online crime takes every few numbers only.
    seq = (month.month - 1) * _NUMBER_BLOCK + number_offset + np.cumsum(rng.geometric(0.4, n))
    width = max(6, len(str(int(seq.max()) if n else 0)))
    numbers = [f"PL0900-{month.year}{s:0{width}d}" for s in seq.tolist()]

    delay_mean = np.array([p.delay_days for p in profiles])[m_idx]
    delay = np.minimum(rng.geometric(1.0 / (delay_mean + 1.0)) - 1, 730)
    pleeg = _format_dates(reg - delay, fmt.iso_dates)
    pleeg[rng.random(n) < 0.06] = ""

    known = rng.random(n) >= 0.03
    codes = np.array([g.code for g in gms], dtype=object)
    pleeggemeente = np.where(known, codes[g_idx], "")
    wijk_table = _table([wijk_codes(g) for g in gms], "")
    n_wijk = np.array([len(wijk_codes(g)) for g in gms])
    wijk_pick = (rng.random(n) * n_wijk[g_idx]).astype(int)
    wijk = np.where(known & (rng.random(n) < 0.75), wijk_table[g_idx, wijk_pick], "")

    code_probs = _table([[c[2] for c in p.codes] for p in profiles], 0.0).astype(float)
    code_pick = _choice_by_group(rng, m_idx, code_probs)
    soort_table = _table([[c[0] for c in p.codes] for p in profiles], "")
    incident_table = _table([[c[1] for c in p.codes] for p in profiles], "")
    padded_table = np.vectorize(lambda s: s.ljust(6), otypes=[object])(soort_table)
    padded = rng.random(n) < 0.15  # some exports pad the code to six characters, as CBS does
    soort = np.where(padded, padded_table[m_idx, code_pick], soort_table[m_idx, code_pick])
    incident = np.where(rng.random(n) < 0.08, "", incident_table[m_idx, code_pick])

    modi = np.array(MODI, dtype=object)[m_idx]
    registratiesoort = np.where(aangifte, "aangifte", "melding")

    victim = _choice_by_group(rng, m_idx, np.array([p.victims for p in profiles], dtype=float))
    slachtoffer_type = np.array(SLACHTOFFER_TYPES, dtype=object)[victim]

    band = _choice_by_group(rng, m_idx, np.array([p.ages for p in profiles], dtype=float))
    lo = np.array([r[0] for r in AGE_RANGES])[band]
    hi = np.array([r[1] for r in AGE_RANGES])[band]
    u = rng.random(n)
    u = np.where(band == len(AGE_RANGES) - 1, u ** 1.6, u)  # fewer 90-year-olds than 66-year-olds
    age = lo + (u * (hi - lo + 1)).astype(int)
    age_text = np.array([str(a) for a in range(111)], dtype=object)[np.clip(age, 0, 110)]
    age_text = np.where((victim == 0) & (rng.random(n) >= 0.07), age_text, "")

    median = np.array([p.damage_median for p in profiles])[m_idx]
    sigma = np.array([p.damage_sigma for p in profiles])[m_idx]
    euros = np.exp(np.log(median) + sigma * rng.standard_normal(n))
    cents = np.maximum(100, np.round(euros * 100)).astype(np.int64)
    cents = np.where(rng.random(n) < 0.45, (cents // 100) * 100, cents)
    cents = np.where(rng.random(n) < 0.02, 0, cents)
    has_damage = rng.random(n) >= np.array([p.damage_empty for p in profiles])[m_idx]
    unique, inverse = np.unique(cents, return_inverse=True)
    amount_text = np.array([nl_amount(c, fmt.thousands) for c in unique.tolist()], dtype=object)[inverse]
    schadebedrag = np.where(has_damage, amount_text, "")

    templates = _table([_TEMPLATES[m] for m in MODI], "")
    n_templates = np.array([len(_TEMPLATES[m]) for m in MODI])
    text = templates[m_idx, (rng.random(n) * n_templates[m_idx]).astype(int)]
    has_pii = rng.random(n) < 0.12
    pool = _pii_pool(rng)
    text = np.where(has_pii, text + " " + pool[rng.integers(len(pool), size=n)], text)
    text = np.where(rng.random(n) < 0.75, text, "")
    text_list = text.tolist()
    for i, t in enumerate(text_list):
        if ";" in t:  # an export quotes a free text that contains the delimiter
            text_list[i] = _csv_field(t)

    return {
        "registratienummer": numbers,
        "registratiedatum": _format_dates(reg, fmt.iso_dates).tolist(),
        "pleegdatum": pleeg.tolist(),
        "pleeggemeente": pleeggemeente.tolist(),
        "wijk": wijk.tolist(),
        "soort_misdrijf": soort.tolist(),
        "incidentcode": incident.tolist(),
        "modus": modi.tolist(),
        "registratiesoort": registratiesoort.tolist(),
        "slachtoffer_type": slachtoffer_type.tolist(),
        "slachtoffer_leeftijd": age_text.tolist(),
        "schadebedrag": schadebedrag.tolist(),
        "omschrijving": text_list,
    }


def render_csv(columns: dict[str, list[str]], fmt: ExportFormat) -> bytes:
    lines = [";".join(COLUMNS)]
    lines.extend(map(";".join, zip(*(columns[c] for c in COLUMNS))))
    return (fmt.newline.join(lines) + fmt.newline).encode("utf-8")


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[g, m, soort] counts -> one (g, m, is_aangifte) triple per registration."""
    flat = counts.reshape(-1)
    cells = np.repeat(np.arange(flat.size), flat)
    g, rest = np.divmod(cells, counts.shape[1] * 2)
    m, soort = np.divmod(rest, 2)
    return g, m, soort == 1


def month_file(model: PoliceModel, month: Month, fmt: ExportFormat | None = None) -> bytes:
    fmt = fmt or ExportFormat.for_month(model.seed, month)
    g, m, aangifte = _expand(model.counts(month))
    rng = rng_for(model.seed, FEED, "rows", month.compact)
    return render_csv(police_columns(rng, g, m, aangifte, month, fmt), fmt)


def corrected_month_file(model: PoliceModel, month: Month, share: float = 0.03) -> bytes:
    """The month redelivered: the same registrations plus a few that were registered late
    (numbers from a later block, so they never collide with the first delivery)."""
    fmt = ExportFormat.for_month(model.seed, month)
    g, m, aangifte = _expand(model.counts(month))
    columns = police_columns(rng_for(model.seed, FEED, "rows", month.compact), g, m, aangifte, month, fmt)
    rng = rng_for(model.seed, FEED, "late", month.compact)
    late = max(1, int(len(g) * share))
    pick = rng.choice(len(g), size=late)
    extra = police_columns(rng, g[pick], m[pick], aangifte[pick], month, fmt, number_offset=30_000)
    return render_csv({c: columns[c] + extra[c] for c in COLUMNS}, fmt)


def generate_police(seed: int, months: list[Month]) -> list[tuple[str, bytes]]:
    model = PoliceModel(seed)
    return [(file_key(month), month_file(model, month)) for month in months]


def write_police_bench_file(path: Path, rows: int = 1_000_000, seed: int = 1, month: str = "2026-01") -> Path:
    """One valid monthly file (by default January 2026) with exactly `rows` registrations, for the
    benchmark; name the file registraties_online_JJJJMM.csv after `month`."""
    month = Month.parse(month)
    model = PoliceModel(seed)
    rng = rng_for(seed, FEED, "bench", rows, month.compact)
    expected = model.expected(month).ravel()
    cells = rng.choice(expected.size, size=rows, p=expected / expected.sum())
    g, m = np.divmod(cells, len(MODI))
    aangifte = rng.random(rows) < model.aangifte_share[m]
    fmt = ExportFormat()
    data = render_csv(police_columns(rng, g, m, aangifte, month, fmt), fmt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
