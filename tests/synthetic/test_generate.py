"""`generate` writes into a landing zone under the agreed prefixes, in ingestible batches."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from ingest.landing import LocalLandingZone
from synthetic import generate
from tests.synthetic.helpers import police_row_problems, read_csv, read_xlsx

KEY_PATTERNS = [
    r"politie/registraties/registraties_online_\d{6}\.csv",
    r"om/instroom/om_instroom_\d{4}Q[1-4]\.xlsx",
    r"riec/casussen/riec_casussen_\d{8}\.xlsx",
    r"gemeenten/GM\d{4}/activiteiten/[^/]+\.(csv|xlsx)",
    r"regio/activiteiten/[^/]+\.(csv|xlsx)",
    r"partners/(bank-a|bank-b|fraudehelpdesk)/fraudemeldingen/fraudemeldingen_\d{6}\.json",
    r"cbs/veiligheidsmonitor/[^/]+\.csv",
    r"cbs/bevolking/[^/]+\.csv",
]


def test_generate_writes_every_feed_under_its_prefix(tmp_path: Path) -> None:
    zone = LocalLandingZone(tmp_path)
    keys = generate(zone, start="2025-01", end="2025-06", seed=11)
    assert len(keys) == len(set(keys))
    assert sorted(keys) == zone.waiting()
    for key in keys:
        assert any(re.fullmatch(p, key) for p in KEY_PATTERNS), key
    for pattern in KEY_PATTERNS:
        assert any(re.fullmatch(pattern, k) for k in keys), pattern
    assert sum(k.startswith("politie/") for k in keys) == 6
    assert generate(zone, start="2025-01", end="2025-06", seed=11, batch=1) == []


def test_feeds_selection(tmp_path: Path) -> None:
    keys = generate(LocalLandingZone(tmp_path), start="2025-01", end="2025-02", seed=1,
                    feeds=["politie_registraties", "bevolking"])
    assert {k.split("/")[0] for k in keys} == {"politie", "cbs"}
    with pytest.raises(ValueError, match="unknown feed"):
        generate(LocalLandingZone(tmp_path), feeds=["politie"])


def test_defects_make_a_realistic_mix(defective_batches) -> None:
    first, later = defective_batches
    police = {k: read_csv(v) for k, v in first if k.startswith("politie/")}
    encodings = [p.encoding for p in police.values()]
    assert encodings.count("cp1252") == 3 and encodings.count("utf-8-sig") >= 1
    variants = sum(any(r["pleeggemeente"][:1].isdigit() for r in p.rows) for p in police.values())
    assert variants >= 3
    assert sum(any(r["pleeggemeente"] in ("GM0381", "GM0424", "GM0425", "GM0545", "GM0620", "GM0707",
                                           "GM0311", "GM0329", "GM0333") for r in p.rows) for p in police.values()) >= 1
    with_bad = 0
    for key, parsed in police.items():
        year, month = int(key[-10:-6]), int(key[-6:-4])
        bad = sum(bool(police_row_problems(r, year, month)) or len(r) != 13 for r in parsed.rows)
        assert bad / len(parsed.rows) < 0.05, key
        with_bad += bad > 0
    assert 3 <= with_bad <= 8
    partners = [json.loads(v)["partner"] for k, v in first if k.startswith("partners/")]
    keyed = [k.split("/")[1] for k, v in first if k.startswith("partners/")]
    assert sum(p != k for p, k in zip(partners, keyed)) == 1


def test_later_batch_redelivers_under_earlier_names(defective_batches) -> None:
    first, later = map(dict, defective_batches)
    assert set(later) <= set(first) | {k for k in later if "correctie" in k or "herzien" in k}
    police = [k for k in later if k.startswith("politie/")]
    assert len(police) == 2 and all(k in first for k in police)
    headers = {k: read_csv(later[k]).header for k in police}
    refused = [k for k in police if "modus" not in headers[k]]
    corrected = [k for k in police if "modus" in headers[k]]
    assert len(refused) == 1 and len(corrected) == 1
    old, new = read_csv(first[corrected[0]]), read_csv(later[corrected[0]])
    assert len(new.rows) > len(old.rows)
    old_numbers = {r["registratienummer"] for r in old.rows}
    new_numbers = [r["registratienummer"] for r in new.rows]
    assert old_numbers < set(new_numbers) and len(new_numbers) == len(set(new_numbers))
    year, month = int(corrected[0][-10:-6]), int(corrected[0][-6:-4])
    assert not any(police_row_problems(r, year, month) for r in new.rows)  # the correction fixed the bad rows
    om = [k for k in later if k.startswith("om/")]
    assert len(om) == 1 and om[0] in first
    def decided(data):
        return sum(r["beslissing"] != "geen beslissing" for r in read_xlsx(data, "Instroom")[1])
    assert decided(later[om[0]]) > decided(first[om[0]])
    fm = [k for k in later if k.startswith("partners/")]
    assert len(fm) == 1 and json.loads(first[fm[0]])["partner"] != fm[0].split("/")[1]
    assert json.loads(later[fm[0]])["partner"] == fm[0].split("/")[1]


def test_batch_one_is_written_on_request(tmp_path: Path) -> None:
    zone = LocalLandingZone(tmp_path)
    first = generate(zone, start="2025-01", end="2025-04", seed=3, defects=True)
    later = generate(zone, start="2025-01", end="2025-04", seed=3, defects=True, batch=1)
    assert later and set(first) & set(later)
    assert all(zone.exists(k) for k in later)


def test_cli_generate(tmp_path: Path) -> None:
    env = {**os.environ, "INFOPOSITIE_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "infopositie.cli", "generate", "--out", str(tmp_path / "zone"),
         "--from", "2025-01", "--to", "2025-02", "--seed", "4"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    written = int(done.stdout.split()[0])
    files = [p for p in (tmp_path / "zone" / "landing").rglob("*") if p.is_file()]
    assert written == len(files) > 0
    assert (tmp_path / "zone" / "landing" / "politie" / "registraties" / "registraties_online_202502.csv").exists()
