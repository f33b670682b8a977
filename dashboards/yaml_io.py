"""Reading the dashboard, audience and sharing specs.

libyaml's safe loader (the same safe subset as `yaml.safe_load`) where PyYAML was built with it: the
pure-Python parser spent 0.14 s on the specs for every document rendered, 11 s of `make demo`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
