"""The police registrations look like the region's: volumes, mix, profiles, and the spec's rules."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from statistics import mean

import numpy as np
import pytest

from tests.synthetic.helpers import (
    GEMEENTEN,
    POLICE_COLUMNS,
    gemeente_code,
    parse_amount,
    parse_date,
    police_row_problems,
    read_csv,
)

CYBER = {"ransomware", "hacken", "ddos"}


@pytest.fixture(scope="module")
def rows_by_month(police_files: dict[str, bytes]) -> dict[str, list[dict[str, str]]]:
    out = {}
    for key, data in police_files.items():
        m = re.fullmatch(r"politie/registraties/registraties_online_(\d{6})\.csv", key)
        assert m, key
        out[m.group(1)] = read_csv(data).rows
    return out


@pytest.fixture(scope="module")
def year_2025(rows_by_month) -> list[dict[str, str]]:
    return [r for month, rows in rows_by_month.items() if month.startswith("2025") for r in rows]


def test_one_file_per_month_with_the_spec_header(police_files, rows_by_month) -> None:
    assert len(police_files) == 34  # 2024-01 .. 2026-10
    for data in police_files.values():
        parsed = read_csv(data)
        assert parsed.header == POLICE_COLUMNS
        assert parsed.encoding == "utf-8"
        assert set(parsed.widths) == {len(POLICE_COLUMNS)}


def test_every_clean_row_is_valid_per_spec(rows_by_month) -> None:
    for month, rows in rows_by_month.items():
        year, mon = int(month[:4]), int(month[4:])
        problems = Counter(p for r in rows for p in police_row_problems(r, year, mon))
        assert not problems, (month, problems)


def test_registratienummers_unique_over_all_months(rows_by_month) -> None:
    numbers = [r["registratienummer"] for rows in rows_by_month.values() for r in rows]
    assert len(numbers) == len(set(numbers))
    assert all(re.fullmatch(r"PL0900-\d{4}\d{6,}", n) for n in numbers)


def test_yearly_volume_trend_and_seasonality(rows_by_month) -> None:
    per_year = Counter()
    for month, rows in rows_by_month.items():
        per_year[month[:4]] += len(rows)
    assert 13_500 <= per_year["2024"] <= 16_500
    assert per_year["2025"] > per_year["2024"]
    for year in ("2024", "2025"):
        winter = mean(len(rows_by_month[f"{year}{m}"]) for m in ("11", "12"))
        summer = mean(len(rows_by_month[f"{year}{m}"]) for m in ("07", "08"))
        assert winter > 1.25 * summer


def test_all_38_gemeenten_roughly_proportional_to_population(year_2025) -> None:
    counts = Counter(gemeente_code(r["pleeggemeente"]) for r in year_2025 if r["pleeggemeente"])
    assert set(counts) == set(GEMEENTEN) and len(GEMEENTEN) == 38
    inwoners = np.array([int(GEMEENTEN[c]["inwoners_circa"]) for c in sorted(counts)])
    n = np.array([counts[c] for c in sorted(counts)])
    assert np.corrcoef(inwoners, n)[0, 1] > 0.95
    rate = n / inwoners
    large = inwoners > 40_000
    assert (rate[large] / np.median(rate[large])).max() < 1.6
    assert (rate[large] / np.median(rate[large])).min() > 0.6


def test_unknown_gemeente_about_three_percent(year_2025) -> None:
    share = sum(not r["pleeggemeente"] for r in year_2025) / len(year_2025)
    assert 0.015 < share < 0.05
    assert all(not r["wijk"] for r in year_2025 if not r["pleeggemeente"])
    with_wijk = sum(bool(r["wijk"]) for r in year_2025 if r["pleeggemeente"]) / len(year_2025)
    assert 0.5 < with_wijk < 0.95


def test_aangifte_share_between_15_and_20_percent(year_2025) -> None:
    share = sum(r["registratiesoort"] == "aangifte" for r in year_2025) / len(year_2025)
    assert 0.15 <= share <= 0.20


def test_modus_mix(year_2025) -> None:
    mix = Counter(r["modus"] for r in year_2025)
    total = len(year_2025)
    big = ("phishing", "vriend-in-nood", "marktplaatsfraude", "webwinkelfraude")
    assert all(mix[m] / total > 0.08 for m in big)
    assert sum(mix[m] for m in big) / total > 0.55
    assert (mix["ransomware"] + mix["ddos"]) / total < 0.03
    assert mix["ransomware"] > 0 and mix["ddos"] > 0
    assert 0.03 < sum(mix[m] for m in CYBER) / total < 0.15


def _band(age: str) -> str:
    a = int(age)
    return "0-17" if a < 18 else "18-24" if a < 25 else "25-44" if a < 45 else "45-64" if a < 65 else "65+"


def test_age_profile_differs_by_modus(year_2025) -> None:
    bands = defaultdict(Counter)
    for r in year_2025:
        if r["slachtoffer_leeftijd"]:
            bands[r["modus"]][_band(r["slachtoffer_leeftijd"])] += 1
    def share(modus, *b):
        return sum(bands[modus][x] for x in b) / sum(bands[modus].values())
    assert share("vriend-in-nood", "65+") > 0.45
    assert share("bankhelpdeskfraude", "65+") > 0.45
    assert share("sextortion", "0-17", "18-24") > 0.55
    assert bands["marktplaatsfraude"].most_common(1)[0][0] == "25-44"
    assert share("marktplaatsfraude", "65+") < 0.15


def test_victim_type_by_modus(year_2025) -> None:
    types = defaultdict(Counter)
    for r in year_2025:
        types[r["modus"]][r["slachtoffer_type"]] += 1
    assert types["phishing"].most_common(1)[0][0] == "burger"
    assert types["ransomware"]["burger"] < types["ransomware"]["ondernemer"]
    assert types["ddos"]["burger"] < types["ddos"]["ondernemer"]
    assert types["hacken"]["ondernemer"] > 0.15 * sum(types["hacken"].values())
    # no exact age for organisations
    assert all(not r["slachtoffer_leeftijd"] for r in year_2025 if r["slachtoffer_type"] != "burger")


def test_damage_by_modus(year_2025) -> None:
    amounts = defaultdict(list)
    empty = Counter()
    for r in year_2025:
        if r["schadebedrag"]:
            amounts[r["modus"]].append(parse_amount(r["schadebedrag"]))
        else:
            empty[r["modus"]] += 1
    assert 2_000 <= mean(amounts["vriend-in-nood"]) <= 4_500
    assert 15_000 <= mean(amounts["bankhelpdeskfraude"]) <= 30_000
    assert mean(amounts["marktplaatsfraude"]) < 1_000
    assert sum(empty.values()) / len(year_2025) > 0.3
    assert any("." in r["schadebedrag"] for r in year_2025)  # thousands separator in use


def test_dates_and_codes(year_2025) -> None:
    missing_pleeg = sum(not r["pleegdatum"] for r in year_2025) / len(year_2025)
    assert 0.02 < missing_pleeg < 0.12
    expected = {"hacken": "3.7.4", "ransomware": "3.7.4", "ddos": "3.7.4", "marktplaatsfraude": "3.9.1",
                "webwinkelfraude": "3.9.1", "sextortion": "1.6.2", "phishing": "3.9.3",
                "vriend-in-nood": "3.9.3", "bankhelpdeskfraude": "3.9.3"}
    for r in year_2025:
        if r["modus"] in expected:
            assert r["soort_misdrijf"].strip() == expected[r["modus"]], r
        if r["modus"] in ("marktplaatsfraude", "webwinkelfraude") and r["incidentcode"]:
            assert r["incidentcode"] == "F636"
    padded = [r["soort_misdrijf"] for r in year_2025 if r["soort_misdrijf"] != r["soort_misdrijf"].strip()]
    assert padded and all(len(s) == 6 for s in padded)


def test_both_date_styles_occur(police_files) -> None:
    styles = set()
    for data in police_files.values():
        first = read_csv(data).rows[0]["registratiedatum"]
        styles.add("iso" if first[4] == "-" else "nl")
        assert parse_date(first)
    assert styles == {"iso", "nl"}


def test_free_text_sometimes_holds_personal_details(year_2025) -> None:
    texts = [r["omschrijving"] for r in year_2025]
    iban = sum(bool(re.search(r"\bNL\d{2}[A-Z]{4}\d{10}\b", t)) for t in texts)
    phone = sum(bool(re.search(r"\b06-\d{8}\b", t)) for t in texts)
    mail = sum(bool(re.search(r"@example\.nl", t)) for t in texts)
    assert iban > 10 and phone > 10 and mail > 10
    assert sum(bool(t) for t in texts) / len(texts) > 0.5
    assert any(";" in t for t in texts)  # quoted delimiter inside the free text
