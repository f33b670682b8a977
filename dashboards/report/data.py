"""What the documents show, read from `reporting.lokaal_beeld_kwartaal` and the other relations of
the local picture (damage, the partners' fraud reports, activities, local phenomena), nothing
outside reporting.

One loader for the three documents: a gemeente (for its driehoek), a district (for its werkgroep:
its gemeenten side by side) and the region (the unit-wide cyber picture for the stuurgroep: the
districts side by side). The gemeente and region documents read as reporter_regio, a district
document as the district's own role, so row-level security proves it shows nothing of another
district; the disclosure rules are those of the relations, the same for all three."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row, tuple_row

from config import Role
from warehouse.connection import connect

ROLE = Role.REPORTER_REGIO
NIVEAUS = ("gemeente", "district", "regio")
# The areas a document compares its subject with, and the areas it shows side by side.
PARENTS = {"gemeente": ("basisteam", "district", "regio"), "district": ("regio",), "regio": ()}
CHILDREN = {"gemeente": None, "district": "gemeente", "regio": "district"}
SOURCE = "reporting.lokaal_beeld_kwartaal"
KWARTAAL_RE = re.compile(r"^(\d{4})-Q([1-4])$")
TREND_KWARTALEN = 8
LEEFTIJD_ORDER = ["0-17", "18-24", "25-44", "45-64", "65+", "onbekend"]
UITSPLITSINGEN = [
    ("categorie", "Soort online criminaliteit"),
    ("modus", "Modus"),
    ("registratiesoort", "Aangifte of melding"),
    ("leeftijdsklasse", "Leeftijd slachtoffer"),
    ("slachtoffer_type", "Soort slachtoffer"),
]


class ReportInputError(ValueError):
    pass


@dataclass(frozen=True)
class Cel:
    """One published cell: `weergave` is what may be shown ('<5', 'x' or the number)."""

    niveau: str
    gebied_code: str
    gebied_naam: str
    periode: str
    waarde: str
    aantal: int | None
    weergave: str
    per_10000: Decimal | None
    vorig_jaar: int | None
    verandering_pct: Decimal | None
    inwoners: int | None


@dataclass(frozen=True)
class Gebied:
    niveau: str
    code: str
    naam: str


@dataclass(frozen=True)
class Tabel:
    """A small table of published labels ('<5', 'x', 'onbekend' or the number), ready to show."""

    titel: str
    toelichting: str
    kolommen: list[str]
    rijen: list[list[str]]


# The rest of the local picture, each from its own disclosure-controlled relation: (title,
# explanation, column headers, SQL returning the label columns in that order for the gemeente
# %(c)s and quarter %(p)s). Only weergave columns: they are what may be shown.
AANVULLEND = [
    ("Schade bij registraties",
     "Geregistreerde schade in euro's. Een bedrag staat er alleen als er minstens 5 registraties met "
     "schade achter zitten en geen enkel slachtoffer meer dan de helft van het bedrag verloor; anders x.",
     ["Onderdeel", "Registraties", "Schade (euro)"],
     """select case when uitsplitsing = 'totaal' then 'Totaal' else waarde end,
               coalesce(aantal_registraties::text, 'x'), schade_weergave
        from reporting.schade_kwartaal
        where niveau = %(n)s and gebied_code = %(c)s and periode = %(p)s
          and uitsplitsing in ('totaal', 'categorie')
        order by (uitsplitsing = 'totaal') desc, waarde"""),
    ("Fraudemeldingen bij banken en Fraudehelpdesk",
     "Meldingen die banken en de Fraudehelpdesk kregen; veel slachtoffers melden bij hun bank en niet "
     "bij de politie. Schade alleen bij minstens 5 getoonde gedupeerden.",
     ["Fraudetype", "Meldingen", "Gedupeerden", "Schade (euro)"],
     """select case when uitsplitsing = 'totaal' then 'Totaal' else waarde end,
               aantal_weergave, aantal_gedupeerden_weergave, schade_weergave
        from reporting.fraudemeldingen_kwartaal
        where niveau = %(n)s and gebied_code = %(c)s and periode = %(p)s
          and uitsplitsing in ('totaal', 'fraudetype') and (aantal is null or aantal > 0)
        order by (uitsplitsing = 'totaal') desc, aantal desc nulls last, waarde"""),
    ("Preventieactiviteiten en bereik per doelgroep",
     "Activiteiten in het gebied en het aantal bereikte mensen per doelgroep; onbekend betekent dat "
     "geen activiteit het bereik opgaf.",
     ["Doelgroep", "Activiteiten", "Bereik"],
     """select case when uitsplitsing = 'totaal' then 'Alle doelgroepen' else waarde end,
               aantal_weergave, bereik_weergave
        from reporting.activiteiten_kwartaal
        where niveau = %(n)s and gebied_code = %(c)s and periode = %(p)s
          and uitsplitsing in ('totaal', 'doelgroep')
        order by (uitsplitsing = 'totaal') desc, waarde"""),
    ("RIEC-casussen die het gebied raken",
     "Casussen van het RIEC Midden-Nederland die aan het eind van het kwartaal liepen en het gebied "
     "raken. Op gemeenteniveau meestal <5: het gaat om georganiseerde criminaliteit.",
     ["Onderdeel", "Casussen"],
     """select case when uitsplitsing = 'totaal' then 'Totaal' else waarde end, aantal_weergave
        from reporting.riec_casussen_kwartaal
        where niveau = %(n)s and gebied_code = %(c)s and periode = %(p)s
        order by case uitsplitsing when 'totaal' then 1 when 'fase' then 2 else 3 end, waarde"""),
]


# Local phenomena (reporting.lokale_fenomenen_kwartaal): the modi whose registrations rose beyond
# chance, of the gemeente itself, of the gemeenten of a district, or of every gemeente for the
# region; and how many gemeente x modus pairs were tested in that scope (to judge chance flags).
FENOMENEN_SQL = """
    select gemeentecode, gebied_naam, district, waarde, aantal_vorig_jaar_weergave, aantal_weergave,
           p_waarde, opvallend
    from reporting.lokale_fenomenen_kwartaal
    where niveau = 'gemeente' and periode = %(p)s and p_waarde is not null
      and (%(n)s = 'regio' or (%(n)s = 'gemeente' and gemeentecode = %(c)s)
           or (%(n)s = 'district' and district = %(c)s))
    order by district, gebied_naam, p_waarde, waarde"""


@dataclass(frozen=True)
class Fenomeen:
    """A modus that rose beyond chance in a gemeente; counts as published ('<5', 'x' or number)."""

    gemeentecode: str
    gemeente: str
    district: str | None
    modus: str
    vorig_jaar: str
    dit_kwartaal: str
    p_waarde: Decimal


@dataclass
class ReportData:
    gebied: Gebied                    # the subject: a gemeente, a district or the region
    basisteam: Gebied | None
    district: Gebied | None
    regio: Gebied | None
    kwartaal: str
    kerncijfers: list[Cel]            # totaal for the subject and the areas above it
    trend: dict[str, list[Cel]]       # niveau -> totaal cells per quarter, oldest first
    uitsplitsingen: list[tuple[str, str, list[Cel], dict[str, Cel]]]  # key, label, gemeente cells, regio by waarde
    aanvullend: list[Tabel]
    onderdelen: list[Cel]             # totaal of the areas within the subject (district: gemeenten; region: districts)
    fenomenen: list[Fenomeen]         # opvallende stijgingen in the subject's gemeenten
    fenomenen_getoetst: int           # gemeente x modus pairs tested in that scope

    @property
    def niveau(self) -> str:
        return self.gebied.niveau


_COLUMNS = """niveau, gebied_code, gebied_naam, periode, waarde, aantal, aantal_weergave, per_10000_inwoners,
              aantal_vorig_jaar, verandering_pct, inwoners"""


def _cel(row: dict) -> Cel:
    return Cel(row["niveau"], row["gebied_code"], row["gebied_naam"], row["periode"], row["waarde"],
               row["aantal"], row["aantal_weergave"], row["per_10000_inwoners"], row["aantal_vorig_jaar"],
               row["verandering_pct"], row["inwoners"])


def _subject(conn: psycopg.Connection, niveau: str, naam: str | None) -> tuple[Gebied, str | None, str | None]:
    """The subject area by code or name (any case), with its basisteam and district codes."""
    row = conn.execute(
        f"""select gebied_code, gebied_naam, basisteam_code, district from {SOURCE}
            where niveau = %(n)s and (%(g)s::text is null or upper(gebied_code) = upper(%(g)s)
                                      or lower(gebied_naam) = lower(%(g)s))
            order by periode desc limit 1""", {"n": niveau, "g": naam.strip() if naam else None}).fetchone()
    if row is None:
        label = {"gemeente": "gemeente", "district": "district", "regio": "regio"}[niveau]
        raise ReportInputError(f"Onbekende {label} {naam!r}: niet gevonden in {SOURCE}")
    return Gebied(niveau, row["gebied_code"], row["gebied_naam"]), row["basisteam_code"], row["district"]


def _gebied(conn: psycopg.Connection, niveau: str, code: str | None) -> Gebied | None:
    if niveau != "regio" and code is None:
        return None
    row = conn.execute(
        f"""select gebied_code, gebied_naam from {SOURCE}
            where niveau = %(n)s and (%(c)s::text is null or gebied_code = %(c)s) limit 1""",
        {"n": niveau, "c": code}).fetchone()
    return Gebied(niveau, row["gebied_code"], row["gebied_naam"]) if row else None


def resolve(url: str, *, niveau: str, gebied: str | None) -> Gebied:
    """The area a name or code stands for (as the region's role, which sees every area)."""
    if niveau not in NIVEAUS:
        raise ReportInputError(f"Niveau {niveau!r}: gemeente, district of regio")
    with connect(url, role=ROLE) as conn:
        conn.row_factory = dict_row  # type: ignore[assignment]
        return _subject(conn, niveau, gebied)[0]


def load(url: str, *, gemeente: str, kwartaal: str) -> ReportData:
    """The local picture of one gemeente (for its driehoek)."""
    return load_area(url, niveau="gemeente", gebied=gemeente, kwartaal=kwartaal)


def load_area(url: str, *, niveau: str, gebied: str | None, kwartaal: str, role: str = ROLE) -> ReportData:
    """The picture of one gemeente, district or the region (`gebied` None) as `role` sees it."""
    if niveau not in NIVEAUS:
        raise ReportInputError(f"Niveau {niveau!r}: gemeente, district of regio")
    if not KWARTAAL_RE.match(kwartaal):
        raise ReportInputError(f"Kwartaal {kwartaal!r} moet de vorm JJJJ-Qn hebben, bijvoorbeeld 2026-Q1")
    with connect(url, role=role) as conn:
        conn.row_factory = dict_row  # type: ignore[assignment]
        conn.execute("set transaction read only")
        subject, basisteam_code, district_code = _subject(conn, niveau, gebied)
        if conn.execute(f"select 1 from {SOURCE} where periode = %s limit 1", (kwartaal,)).fetchone() is None:
            known = [r["periode"] for r in conn.execute(f"select distinct periode from {SOURCE} order by 1").fetchall()]
            raise ReportInputError(f"Geen cijfers voor {kwartaal}; beschikbaar: {', '.join(known) or 'geen'}")
        codes = {"basisteam": basisteam_code, "district": district_code, "regio": None}
        above = {n: _gebied(conn, n, codes[n]) for n in PARENTS[niveau]}
        present = [subject] + [g for g in above.values() if g is not None]

        def cells(where: str, params: dict) -> list[Cel]:
            rows = conn.execute(f"select {_COLUMNS} from {SOURCE} where {where}", params).fetchall()
            return [_cel(r) for r in rows]

        order = {"gemeente": 0, "basisteam": 1, "district": 2, "regio": 3}
        kern = []
        for g in present:
            kern += cells("niveau = %(n)s and gebied_code = %(c)s and uitsplitsing = 'totaal' and periode = %(p)s",
                          {"n": g.niveau, "c": g.code, "p": kwartaal})
        kern.sort(key=lambda c: order[c.niveau])

        onderdelen: list[Cel] = []
        child = CHILDREN[niveau]
        if child:
            within = "true" if niveau == "regio" else "district = %(c)s"
            onderdelen = sorted(cells(f"niveau = %(k)s and {within} and uitsplitsing = 'totaal' and periode = %(p)s",
                                      {"k": child, "c": subject.code, "p": kwartaal}), key=lambda c: c.gebied_naam)

        trend: dict[str, list[Cel]] = {}
        for g in present:
            if g.niveau == "basisteam":
                continue
            series = cells("niveau = %(n)s and gebied_code = %(c)s and uitsplitsing = 'totaal' and periode <= %(p)s",
                           {"n": g.niveau, "c": g.code, "p": kwartaal})
            trend[g.niveau] = sorted(series, key=lambda c: c.periode)[-TREND_KWARTALEN:]

        regio = subject if niveau == "regio" else above.get("regio")
        splits = []
        for key, label in UITSPLITSINGEN:
            own = cells("niveau = %(n)s and gebied_code = %(c)s and uitsplitsing = %(u)s and periode = %(p)s",
                        {"n": niveau, "c": subject.code, "u": key, "p": kwartaal})
            ref = {c.waarde: c for c in cells(
                "niveau = 'regio' and uitsplitsing = %(u)s and periode = %(p)s",
                {"u": key, "p": kwartaal})} if regio else {}
            if key == "leeftijdsklasse":
                own.sort(key=lambda c: LEEFTIJD_ORDER.index(c.waarde) if c.waarde in LEEFTIJD_ORDER else 99)
            else:
                # Largest first; hidden cells last, since their size is not shown.
                own.sort(key=lambda c: (c.aantal is None, -(c.aantal or 0), c.waarde))
            splits.append((key, label, own, ref))

        tabellen = []
        for titel, toelichting, kolommen, query in AANVULLEND:
            with conn.cursor(row_factory=tuple_row) as cur:  # the columns are positional
                rows = cur.execute(query, {"n": niveau, "c": subject.code, "p": kwartaal}).fetchall()
            tabellen.append(Tabel(titel, toelichting, kolommen, [list(r) for r in rows]))
        getoetst = conn.execute(FENOMENEN_SQL, {"n": niveau, "c": subject.code, "p": kwartaal}).fetchall()
        fenomenen = [Fenomeen(r["gemeentecode"], r["gebied_naam"], r["district"], r["waarde"],
                              r["aantal_vorig_jaar_weergave"] or "–", r["aantal_weergave"], r["p_waarde"])
                     for r in getoetst if r["opvallend"]]
    return ReportData(gebied=subject, basisteam=above.get("basisteam"), district=above.get("district"),
                      regio=regio, kwartaal=kwartaal, kerncijfers=kern, trend=trend, uitsplitsingen=splits,
                      aanvullend=tabellen, onderdelen=onderdelen, fenomenen=fenomenen,
                      fenomenen_getoetst=len(getoetst))
