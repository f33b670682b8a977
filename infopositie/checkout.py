"""What only a checkout of the repository offers: the synthetic partner deliveries and the benchmarks.

`synthetic/` sits next to `bench/` and `tests/` and is not shipped with the product (see
pyproject.toml), so the installed `infopositie` command does not find it on its own path. The
commands that need them, `generate`, `demo` and `bench scale`, are developer commands run from a
checkout: they take them from the checkout this package was installed from (an editable install),
or say why not.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType

from config import PROJECT_ROOT


class NotACheckout(RuntimeError):
    pass


def _from_checkout(name: str, what: str) -> ModuleType:
    package = name.split(".")[0]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name != package:
            raise
        if not (PROJECT_ROOT / package / "__init__.py").is_file():
            raise NotACheckout(
                f"{what} ({package}/) are not shipped with the product: "
                "run this from a checkout of the repository (make install)") from err
        sys.path.append(str(PROJECT_ROOT))
        return importlib.import_module(name)


def synthetic() -> ModuleType:
    return _from_checkout("synthetic", "the synthetic partner deliveries")


def bench_scale() -> ModuleType:
    """bench/scale.py (it generates with synthetic/, from the same checkout)."""
    return _from_checkout("bench.scale", "the benchmarks")
