"""docker-compose.yml as the production stack needs it, read with yaml.safe_load (no Docker engine
runs here): secrets only from deploy/.env, env files or Docker secrets; SeaweedFS with JWT signing
and its internal ports on an internal network only; Metabase with an encryption key; Airflow's auth
manager either fit for production or plainly flagged as not.
"""
from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_dockerignore import excluded

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
RENDER_SECURITY = ROOT / "deploy" / "seaweedfs" / "render-security-toml.sh"

SEAWEED_INTERNAL = {  # service: the ports it must listen on, all of them internal
    "seaweedfs-master": {"-port": 9333, "-port.grpc": 19333},
    "seaweedfs-volume": {"-port": 8080, "-port.grpc": 18080},
    "seaweedfs-filer": {"-port": 8888, "-port.grpc": 18888},
}
SEAWEED_GATEWAY = "seaweedfs-s3"

# Environment variable names that carry a secret (or a URL that embeds one).
SECRET_NAME = re.compile(r"PASSWORD|_PASS$|SECRET|(^|_)KEY$|_KEY_|TOKEN|CREDENTIAL|FERNET|SQL_ALCHEMY_CONN|"
                         r"BROKER_URL|RESULT_BACKEND|WAREHOUSE_URL")
REQUIRED_VAR = r"\$\{([A-Z][A-Z0-9_]*):\?[^}]*\}"  # ${VAR:?message}: compose refuses to start without it


@cache
def load(path: Path = COMPOSE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def networks_of(service: dict[str, Any]) -> set[str]:
    nets = service.get("networks")
    if nets is None:
        return {"default"}
    return set(nets) if isinstance(nets, (list, dict)) else {nets}


def script(service: dict[str, Any]) -> str:
    """The shell script a `sh -c` service runs, as the container sees it ($$ is compose's $)."""
    command = service["command"]
    text = command[0] if isinstance(command, list) else command
    return text.replace("$$", "$")


def weed_flags(service: dict[str, Any]) -> dict[str, str]:
    line = script(service).split("exec weed", 1)[1].replace("\\\n", " ").splitlines()[0]
    words = shlex.split(line)
    return {w.split("=", 1)[0]: (w.split("=", 1)[1] if "=" in w else "") for w in words[1:]}


def published(service: dict[str, Any]) -> list[str]:
    return [str(p) for p in service.get("ports", [])]


def secret_value_ok(value: str) -> bool:
    """A secret is a required interpolation from deploy/.env, a file under /run/secrets, or a URL
    whose password is a required interpolation; never a literal."""
    if re.fullmatch(REQUIRED_VAR, value) or value.startswith("/run/secrets/"):
        return True
    url = re.fullmatch(r"[a-z0-9+]+://[^:@/]*:(?P<password>[^@]*)@.*", value)
    if url:
        return re.fullmatch(REQUIRED_VAR, url["password"]) is not None
    return False


def test_compose_file_parses_with_the_services_the_platform_needs():
    services = load()["services"]
    assert {"postgres", "seaweedfs-master", "seaweedfs-volume", "seaweedfs-filer", "seaweedfs-s3", "airflow-init",
            "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
            "metabase"} <= set(services)


def test_every_secret_comes_from_the_env_file_or_a_docker_secret():
    literal = {}
    for name, service in load()["services"].items():
        for key, value in environment(service).items():
            # A *_FILE variable names where a secret lives (a Docker secret, a volume), not the secret.
            names_a_file = key.endswith("_FILE") and value.startswith("/")
            if SECRET_NAME.search(key) and not names_a_file and not secret_value_ok(value):
                literal[f"{name}.{key}"] = value
            # Whatever the name: no URL with a literal password in it.
            for password in re.findall(r"://[^:@/\s]+:([^@\s]+)@", value):
                if not re.fullmatch(REQUIRED_VAR, password):
                    literal[f"{name}.{key}"] = value
    assert not literal, f"secrets written into docker-compose.yml: {sorted(literal)}"


def test_every_required_variable_is_documented_in_env_example():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.M))
    required = set(re.findall(REQUIRED_VAR, COMPOSE.read_text()))
    assert required - documented == set()
    # ... and env.example itself holds no value for any of them.
    filled = re.findall(r"^([A-Z][A-Z0-9_]*)=(.+)$", ENV_EXAMPLE.read_text(), flags=re.M)
    assert filled == []


def test_env_files_and_secret_files_stay_out_of_git_and_the_image():
    compose = load()
    paths = [f["file"] for f in compose.get("secrets", {}).values() if "file" in f]
    for service in compose["services"].values():
        for entry in service.get("env_file", []):
            paths.append(entry["path"] if isinstance(entry, dict) else entry)
    assert paths
    for path in paths:
        relative = os.path.normpath(path)
        assert excluded(relative), f"{relative} would be baked into the image"
        ignored = subprocess.run(["git", "check-ignore", "-q", relative], cwd=ROOT).returncode == 0
        assert ignored, f"{relative} is not git-ignored"


def test_the_pseudonym_key_is_a_docker_secret_for_every_airflow_process():
    for name, service in load()["services"].items():
        if name.startswith("airflow-"):
            assert "pseudonym_key" in service.get("secrets", [])
            assert environment(service)["INFOPOSITIE_PSEUDONYM_KEY_FILE"] == "/run/secrets/pseudonym_key"
            assert "INFOPOSITIE_PSEUDONYM_KEY" not in environment(service)
            assert "archive_key" in service.get("secrets", [])
            assert environment(service)["INFOPOSITIE_ARCHIVE_KEY_FILE"] == "/run/secrets/archive_key"
            assert "INFOPOSITIE_ARCHIVE_KEY" not in environment(service)


# --- SeaweedFS ------------------------------------------------------------------------------------

def test_seaweedfs_runs_as_master_volume_filer_and_s3_gateway():
    services = load()["services"]
    seaweed = {n for n, s in services.items() if str(s.get("image", "")).startswith("chrislusf/seaweedfs:")}
    assert seaweed == set(SEAWEED_INTERNAL) | {SEAWEED_GATEWAY}
    assert [shlex.split(script(services[n]).split("exec ", 1)[1])[:2] for n in sorted(seaweed)] == [
        ["weed", "filer"], ["weed", "master"], ["weed", "s3"], ["weed", "volume"]]


@pytest.mark.parametrize("name", [*SEAWEED_INTERNAL, SEAWEED_GATEWAY])
def test_each_seaweedfs_server_starts_with_a_security_toml_rendered_from_the_env(name: str):
    service = load()["services"][name]
    text = script(service)
    lines = [line.strip() for line in text.splitlines()]
    # set -e first: a failed render must stop the container rather than start weed without JWTs.
    assert lines[0].startswith("set -e")
    render = lines.index("sh /etc/infopositie/seaweedfs/render-security-toml.sh /run/seaweedfs/security.toml")
    cd = lines.index("cd /run/seaweedfs")  # weed reads ./security.toml first
    assert render < cd < next(i for i, line in enumerate(lines) if line.startswith("exec weed"))
    assert "/run/seaweedfs" in service.get("tmpfs", [])  # the rendered keys live in memory only
    assert "./deploy/seaweedfs:/etc/infopositie/seaweedfs:ro" in service["volumes"]
    env = environment(service)
    for var in ("SEAWEEDFS_JWT_SIGNING_KEY", "SEAWEEDFS_JWT_FILER_SIGNING_KEY", "SEAWEEDFS_JWT_FILER_READ_KEY"):
        assert re.fullmatch(REQUIRED_VAR, env[var]) and f"${{{var}:?" in env[var]


def test_no_security_toml_is_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not [p for p in tracked.splitlines() if p.endswith("security.toml")]


@pytest.mark.parametrize("name", list(SEAWEED_INTERNAL))
def test_master_volume_and_filer_listen_only_on_the_internal_network(name: str):
    compose = load()
    service = compose["services"][name]
    flags = weed_flags(service)
    for flag, port in SEAWEED_INTERNAL[name].items():
        assert flags[flag] == str(port)
    assert not published(service) and "expose" not in service
    for network in networks_of(service):
        assert compose["networks"][network].get("internal") is True, f"{name} is on non-internal {network}"


def test_only_the_s3_gateway_reaches_the_partners_network():
    compose = load()
    gateway = compose["services"][SEAWEED_GATEWAY]
    outside = [n for n in networks_of(gateway) if not compose["networks"][n].get("internal")]
    assert outside == ["partners"]
    assert [n for n, s in compose["services"].items() if "partners" in networks_of(s)] == [SEAWEED_GATEWAY]
    assert published(gateway) == ["127.0.0.1:8333:8333"]
    flags = weed_flags(gateway)
    assert flags["-port"] == "8333" and flags["-filer"] == "seaweedfs-filer:8888"
    # Its optional Iceberg and Lance endpoints would listen on the partners' network: off.
    assert flags["-port.iceberg"] == "0" and flags["-port.lance"] == "0"
    # The partner-facing container holds no data: only the servers behind it mount the store.
    assert not any(str(v).startswith("seaweedfs-data") for v in gateway.get("volumes", []))


def test_services_with_no_published_port_have_no_route_out():
    compose = load()
    for name, service in compose["services"].items():
        outside = [n for n in networks_of(service) if not compose["networks"].get(n, {}).get("internal")]
        if not published(service):
            assert outside == [], f"{name} publishes nothing but sits on {outside}"


def test_published_ports_are_bound_to_loopback():
    for name, service in load()["services"].items():
        for port in published(service):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_airflow_reaches_the_store_through_the_s3_gateway():
    services = load()["services"]
    for name, service in services.items():
        if name.startswith("airflow-"):
            assert environment(service)["INFOPOSITIE_S3_ENDPOINT"] == "http://seaweedfs-s3:8333"
            assert service["depends_on"]["seaweedfs-s3"] == {"condition": "service_healthy"}


# render-security-toml.sh, run as the containers run it.

KEYS = {"SEAWEEDFS_JWT_SIGNING_KEY": "v" * 32 + "-volume-writes",
        "SEAWEEDFS_JWT_FILER_SIGNING_KEY": "f" * 32 + "_filer.writes",
        "SEAWEEDFS_JWT_FILER_READ_KEY": "r" * 32 + "+filer/reads="}


def render(tmp_path: Path, **overrides: str | None) -> tuple[subprocess.CompletedProcess, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAWEEDFS_")}
    env.update(KEYS)
    for key, value in overrides.items():
        env.pop(key, None) if value is None else env.__setitem__(key, value)
    out = tmp_path / "security.toml"
    return subprocess.run(["sh", str(RENDER_SECURITY), str(out)], env=env, capture_output=True, text=True), out


def test_security_toml_holds_the_jwt_signing_keys(tmp_path: Path):
    result, out = render(tmp_path)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads(out.read_text())
    assert config["jwt"]["signing"]["key"] == KEYS["SEAWEEDFS_JWT_SIGNING_KEY"]
    assert config["jwt"]["filer_signing"]["key"] == KEYS["SEAWEEDFS_JWT_FILER_SIGNING_KEY"]
    assert config["jwt"]["filer_signing"]["read"]["key"] == KEYS["SEAWEEDFS_JWT_FILER_READ_KEY"]
    assert config["access"]["ui"] is False
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not any(k in result.stderr for k in KEYS.values())  # the log names the file, not the keys


@pytest.mark.parametrize("overrides, reason", [
    ({"SEAWEEDFS_JWT_SIGNING_KEY": None}, "SEAWEEDFS_JWT_SIGNING_KEY is not set"),
    ({"SEAWEEDFS_JWT_FILER_READ_KEY": ""}, "SEAWEEDFS_JWT_FILER_READ_KEY is not set"),
    ({"SEAWEEDFS_JWT_FILER_SIGNING_KEY": "short"}, "shorter than 32"),
    ({"SEAWEEDFS_JWT_SIGNING_KEY": "x" * 40 + '"\n[evil]'}, "characters outside"),
    ({"SEAWEEDFS_JWT_FILER_READ_KEY": KEYS["SEAWEEDFS_JWT_FILER_SIGNING_KEY"]}, "must differ"),
])
def test_security_toml_is_refused_rather_than_written_weak(tmp_path: Path, overrides, reason):
    result, out = render(tmp_path, **overrides)
    assert result.returncode != 0 and reason in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


# --- Metabase and Airflow -------------------------------------------------------------------------

def test_metabase_encrypts_its_connection_details_with_a_key_from_the_env_file():
    env = environment(load()["services"]["metabase"])
    assert re.fullmatch(REQUIRED_VAR, env["MB_ENCRYPTION_SECRET_KEY"])


def test_airflow_auth_manager_is_fit_for_production_or_flagged_as_not():
    compose = load()
    managers = {environment(s).get("AIRFLOW__CORE__AUTH_MANAGER", "SimpleAuthManager")
                for n, s in compose["services"].items() if n.startswith("airflow-")}
    assert len(managers) == 1, "every Airflow process must use the same auth manager"
    manager = managers.pop()
    if manager.endswith(("FabAuthManager", "KeycloakAuthManager")):
        return
    assert manager.endswith("SimpleAuthManager")
    text = COMPOSE.read_text()
    header = text[:text.index("\nname:")]
    assert "NOT PRODUCTION-READY" in header and "SimpleAuthManager" in header and "FabAuthManager" in header
    # Meanwhile the UI is reachable from this host only.
    assert published(compose["services"]["airflow-api-server"]) == ["127.0.0.1:8080:8080"]


# --- The Celery variant (docker-compose.celery.yml, an override of docker-compose.yml) ------------

CELERY = ROOT / "docker-compose.celery.yml"
SHARED_SECRETS = ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY")


def _merge(base: Any, override: Any) -> Any:
    """Compose's override rule, as far as these files need it: mappings merge key by key,
    everything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return override


@cache
def celery_services() -> dict[str, dict[str, Any]]:
    """The services of `docker compose -f docker-compose.yml -f docker-compose.celery.yml`."""
    base, override = load()["services"], load(CELERY)["services"]
    merged = {}
    for name in base.keys() | override.keys():
        service = dict(override.get(name, {}))
        extends = service.pop("extends", None)
        if extends is not None:
            parent = dict(load(ROOT / extends["file"])["services"][extends["service"]])
            parent.pop("depends_on", None)  # never inherited through extends
            service = _merge(parent, service)
        merged[name] = _merge(base.get(name, {}), service)
    return merged


def airflow_processes() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in celery_services().items() if n.startswith("airflow-")}


def test_the_celery_variant_parses_and_extends_the_base_stack():
    override = load(CELERY)
    assert {"redis", "airflow-worker"} <= set(override["services"])
    assert override["services"]["airflow-worker"]["extends"] == {"file": "docker-compose.yml",
                                                                 "service": "airflow-scheduler"}
    assert "airflow-worker" not in load()["services"] and "redis" not in load()["services"]
    # The override only adds to base services; it names none that docker-compose.yml lacks.
    assert set(override["services"]) - set(load()["services"]) == {"redis", "airflow-worker"}


def test_every_airflow_process_runs_the_celery_executor_on_one_broker_and_result_backend():
    envs = {name: environment(s) for name, s in airflow_processes().items()}
    assert set(envs) == {"airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor",
                         "airflow-triggerer", "airflow-worker"}
    for key in ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND",
                "AIRFLOW__CORE__PARALLELISM", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):
        assert len({env[key] for env in envs.values()}) == 1, f"{key} differs between Airflow processes"
    env = envs["airflow-worker"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/\d+", env["AIRFLOW__CELERY__BROKER_URL"])
    backend = env["AIRFLOW__CELERY__RESULT_BACKEND"]
    assert re.fullmatch(r"db\+postgresql://airflow:\$\{AIRFLOW_DB_PASSWORD:\?[^}]*\}@postgres:5432/airflow", backend)
    # Results in Airflow's own database: the same server, database and login as its metadata.
    assert backend.split("://", 1)[1] == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].split("://", 1)[1]


def test_every_airflow_process_shares_the_fernet_key_jwt_secret_and_api_secret_key():
    for key in SHARED_SECRETS:
        values = {name: environment(s).get(key) for name, s in airflow_processes().items()}
        assert len(set(values.values())) == 1, f"{key} differs: {values}"
        value = values["airflow-worker"]
        assert value and re.fullmatch(REQUIRED_VAR, value)
    # The pseudonymisation key too, as the same Docker secret.
    for name, service in airflow_processes().items():
        assert service["secrets"] == ["pseudonym_key", "archive_key"], name


def test_the_worker_scales_with_docker_compose_scale():
    worker = celery_services()["airflow-worker"]
    assert worker["command"] == ["celery", "worker"]
    # --scale refuses a fixed container name or host port; a fixed hostname would make every
    # replica claim the same Celery node name.
    assert not {"container_name", "hostname", "ports"} & set(worker)
    assert worker["image"] == load()["x-airflow-common"]["image"]
    assert worker["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert worker["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    assert networks_of(worker) == {"backend"}
    assert "8793" in [str(p) for p in worker.get("expose", [])]  # task logs for the api-server
    assert "airflow-logs:/opt/airflow/logs" in worker["volumes"]
    assert celery_services()["airflow-scheduler"]["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_redis_is_internal_and_its_password_stays_off_command_lines():
    compose = load()
    redis = celery_services()["redis"]
    assert not published(redis) and networks_of(redis) == {"backend"}
    assert compose["networks"]["backend"]["internal"] is True
    assert re.fullmatch(REQUIRED_VAR, environment(redis)["REDIS_PASSWORD"])
    text = script(redis)
    assert "requirepass" in text and "--requirepass" not in text and "/run/redis" in redis["tmpfs"]
    assert "-a " not in " ".join(redis["healthcheck"]["test"]) and "REDISCLI_AUTH" in redis["healthcheck"]["test"][1]


@pytest.mark.parametrize("path", [COMPOSE, CELERY], ids=lambda p: p.name)
def test_no_literal_secret_in_either_file(path: Path):
    for name, service in load(path)["services"].items():
        for key, value in environment(service).items():
            names_a_file = key.endswith("_FILE") and value.startswith("/")
            if SECRET_NAME.search(key) and not names_a_file:
                assert secret_value_ok(value), f"{path.name}: {name}.{key}"
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.M))
    assert set(re.findall(REQUIRED_VAR, path.read_text())) <= documented


def test_the_celery_provider_is_in_the_lock_the_image_is_built_from():
    lock = (ROOT / "requirements.lock").read_text()
    if not re.search(r"^apache-airflow-providers-celery==", lock, flags=re.M):
        pytest.skip("apache-airflow-providers-celery is not pinned yet (issue 8 item 4 pins it); "
                    "until then the Celery variant builds an image without `airflow celery`")
    assert re.search(r"^redis==", lock, flags=re.M), "the Celery provider's Redis client is missing"


def test_readme_production_section_documents_the_celery_variant():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Production\n")
    section = readme[start:readme.index("\n## ", start + 1)]
    for needle in ("docker-compose.celery.yml", "--scale airflow-worker=", "CeleryExecutor", "db+postgresql://",
                   "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "8793",
                   "EXECUTION_API_SERVER_URL", "BROKER_URL", "RESULT_BACKEND", "same image", "DAG folder"):
        assert needle in section, needle
