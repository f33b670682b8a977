"""`make bench`: rows/s of the real ingest (read, type, validate with Great Expectations,
pseudonymise, write-audit-publish, audit trail) against a bare COPY of the same file into an
untyped table, on the same server, from one run. Prints figures; asserts nothing."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from config import ensure_runtime_dir, load_settings
from warehouse.connection import connect

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
OM_ROWS = int(os.environ.get("BENCH_OM_ROWS", "200000"))


def _bare_copy(url: str, path: Path) -> float:
    header = path.open("r", encoding="utf-8-sig").readline().strip().split(";")
    with connect(url, autocommit=True) as conn:
        conn.execute("drop table if exists public.bench_bare_copy")
        conn.execute("create table public.bench_bare_copy (" + ", ".join(f'"{h}" text' for h in header) + ")")
        start = time.perf_counter()
        with (conn.cursor().copy("copy public.bench_bare_copy from stdin (format csv, delimiter ';', header true)")
              as copy, path.open("rb") as f):
            while chunk := f.read(1 << 22):
                copy.write(chunk)
        elapsed = time.perf_counter() - start
        conn.execute("drop table public.bench_bare_copy")
    return elapsed


def _busy_core_seconds() -> float:
    """CPU time the whole machine spent busy (client and server processes alike), in seconds."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _timed_process(args: list[str], url: str) -> tuple[float, float, str]:
    """Wall seconds, machine-wide busy core-seconds and stdout of one process run to its end."""
    busy, t = _busy_core_seconds(), time.perf_counter()
    done = subprocess.run(args, check=True, capture_output=True, text=True, env={**os.environ, "WAREHOUSE_URL": url})
    return time.perf_counter() - t, _busy_core_seconds() - busy, done.stdout


def _checkpoint(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute("checkpoint")


def main() -> int:
    ensure_runtime_dir()
    from ingest.landing import LocalLandingZone
    from ingest.pipeline import ingest_landing
    from ingest.pseudonymise import load_key
    from ingest.sealing import load_archive_key
    from synthetic.politie import write_police_bench_file
    from tests.conftest import create_scratch_database, drop_database

    load_key(load_settings().pseudonym_key_file, create=True)
    load_archive_key(load_settings().archive_key_file, create=True)  # the ingest seals what it keeps
    work = Path(tempfile.mkdtemp(prefix="infopositie-bench-"))
    try:
        t = time.perf_counter()
        source = write_police_bench_file(work / "registraties_online_202601.csv", rows=ROWS)
        size_mb = source.stat().st_size / 1e6
        print(f"generated {ROWS:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - t:.1f} s")
        url = create_scratch_database("bench")
        try:
            # Warm-up: a small delivery first, so that the measured run is the steady state of a
            # worker (Great Expectations context built, modules imported), as in Airflow.
            warm = LocalLandingZone(work / "warm")
            small = write_police_bench_file(work / "small" / "registraties_online_202512.csv", rows=1000, seed=2)
            warm.put("politie/registraties/registraties_online_202512.csv", small.read_bytes())
            ingest_landing(warm, url)

            # Each measurement starts from the same server state: no dirty pages or WAL of the
            # previous step left for the checkpointer to write meanwhile.
            _checkpoint(url)
            copy_s = _bare_copy(url, source)
            _checkpoint(url)
            zone = LocalLandingZone(work / "store")
            zone.put("politie/registraties/registraties_online_202601.csv", source.read_bytes())
            t = time.perf_counter()
            (result,) = ingest_landing(zone, url)
            ingest_s = time.perf_counter() - t
            assert result.status == "loaded" and result.rows_loaded == ROWS, result.as_dict()

            # The same file through the command line, interpreter start and imports included.
            february = write_police_bench_file(work / "feb" / "registraties_online_202602.csv", rows=ROWS,
                                               month="2026-02")
            zone.put("politie/registraties/registraties_online_202602.csv", february.read_bytes())
            _checkpoint(url)
            cli_s, cli_busy, _ = _timed_process([sys.executable, "-m", "infopositie.cli", "ingest", "--store",
                                                 str(work / "store"), "--json"], url)
            # What the libraries alone reach for the least such a load does (bench/ingest_floor.py).
            _checkpoint(url)
            floor_s, floor_busy, floor_out = _timed_process([sys.executable, "-m", "bench.ingest_floor", url,
                                                             str(source)], url)
        finally:
            drop_database(url)

        copy_rate, ingest_rate = ROWS / copy_s, ROWS / ingest_s
        print(f"bare COPY into an untyped table : {copy_s:6.2f} s  {copy_rate:>10,.0f} rows/s")
        print(f"infopositie ingest (in-process) : {ingest_s:6.2f} s  {ingest_rate:>10,.0f} rows/s")
        print(f"infopositie ingest (command)    : {cli_s:6.2f} s  {ROWS / cli_s:>10,.0f} rows/s "
              "(interpreter start and imports included)")
        print(f"ratio ingest/COPY (in-process)  : {ingest_rate / copy_rate:.2f}")
        print(f"ratio ingest/COPY (command)     : {(ROWS / cli_s) / copy_rate:.2f}  (goal >= 0.5)")
        print(f"command path over in-process    : {cli_s - ingest_s:+.2f} s  (goal <= 1 s)")
        cores = os.cpu_count() or 1
        print(f"machine busy during the command : {cli_busy:6.2f} core-s of {cores} x {cli_s:.2f} s; "
              f"at 0.5x COPY it would have {cores * 2 * copy_s:.2f} core-s")
        print(f"floor, a process (read, HMAC, 2 dates, binary COPY; no platform steps): {floor_s:6.2f} s, "
              f"ratio {copy_s / floor_s:.2f}, busy {floor_busy:.2f} core-s  [{floor_out.strip()}]")
        _bench_om(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _bench_om(work: Path) -> None:
    try:
        from bench.om_workbook import bench_om
    except ImportError:
        return
    bench_om(work, OM_ROWS)


if __name__ == "__main__":
    sys.exit(main())
