"""Each of the seven feeds: a valid delivery loads with exact counts, the same bytes again are
recognised, a redelivery for the same period replaces the earlier one (history kept)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from ingest.contracts import load_contract
from ingest.landing import LocalLandingZone
from synthetic import DEFECTS, build_deliveries
from tests.ingest.helpers import FEED_SAMPLES, feed_sample, run

SAMPLES = {**FEED_SAMPLES, "activiteiten": "gemeenten/GM0353/activiteiten/"}


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    (batch,) = build_deliveries(start="2024-01", end="2026-10", seed=11)
    return dict(batch)


def sample(feed: str, files: dict[str, bytes]) -> tuple[str, bytes]:
    return feed_sample(feed, files, activities_folder="gemeenten/GM0353/activiteiten/")


def independent_row_count(key: str, data: bytes) -> int:
    """Counted without the platform's readers: lines, sheet rows minus the totals row, records."""
    if key.endswith(".json"):
        return len(json.loads(data)["records"])
    if key.endswith(".xlsx"):
        contract = load_contract("om_instroom" if key.startswith("om/") else "riec_casussen")
        sheet = load_workbook(io.BytesIO(data), read_only=True)[contract.xlsx.sheet]
        rows = [r for r in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in r)][1:]
        return len([r for r in rows if not str(r[0]).startswith("Totaal")])
    return len([line for line in data.decode("utf-8-sig").splitlines() if line.strip()]) - 1


def raw_count(url: str, feed: str, current_only: bool = True) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"select count(*) from raw.{feed} r join audit.deliveries d using (delivery_id)"
            + (" where d.is_current" if current_only else "")).fetchone()[0]


@pytest.mark.parametrize("feed", sorted(SAMPLES))
def test_valid_delivery_loads_exact_counts_and_duplicate_is_recognised(feed, files, fresh_warehouse_url,
                                                                       pseudonym_key, tmp_path: Path):
    key, data = sample(feed, files)
    expected = independent_row_count(key, data)
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, data)
    (first,) = run(zone, fresh_warehouse_url)
    assert (first.status, first.rows_received, first.rows_loaded, first.rows_rejected) == \
        ("loaded", expected, expected, 0), first.as_dict()
    assert raw_count(fresh_warehouse_url, feed) == expected
    zone.put(key, data)
    (second,) = run(zone, fresh_warehouse_url)
    assert second.status == "duplicate"
    assert raw_count(fresh_warehouse_url, feed) == expected


PERIOD_FEEDS = {"politie_registraties": "missing_required_value", "om_instroom": "om_invalid_beslissing",
                "riec_casussen": "riec_invalid_fase", "fraudemeldingen": "fraudemeldingen_unknown_fraudetype"}


@pytest.mark.parametrize("feed", sorted(PERIOD_FEEDS))
def test_redelivery_for_the_same_period_replaces_and_keeps_history(feed, files, fresh_warehouse_url,
                                                                    pseudonym_key, tmp_path: Path):
    key, data = sample(feed, files)
    corrected = DEFECTS[PERIOD_FEEDS[feed]](data)  # other bytes, some rows fewer accepted
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, data)
    (first,) = run(zone, fresh_warehouse_url)
    zone.put(key, corrected)
    (second,) = run(zone, fresh_warehouse_url)
    assert (first.status, second.status) == ("loaded", "loaded")
    bad = DEFECTS[PERIOD_FEEDS[feed]].bad_rows
    assert raw_count(fresh_warehouse_url, feed) == second.rows_loaded == first.rows_loaded - bad
    assert raw_count(fresh_warehouse_url, feed, current_only=False) == first.rows_loaded + second.rows_loaded
    with psycopg.connect(fresh_warehouse_url) as conn:
        superseded_by = conn.execute("select superseded_by from audit.deliveries where delivery_id = %s",
                                     (first.delivery_id,)).fetchone()[0]
    assert superseded_by == second.delivery_id


def test_activity_for_another_gemeente_is_rejected_the_rest_loads(files, fresh_warehouse_url, pseudonym_key,
                                                                  tmp_path: Path):
    key, data = sample("activiteiten", files)
    assert key.startswith("gemeenten/GM0353/activiteiten/")
    lines = data.decode("utf-8-sig").splitlines()
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = lines[0].split(delimiter)
    foreign = lines[1].split(delimiter)
    foreign[header.index("gemeente")] = "GM0307"
    foreign[header.index("titel")] = "Voorlichting in Amersfoort"
    broken = "\n".join(lines + [delimiter.join(foreign)]).encode("utf-8")
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, broken)
    (result,) = run(zone, fresh_warehouse_url)
    assert (result.status, result.rows_rejected, result.rows_loaded) == ("loaded", 1, len(lines) - 1)
    assert "niet de gemeente van deze map (GM0353)" in result.reasons[0]
    with psycopg.connect(fresh_warehouse_url) as conn:
        gemeenten = {g for (g,) in conn.execute("select distinct gemeente from raw.activiteiten")}
        partner = conn.execute("select partner from audit.deliveries").fetchone()[0]
    assert gemeenten <= {"GM0353", None} and partner == "GM0353"


def test_fraud_reports_from_another_partners_folder_are_quarantined(files, fresh_warehouse_url, pseudonym_key,
                                                                    tmp_path: Path):
    key, data = sample("fraudemeldingen", files)
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key.replace("partners/fraudehelpdesk/", "partners/bank-a/"), data)
    (result,) = run(zone, fresh_warehouse_url)
    assert result.status == "quarantined"
    assert "is niet gelijk aan de partner van de map" in result.reasons[0]
    assert raw_count(fresh_warehouse_url, "fraudemeldingen") == 0


def test_cbs_dot_is_stored_as_unknown_never_zero(files, fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    key, data = sample("veiligheidsmonitor", files)
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, DEFECTS["vm_dot_values"](data))
    (result,) = run(zone, fresh_warehouse_url)
    assert result.status == "loaded" and result.rows_rejected == 0
    with psycopg.connect(fresh_warehouse_url) as conn:
        nulls, zeros = conn.execute(
            "select count(*) filter (where waarde is null), count(*) filter (where waarde = 0)"
            " from raw.veiligheidsmonitor").fetchone()
    assert nulls > 0 and zeros == 0


def test_om_totals_row_is_not_loaded(files, fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    key, data = sample("om_instroom", files)
    sheet = load_workbook(io.BytesIO(data), read_only=True)["Instroom"]
    last = [r for r in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in r)][-1]
    assert str(last[0]).startswith("Totaal")
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, data)
    (result,) = run(zone, fresh_warehouse_url)
    assert result.rows_loaded == int(last[1])  # the export's own total matches what was loaded


def _edit_xlsx(data: bytes, sheet: str, column: str, value) -> bytes:
    """Change one cell (the first data row) of a workbook, as a partner's export might."""
    workbook = load_workbook(io.BytesIO(data))
    ws = workbook[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index(column) + 1).value = value  # cell(value=None) would not clear
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _edit_csv(data: bytes, column: str, value: str, delimiter: str = ",") -> bytes:
    lines = data.decode("utf-8-sig").splitlines()
    header = lines[0].split(delimiter)
    first = lines[1].split(delimiter)
    first[header.index(column)] = value
    return "\n".join([lines[0], delimiter.join(first), *lines[2:]]).encode("utf-8")


RULES_NOT_IN_THE_DEFECT_LIBRARY = {
    "riec startdatum required": ("riec_casussen", lambda d: _edit_xlsx(d, "Casussen", "startdatum", None),
                                 "startdatum: verplicht veld is leeg"),
    "riec online_component ja/nee": ("riec_casussen", lambda d: _edit_xlsx(d, "Casussen", "online_component", "soms"),
                                     "online_component: geen ja of nee"),
    "riec fenomeen": ("riec_casussen", lambda d: _edit_xlsx(d, "Casussen", "fenomeen", "skimming"),
                      "fenomeen: geen toegestane waarde"),
    "riec interventies >= 0": ("riec_casussen", lambda d: _edit_xlsx(d, "Casussen", "interventies", -2),
                               "interventies: moet minimaal 0 liggen"),
    "vm bron": ("veiligheidsmonitor", lambda d: _edit_csv(d, "bron", "Enquete"),
                "bron: geen toegestane waarde"),
    "vm jaar": ("veiligheidsmonitor", lambda d: _edit_csv(d, "jaar", "twintig"),
                "jaar: geen geheel getal"),
    "bevolking inwoners required": ("bevolking", lambda d: _edit_csv(d, "inwoners", ""),
                                    "inwoners: verplicht veld is leeg"),
}


@pytest.mark.parametrize("case", sorted(RULES_NOT_IN_THE_DEFECT_LIBRARY))
def test_remaining_rules_reject_the_row(case, files, fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    feed, edit, reason = RULES_NOT_IN_THE_DEFECT_LIBRARY[case]
    key, data = sample(feed, files)
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, edit(data))
    (result,) = run(zone, fresh_warehouse_url)
    assert (result.status, result.rows_rejected) == ("loaded", 1), result.as_dict()
    assert reason in result.reasons[0] and "regel 2" in result.reasons[0], result.reasons


def test_activity_deelnemers_must_not_be_negative(files, fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    key, data = sample("activiteiten", files)
    lines = data.decode("utf-8-sig").splitlines()
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(key, _edit_csv(data, "deelnemers", "-3", delimiter))
    (result,) = run(zone, fresh_warehouse_url)
    assert result.rows_rejected == 1 and "deelnemers: moet minimaal 0 liggen" in result.reasons[0]
