"""The benchmark file: a valid monthly delivery of the requested size, written fast."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from synthetic import write_police_bench_file
from tests.synthetic.helpers import POLICE_COLUMNS, police_row_problems, read_csv


def test_bench_file_is_valid_and_exact(tmp_path: Path) -> None:
    path = write_police_bench_file(tmp_path / "registraties_online_202601.csv", rows=20_000, seed=3)
    parsed = read_csv(path.read_bytes())
    assert parsed.header == POLICE_COLUMNS
    assert len(parsed.rows) == 20_000 and set(parsed.widths) == {len(POLICE_COLUMNS)}
    assert not Counter(p for r in parsed.rows for p in police_row_problems(r, 2026, 1))
    assert len({r["registratienummer"] for r in parsed.rows}) == 20_000
    assert len({r["pleeggemeente"] for r in parsed.rows}) == 39  # 38 gemeenten + unknown
    assert write_police_bench_file(tmp_path / "again.csv", rows=20_000, seed=3).read_bytes() == path.read_bytes()


def test_bench_file_for_another_month(tmp_path: Path) -> None:
    path = write_police_bench_file(tmp_path / "registraties_online_202602.csv", rows=5_000, month="2026-02")
    parsed = read_csv(path.read_bytes())
    assert len(parsed.rows) == 5_000
    assert not Counter(p for r in parsed.rows for p in police_row_problems(r, 2026, 2))


def test_bench_file_has_exactly_the_rows_asked_for(tmp_path: Path) -> None:
    # Its speed is reported by `make bench`, not asserted here.
    path = write_police_bench_file(tmp_path / "registraties_online_202601.csv", rows=100_000)
    data = path.read_bytes()
    assert data.count(b"\n") == 100_001
    header_and_last = data[: data.index(b"\n") + 1] + data[data.rindex(b"\n", 0, len(data) - 1) + 1:]
    last = read_csv(header_and_last)
    assert len(last.rows) == 1 and not police_row_problems(last.rows[0], 2026, 1)
