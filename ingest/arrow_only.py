"""Keep pandas out of a process that only ingests.

pyarrow imports pandas (installed here for Great Expectations and Airflow) the first time it
builds any array, only to recognise pandas objects among its inputs; that import costs about a
second of every `infopositie ingest` run and every Airflow ingest task, and the ingest never
hands pyarrow a pandas object. pyarrow tries that import once per process and remembers the
outcome, so a process that only ingests lets the one try fail. Call this first thing in such a
process only: afterwards pyarrow's pandas conversions (`to_pandas`) are unavailable in it.
"""
from __future__ import annotations

import sys
from typing import Any


class _NoPandas:
    """An import finder that says there is no pandas."""

    @staticmethod
    def find_spec(name: str, *_: Any) -> None:
        if name == "pandas":
            raise ImportError("pandas is kept out of this ingest process")


def keep_pandas_out_of_arrow() -> None:
    if "pandas" in sys.modules:
        return  # imported already: nothing to save
    import pyarrow as pa

    sys.meta_path.insert(0, _NoPandas)  # type: ignore[arg-type]
    try:
        pa.array([0])  # pyarrow tries its one import of pandas now, and fails
    finally:
        sys.meta_path.remove(_NoPandas)  # type: ignore[arg-type]


def forbid_pandas() -> None:
    """For a process that parses only (the sandbox's child, ingest/sandbox.py): every import of
    pandas fails at once, also pyarrow's first-array one. Unlike keep_pandas_out_of_arrow it builds
    no array, so Arrow's memory pool and threads are not set up before the child limits its
    address space."""
    if _NoPandas not in sys.meta_path:
        sys.meta_path.insert(0, _NoPandas)  # type: ignore[arg-type]
