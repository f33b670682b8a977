"""Nothing a partner sends can stop or crash a run: one `infopositie ingest` over a landing zone
full of poison files, with good files sorted after them, gives every file one outcome, loads the
good ones exactly, stays below 2 GiB of memory, and quotes nothing of a refused file."""
from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import psycopg
from openpyxl import Workbook

from ingest.audit import OUTCOMES
from ingest.landing import LocalLandingZone
from tests.ingest.helpers import HEADER, SECRET_TEXT, all_text_in_warehouse, csv_bytes, valid_rows

GIB = 2**30
NESTED_SECRET = "GEHEIM-GENEST-7731"
HEADER_SECRET = "KOPVELD-GEHEIM-"
GRID_SECRET = "GEHEIM-RASTER-5517"
STRINGS_SECRET = "GEHEIM-STRINGS-"
DIGITS = "7" * 5000


def cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WAREHOUSE_URL": url}
    return subprocess.run([sys.executable, "-m", "infopositie.cli", *args], env=env, capture_output=True,
                          text=True, timeout=900)


def police(month: int, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    for r in rows:
        r.update(registratiedatum=f"03-{month:02d}-2026", pleegdatum=f"01-{month:02d}-2026")
    return rows


def fraud_records(n: int) -> list[dict]:
    return [{"gemeente": "GM0344", "fraudetype": "phishing", "meldingen": 5 + i, "gedupeerden": 3,
             "schade_eur": 100.5} for i in range(n)]


def om_workbook(rows: int, quarter_start: date = date(2025, 10, 1)) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Instroom"
    ws.append(["parketnummer", "instroomdatum", "pleeggemeente", "categorie", "feit", "beslissing", "beslisdatum"])
    for i in range(rows):
        day = quarter_start + timedelta(days=i % 60)
        ws.append([f"16/{i:06d}-25", day, "GM0344", "cybercrime", "art. 138ab Sr", "sepot", day + timedelta(days=5)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite_zip(data: bytes, replace: dict[str, bytes | None], stream: dict[str, object] | None = None) -> bytes:
    """The workbook with some parts replaced; `stream` parts are written from a generator of chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if stream and info.filename in stream:
                with dst.open(info.filename, "w", force_zip64=True) as part:
                    for chunk in stream[info.filename]():
                        part.write(chunk)
            elif info.filename in replace:
                dst.writestr(info.filename, replace[info.filename])
            else:
                dst.writestr(info, src.read(info.filename))
        for name in set(stream or {}) - set(src.namelist()):
            with dst.open(name, "w", force_zip64=True) as part:
                for chunk in stream[name]():
                    part.write(chunk)
    return out.getvalue()


def sparse_grid(data: bytes, declare: bool) -> bytes:
    """One cell at XFD1048576: a reader that builds the sheet as a dense grid wants 17 billion cells."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    far = f'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>{GRID_SECRET}</t></is></c></row>'
    sheet = sheet.replace("</sheetData>", far + "</sheetData>")
    start = sheet.index("<dimension")
    end = sheet.index("/>", start) + 2
    sheet = sheet[:start] + ('<dimension ref="A1:XFD1048576"/>' if declare else "") + sheet[end:]
    return rewrite_zip(data, {"xl/worksheets/sheet1.xml": sheet.encode()})


def shared_strings_bomb(data: bytes) -> bytes:
    """Shared strings that inflate to 600 MB from well under 1 MB."""
    def chunks():
        yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/' \
              b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        block = (STRINGS_SECRET * 70_000).encode()[:1_000_000]
        for _ in range(600):
            yield block
        yield b"</t></si></sst>"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://'
                        'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return rewrite_zip(data, {"xl/_rels/workbook.xml.rels": rels.encode(), "[Content_Types].xml": types.encode()},
                       stream={"xl/sharedStrings.xml": chunks})


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier += children
    return sum(rss.get(p, 0) for p in tree)


def test_one_run_over_poison_files_gives_every_file_one_outcome(fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    store = tmp_path / "store"
    zone = LocalLandingZone(store)
    headerless = csv_bytes(police(1, valid_rows(30)), header=HEADER).split(b"\n", 1)[1]
    long_header = csv_bytes(police(2, valid_rows(10)), header=HEADER + [HEADER_SECRET * 14_000])
    nul = police(3, valid_rows(300, start=3000))
    nul[200]["incidentcode"] = "F6\x0036"
    digits = police(4, valid_rows(50, start=4000)) + police(4, [
        {**valid_rows(1, start=4900)[0], "schadebedrag": DIGITS},
        {**valid_rows(1, start=4901)[0], "slachtoffer_leeftijd": DIGITS}])
    good_om = om_workbook(20)
    long_name = "gemeenten/GM0344/activiteiten/activiteiten_" + "x" * 223 + ".csv"  # 240 characters: too
    # long for the archive as '<delivery>__<name>.rapport.txt'
    activities = (b"datum;gemeente;titel;type;doelgroep;campagne;bereik;deelnemers;onderbouwd\r\n"
                  b"03-02-2026;GM0344;Voorlichting senioren;voorlichting;senioren;;40;;ja\r\n"
                  b"10-02-2026;GM0344;Training baliemedewerkers;training;professionals;;12;;nee\r\n"
                  b"11-02-2026;GM0344;Onbekend type;geen-type;senioren;;5;;ja\r\n")
    files = {
        long_name: activities,
        "om/instroom/om_instroom_2025Q1.xlsx": sparse_grid(om_workbook(3, date(2025, 1, 1)), declare=True),
        "om/instroom/om_instroom_2025Q2.xlsx": sparse_grid(om_workbook(3, date(2025, 4, 1)), declare=False),
        "om/instroom/om_instroom_2025Q3.xlsx": shared_strings_bomb(om_workbook(3, date(2025, 7, 1))),
        "om/instroom/om_instroom_2025Q4.xlsx": good_om,
        "partners/bank-a/fraudemeldingen/fraudemeldingen_202511.json":
            b'{"partner": "bank-a", "periode": "2025-11", "records": ' + b"[" * 200_000
            + f'"{NESTED_SECRET}"'.encode() + b"]" * 200_000 + b"}",
        "partners/bank-a/fraudemeldingen/fraudemeldingen_202512.json": json.dumps(
            {"partner": "bank-a", "periode": "2025-12", "records": fraud_records(48) + [
                {**fraud_records(1)[0], "meldingen": "@DIGITS@"},
                {**fraud_records(1)[0], "meldingen": 3_000_000_000}]}).replace('"@DIGITS@"', DIGITS).encode(),
        "partners/bank-b/fraudemeldingen/fraudemeldingen_202511.json": json.dumps(
            {"partner": "bank-b", "periode": "2025-11", "records": fraud_records(30)}).encode(),
        "politie/registraties/registraties_online_202601.csv": headerless,
        "politie/registraties/registraties_online_202602.csv": long_header,
        "politie/registraties/registraties_online_202603.csv": csv_bytes(nul),
        "politie/registraties/registraties_online_202604.csv": csv_bytes(digits),
        "politie/registraties/registraties_online_202606.csv": csv_bytes(police(6, valid_rows(40, start=6000))),
    }
    for key, data in files.items():
        zone.put(key, data)
    # Larger than the feed's 300 MB, without using the disk: refused from its size, never read.
    with open(store / "landing/politie/registraties/registraties_online_202605.csv", "wb") as f:
        f.truncate(301_000_000)

    peak = [0]
    env = {**os.environ, "WAREHOUSE_URL": fresh_warehouse_url}
    process = subprocess.Popen([sys.executable, "-m", "infopositie.cli", "ingest", "--store", str(store), "--json"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate(timeout=900)
    sampler.join()
    max_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest process, reaped
    assert process.returncode == 0, stderr[-3000:]
    results = {r["file"]: r for r in json.loads(stdout)}
    outcome = {k: (r["status"], r["rows_received"], r["rows_loaded"], r["rows_rejected"]) for k, r in results.items()}
    assert outcome == {
        long_name: ("loaded", 3, 2, 1),
        "om/instroom/om_instroom_2025Q1.xlsx": ("quarantined", 0, 0, 0),
        "om/instroom/om_instroom_2025Q2.xlsx": ("quarantined", 0, 0, 0),
        "om/instroom/om_instroom_2025Q3.xlsx": ("quarantined", 0, 0, 0),
        "om/instroom/om_instroom_2025Q4.xlsx": ("loaded", 20, 20, 0),
        "partners/bank-a/fraudemeldingen/fraudemeldingen_202511.json": ("quarantined", 0, 0, 0),
        "partners/bank-a/fraudemeldingen/fraudemeldingen_202512.json": ("loaded", 50, 48, 2),
        "partners/bank-b/fraudemeldingen/fraudemeldingen_202511.json": ("loaded", 30, 30, 0),
        "politie/registraties/registraties_online_202601.csv": ("quarantined", 29, 0, 29),
        "politie/registraties/registraties_online_202602.csv": ("quarantined", 10, 0, 10),
        "politie/registraties/registraties_online_202603.csv": ("quarantined", 0, 0, 0),
        "politie/registraties/registraties_online_202604.csv": ("loaded", 52, 50, 2),
        "politie/registraties/registraties_online_202605.csv": ("quarantined", 0, 0, 0),
        "politie/registraties/registraties_online_202606.csv": ("loaded", 40, 40, 0),
    }, outcome
    reasons = {k: " ".join(r["reasons"]) for k, r in results.items()}
    assert "ten hoogste 300 MB" in reasons["politie/registraties/registraties_online_202605.csv"]
    assert "ontbreekt de kopregel" in reasons["politie/registraties/registraties_online_202601.csv"]
    assert "meer dan 131.072 tekens" in reasons["politie/registraties/registraties_online_202602.csv"]
    assert "XFD1048576" in reasons["om/instroom/om_instroom_2025Q1.xlsx"]
    assert "meer geheugen" in reasons["om/instroom/om_instroom_2025Q2.xlsx"]
    assert "uitgepakt te groot" in reasons["om/instroom/om_instroom_2025Q3.xlsx"]
    assert "dieper genest" in reasons["partners/bank-a/fraudemeldingen/fraudemeldingen_202511.json"]
    assert "getal is te groot om op te slaan" in reasons["politie/registraties/registraties_online_202604.csv"]
    assert "valt buiten wat kan worden opgeslagen" in \
        reasons["partners/bank-a/fraudemeldingen/fraudemeldingen_202512.json"]
    internal = reasons["politie/registraties/registraties_online_202603.csv"]
    assert "storing aan onze kant" in internal and "incidentnummer INC-" in internal
    incident = internal.split("incidentnummer ")[1].split(".")[0]
    assert f"incident {incident}" in stderr  # the engineers find the detail under the same number
    (report,) = (store / "quarantine").rglob("*registraties_online_202603.csv.rapport.txt")
    assert incident in report.read_text(encoding="utf-8")
    assert "U hoeft het bestand niet te herstellen" in report.read_text(encoding="utf-8")

    print(f"peak memory: largest process {max_rss / GIB:.2f} GiB, process tree (sampled) {peak[0] / GIB:.2f} GiB")
    assert max_rss < 2 * GIB and peak[0] < 2 * GIB, (max_rss / GIB, peak[0] / GIB)

    with psycopg.connect(fresh_warehouse_url) as conn:
        counts = dict(conn.execute("select feed, count(*) from (select 'politie' as feed from raw.politie_registraties"
                                   " union all select 'fraude' from raw.fraudemeldingen"
                                   " union all select 'om' from raw.om_instroom"
                                   " union all select 'activiteiten' from raw.activiteiten) t"
                                   " group by feed").fetchall())
        statuses = {r[0] for r in conn.execute("select status from audit.deliveries")}
    assert counts == {"politie": 90, "fraude": 78, "om": 20, "activiteiten": 2}
    kept = [p.name for p in (store / "archive").rglob("*activiteiten_xxx*")]
    assert len(kept) == 2 and all(len(name.encode()) <= 255 for name in kept)  # the original and its report
    assert statuses <= set(OUTCOMES)
    listed = json.loads(cli("deliveries", "--json", url=fresh_warehouse_url).stdout)
    assert len(listed) == len(outcome) and {d["status"] for d in listed} <= set(OUTCOMES)

    # Nothing of a refused file in a reason, a report, a table or the engineers' log.
    reports = "\n".join(p.read_text(encoding="utf-8") for area in ("quarantine", "archive")
                        for p in (store / area).rglob("*.rapport.txt"))
    warehouse = all_text_in_warehouse(fresh_warehouse_url)
    said = json.dumps(list(reasons.values()), ensure_ascii=False)
    for secret in (SECRET_TEXT, "PL0900-2026000001", NESTED_SECRET, HEADER_SECRET, GRID_SECRET, STRINGS_SECRET,
                   "PL0900-2026003000", DIGITS[:40]):
        for where, text in (("reasons", said), ("reports", reports), ("log", stderr)):
            assert secret not in text, (secret, where)
    for secret in (SECRET_TEXT, "PL0900-2026000001", NESTED_SECRET, HEADER_SECRET, GRID_SECRET, STRINGS_SECRET):
        assert secret not in warehouse, secret
