"""All synthetic deliveries of a period, in batches that must be ingested one after another.

Batch 0 is what the partners deliver in the normal course of the period. With `defects=True`
it carries a realistic share of problems (some files in Windows-1252 or with a BOM, code variants,
a few bad rows, a quarantined partner file), and a batch 1 follows with deliveries that reuse a
name from batch 0 and therefore can only land after batch 0 was ingested: a broken redelivery of
a police month that must be refused whole, a corrected redelivery of another police month, a
corrected OM quarter and fraud report, an activity correction and a revised CBS file.
"""
from __future__ import annotations

import random
from collections.abc import Callable

from synthetic import activiteiten, cbs, fraudemeldingen, om, politie, riec
from synthetic.common import Month, months_between, quarters_within, rng_for
from synthetic.defects import DEFECTS

Batch = list[tuple[str, bytes]]

FEEDS: tuple[str, ...] = ("politie_registraties", "om_instroom", "riec_casussen", "activiteiten",
                          "fraudemeldingen", "veiligheidsmonitor", "bevolking")

# Row defects used for the "< 5% bad rows" months (each clearly wrong on its own).
_POLICE_ROW_DEFECTS = ("unknown_gemeente_code", "gemeente_outside_unit", "invalid_date",
                       "registratiedatum_outside_month", "pleegdatum_after_registratiedatum",
                       "age_out_of_range", "negative_schadebedrag", "malformed_schadebedrag",
                       "duplicate_registratienummer", "wijk_not_in_pleeggemeente", "invalid_modus",
                       "missing_required_value", "ragged_row")


def _apply(name: str, data: bytes, **kwargs) -> bytes:
    return DEFECTS[name](data, **kwargs)


def _mix_rng(seed: int, feed: str) -> random.Random:
    return random.Random(int(rng_for(seed, "mix", feed).integers(2**31)))


def _spread(rnd: random.Random, count: int, plan: list[str]) -> dict[int, list[str]]:
    """Assign each planned defect to a file index, as spread out as the number of files allows."""
    order = list(range(count))
    rnd.shuffle(order)
    out: dict[int, list[str]] = {}
    for i, name in enumerate(plan):
        out.setdefault(order[i % count], []).append(name)
    return out


# --------------------------------------------------------------------------- police
def _police(seed: int, months: list[Month], defects: bool) -> tuple[Batch, Batch]:
    model = politie.PoliceModel(seed)
    files = [(politie.file_key(m), politie.month_file(model, m)) for m in months]
    if not defects:
        return files, []
    rnd = _mix_rng(seed, politie.FEED)
    plan = (["bad_rows"] * 5 + ["windows_1252"] * 3 + ["utf8_bom"] * 2 + ["gemeente_code_variants"] * 4
            + ["merged_gemeente_codes"] * 2 + ["trailing_spaces_in_codes"] * 2 + ["header_case_and_order"]
            + ["mixed_date_formats"])
    assigned = _spread(rnd, len(files), plan)
    bad_row_months: list[int] = []
    for index, names in assigned.items():
        key, data = files[index]
        for name in sorted(set(names), key=_police_order):
            if name == "bad_rows":
                bad_row_months.append(index)
                for row_defect in rnd.sample(_POLICE_ROW_DEFECTS, 2):
                    data = _apply(row_defect, data, seed=rnd.randrange(10**6))
            elif name == "utf8_bom":
                if "windows_1252" not in names:  # one encoding per file
                    data = _apply(name, data)
            elif name == "header_case_and_order":
                data = _apply(name, data, seed=index)
            else:
                data = _tolerant(name, data, seed=rnd.randrange(10**6))
        files[index] = (key, data)

    later: Batch = []
    corrected = bad_row_months[0] if bad_row_months else len(months) - 1
    refused = next((i for i in range(len(months) - 1, -1, -1) if i != corrected), None)
    if refused is not None:
        later.append((politie.file_key(months[refused]),
                      _apply("missing_required_column", politie.month_file(model, months[refused]))))
    later.append((politie.file_key(months[corrected]), politie.corrected_month_file(model, months[corrected])))
    return files, later


def _police_order(name: str) -> int:
    # Row edits first, encodings last, so that every defect sees (and keeps) the others.
    return ["bad_rows", "merged_gemeente_codes", "gemeente_code_variants", "trailing_spaces_in_codes",
            "mixed_date_formats", "header_case_and_order", "windows_1252", "utf8_bom"].index(name)


def _tolerant(name: str, data: bytes, **kwargs) -> bytes:
    """A quirk on as many rows as the file has (tiny test ranges can have few suitable rows)."""
    for n in (20, 6, 2, 1):
        try:
            return _apply(name, data, n=n, **kwargs)
        except ValueError:
            continue
    return data


# --------------------------------------------------------------------------- other feeds
def _om(seed: int, start: Month, end: Month, defects: bool) -> tuple[Batch, Batch]:
    model = politie.PoliceModel(seed)
    quarters = quarters_within(start, end)
    files = [(om.file_key(y, q), om.quarter_file(model, y, q)) for y, q in quarters]
    if not defects or not files:
        return files, []
    rnd = _mix_rng(seed, om.FEED)
    plan = ["om_beslisdatum_before_instroomdatum", "om_text_dates", "om_formula_cells", "om_missing_totaal_row"]
    assigned = _spread(rnd, len(files), plan)
    for index, names in assigned.items():
        key, data = files[index]
        for name in names:
            data = _apply(name, data, seed=index) if DEFECTS[name].outcome == "rows_rejected" else _apply(name, data)
        files[index] = (key, data)
    first_bad = next(i for i, names in assigned.items() if plan[0] in names)
    y, q = quarters[first_bad]
    return files, [(om.file_key(y, q), om.quarter_file(model, y, q, days_after=120))]


def _riec(seed: int, months: list[Month], defects: bool) -> Batch:
    files = riec.generate_riec(seed, months)
    if defects:
        rnd = _mix_rng(seed, riec.FEED)
        for index, names in _spread(rnd, len(files), ["riec_gemeente_outside_district", "riec_text_dates"]).items():
            key, data = files[index]
            for name in names:
                data = _apply(name, data, seed=index) if name != "riec_text_dates" else _apply(name, data)
            files[index] = (key, data)
    return files


def _activiteiten(seed: int, start: Month, end: Month, defects: bool) -> tuple[Batch, Batch]:
    files = activiteiten.generate_activiteiten(seed, start, end)
    if not defects:
        return files, []
    rnd = _mix_rng(seed, activiteiten.FEED)
    gemeente_csv = [i for i, (k, _) in enumerate(files) if k.startswith("gemeenten/") and k.endswith(".csv")]
    if not gemeente_csv:
        return files, []
    by_gemeente: dict[str, list[int]] = {}
    for i in gemeente_csv:
        by_gemeente.setdefault(files[i][0].split("/")[1], []).append(i)
    for code in rnd.sample(sorted(by_gemeente), min(2, len(by_gemeente))):
        for i in by_gemeente[code]:
            files[i] = (files[i][0], _apply("activiteiten_windows_1252", files[i][1], seed=i))
    other = rnd.choice(gemeente_csv)
    files[other] = (files[other][0], _apply("activiteiten_other_gemeente", files[other][1], seed=other))
    corrected = rnd.choice(gemeente_csv)
    key, data = files[corrected]
    return files, [(key.removesuffix(".csv") + "_correctie.csv", _more_reach(data))]


def _more_reach(data: bytes) -> bytes:
    """A gemeente re-sends a file with updated reach for activities outside the KPI campaigns."""
    from synthetic.csvfile import CsvFile

    f = CsvFile.parse(data)
    b, c = f.index("bereik"), f.index("campagne")
    for row in f.rows:
        if row[b].strip() and row[c] not in ("Echt-Nep", "#EchtNietVandaag"):
            row[b] = str(int(row[b]) + 5)
    return f.to_bytes()


def _fraudemeldingen(seed: int, months: list[Month], defects: bool) -> tuple[Batch, Batch]:
    model = politie.PoliceModel(seed)
    files = fraudemeldingen.generate_fraudemeldingen(seed, months)
    if not defects:
        return files, []
    rnd = _mix_rng(seed, fraudemeldingen.FEED)
    index = {k: i for i, (k, _) in enumerate(files)}
    def pick(partner):
        return index[fraudemeldingen.file_key(partner, rnd.choice(months))]
    mismatch = pick("bank-a")
    for i, name in ((pick("fraudehelpdesk"), "fraudemeldingen_gedupeerden_above_meldingen"),
                    (pick("bank-b"), "fraudemeldingen_code_variants"),
                    (mismatch, "fraudemeldingen_partner_mismatch")):
        files[i] = (files[i][0], _apply(name, files[i][1], seed=i))
    key = files[mismatch][0]
    month = Month.parse(f"{key[-11:-7]}-{key[-7:-5]}")
    return files, [(key, fraudemeldingen.encode(fraudemeldingen.month_document(model, "bank-a", month)))]


def _veiligheidsmonitor(seed: int, start: Month, end: Month, defects: bool) -> tuple[Batch, Batch]:
    files = cbs.generate_veiligheidsmonitor(seed, start, end)
    if not defects or not files:
        return files, []
    year = cbs.vm_years(start, end)[-1]
    rows = cbs.vm_rows(seed, year)
    for row in rows:  # CBS revises a few gemeente estimates after reweighting
        if row[1].startswith("GM") and row[3] != cbs.UNKNOWN and row[1] in ("GM0344", "GM0307", "GM0034"):
            row[3] = f"{float(row[3]) + 0.2:.1f}"
    return files, [(cbs.vm_key(year, "_herzien"), cbs.render(cbs.VM_COLUMNS, rows))]


# --------------------------------------------------------------------------- entry point
def build_deliveries(*, start: str, end: str, seed: int, defects: bool = False,
                     feeds: list[str] | None = None) -> list[Batch]:
    """[batch 0, batch 1, ...]; each batch is a list of (landing key, bytes). Pure: no I/O."""
    unknown = set(feeds or ()) - set(FEEDS)
    if unknown:
        raise ValueError(f"unknown feed(s) {sorted(unknown)}; known: {', '.join(FEEDS)}")
    selected = [f for f in FEEDS if feeds is None or f in feeds]
    first, last = Month.parse(start), Month.parse(end)
    months = months_between(first, last)
    builders: dict[str, Callable[[], tuple[Batch, Batch]]] = {
        "politie_registraties": lambda: _police(seed, months, defects),
        "om_instroom": lambda: _om(seed, first, last, defects),
        "riec_casussen": lambda: (_riec(seed, months, defects), []),
        "activiteiten": lambda: _activiteiten(seed, first, last, defects),
        "fraudemeldingen": lambda: _fraudemeldingen(seed, months, defects),
        "veiligheidsmonitor": lambda: _veiligheidsmonitor(seed, first, last, defects),
        "bevolking": lambda: (cbs.generate_bevolking(seed, first, last), []),
    }
    batches: list[Batch] = [[], []]
    for feed in selected:
        now, later = builders[feed]()
        batches[0].extend(now)
        batches[1].extend(later)
    return [batch for batch in batches if batch] or [[]]
