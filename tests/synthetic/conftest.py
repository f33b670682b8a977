from __future__ import annotations

import pytest

from synthetic import build_deliveries

SEED = 20261128


@pytest.fixture(scope="session")
def clean_files() -> dict[str, bytes]:
    """Every feed, the default period, no defects."""
    (batch,) = build_deliveries(start="2024-01", end="2026-10", seed=SEED)
    return dict(batch)


@pytest.fixture(scope="session")
def defective_batches() -> list[list[tuple[str, bytes]]]:
    return build_deliveries(start="2024-01", end="2026-10", seed=SEED, defects=True)


@pytest.fixture(scope="session")
def police_files(clean_files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in clean_files.items() if k.startswith("politie/registraties/")}
