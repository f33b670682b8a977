"""What only a checkout of the repository offers: the synthetic partner deliveries.

`synthetic/` sits next to `bench/` and `tests/` and is not shipped with the product (see
pyproject.toml), so the installed `infopositie` command does not find it on its own path. The two
commands that need it, `generate` and `demo`, are developer commands run from a checkout: they
take it from the checkout this package was installed from (an editable install), or say why not.
"""
from __future__ import annotations

import sys
from types import ModuleType

from config import PROJECT_ROOT


class NotACheckout(RuntimeError):
    pass


def synthetic() -> ModuleType:
    try:
        import synthetic as module
    except ModuleNotFoundError as err:
        if err.name != "synthetic":
            raise
        if not (PROJECT_ROOT / "synthetic" / "__init__.py").is_file():
            raise NotACheckout(
                "the synthetic partner deliveries (synthetic/) are not shipped with the product: "
                "run this from a checkout of the repository (make install)") from err
        sys.path.append(str(PROJECT_ROOT))
        import synthetic as module
    return module
