"""Nothing secret reaches the image's build context (deploy/Dockerfile.dockerignore), and nothing the
image needs is left out of it.

The matcher follows BuildKit's rules (moby/patternmatcher): patterns are relative to the context
root, `*` and `?` stay within one path segment, `**` spans any number of segments (zero included),
a pattern that matches a folder excludes everything below it, `!` re-includes, the last matching
pattern wins.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERIGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i + 1:i + 2] == "*":
                i += 1
                if pattern[i + 1:i + 2] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith(("!", "^")) else body) + "]")
            i = end
        elif c == "\\":
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


@cache
def rules(path: Path = DOCKERIGNORE) -> tuple[tuple[bool, re.Pattern[str]], ...]:
    parsed = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line[1:] if negated else line).lstrip("/")
        parsed.append((negated, _pattern_regex(pattern)))
    return tuple(parsed)


def excluded(relative: str) -> bool:
    """Whether BuildKit leaves `relative` (a path from the context root) out of the context."""
    parts = relative.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]  # the path and its parents
    result = False
    for negated, regex in rules():
        if any(regex.match(c) for c in candidates):
            result = not negated
    return result


def context_files() -> list[str]:
    """Every file BuildKit would send from this checkout, tracked or not (keys and env files are
    git-ignored, which is exactly why the build context must be checked on disk)."""
    sent = []
    for folder, dirs, files in os.walk(ROOT):
        rel_folder = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        # An excluded folder is not walked (as BuildKit does when no `!` pattern re-includes).
        dirs[:] = [d for d in dirs if not excluded(prefix + d)]
        sent += [prefix + f for f in files if not excluded(prefix + f)]
    return sent


SECRET_NAME = re.compile(
    r"(^|/)(\.env(\..*)?|[^/]*\.env|[^/]*\.key|[^/]*\.pem|security\.toml|s3\.json|passwords\.json)$"
    r"|(^|/)(secrets|\.infopositie)/"
)


def test_the_compose_build_uses_this_ignore_file():
    # BuildKit pairs <Dockerfile>.dockerignore with the Dockerfile it builds; the context is the root.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    build = compose["x-airflow-common"]["build"]
    assert build == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    assert DOCKERIGNORE.name == Path(build["dockerfile"]).name + ".dockerignore"


@pytest.mark.parametrize("path", [
    "deploy/.env", "deploy/seaweedfs.env", "deploy/airflow.env", "deploy/metabase.env", ".env",
    "deploy/.env.production", "some/folder/local.env",
    "deploy/secrets/pseudonym.key", "deploy/secrets/anything-without-a-suffix",
    ".infopositie/secrets/pseudonym.key", ".infopositie/pgdata/PG_VERSION", ".infopositie/airflow/airflow.cfg",
    ".venv/bin/python", ".venv/lib/python3.11/site-packages/x.py",
    "deploy/tls/server.key", "deploy/tls/server.pem", "client.p12",
    "deploy/seaweedfs/security.toml", "deploy/seaweedfs/s3.json", "auth/passwords.json",
    "simple_auth_manager_passwords.json.generated", ".git/config",
])
def test_secret_and_local_state_paths_are_left_out(path: str):
    assert excluded(path), f"{path} would be baked into the image"


@pytest.mark.parametrize("path", [
    "pyproject.toml", "requirements.lock", "config/__init__.py", "ingest/pseudonymise.py",
    "ingest/contracts/politie_registraties.yaml", "dags/ingest_feeds.py", "dbt_project/dbt_project.yml",
    "warehouse/migrations/V002__audit.sql", "infopositie/cli.py", "dashboards/__init__.py",
    "deploy/env.example",
])
def test_what_the_image_needs_is_sent(path: str):
    assert not excluded(path)


def test_no_file_on_disk_that_looks_secret_is_sent():
    leaked = [p for p in context_files() if SECRET_NAME.search(p)]
    assert not leaked, f"these would be baked into the image: {leaked}"


def test_a_seaweedfs_env_file_next_to_the_compose_file_stays_out(tmp_path: Path):
    # The finding of issue 9: deploy/seaweedfs.env (the partners' S3 keys) was sent. Try it for real
    # on a copy of the deploy folder's layout rather than trusting the pattern list alone.
    probe = ROOT / "deploy" / "seaweedfs.env"
    if probe.exists():
        assert "deploy/seaweedfs.env" not in context_files()
        return
    probe.write_text("S3_POLITIE_ACCESS_KEY=not-a-real-key\n")
    try:
        assert "deploy/seaweedfs.env" not in context_files()
    finally:
        probe.unlink()


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_every_tracked_file_is_sent():
    # A pattern that is too broad (say `**/secrets` hitting a code folder) would silently drop code.
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    dropped = [p for p in tracked.splitlines() if excluded(p)]
    assert not dropped


def test_the_dockerfile_refuses_a_context_with_secrets():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    copy_all = dockerfile.index("COPY . .")
    guard = dockerfile.index("secret files in the build context")
    assert copy_all < guard < dockerfile.index("pip install --system --no-cache --no-deps -e .")
