"""The identities config is derived from the feed contracts; the production template stays in step.

These tests need no server; tests/s3/test_permissions.py shows the store enforcing the result.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from ingest.contracts import all_contracts
from ingest.landing.s3_policies import (
    PLATFORM,
    delivery_folders,
    env_names,
    identities_config,
    identity_names,
    template_config,
    template_text,
)

DEPLOY = PROJECT_ROOT / "deploy" / "seaweedfs"
TEMPLATE = DEPLOY / "s3.identities.template.json"
MEMBERS = json.loads((DEPLOY / "partners.json").read_text(encoding="utf-8"))["members"]


def creds(*names: str) -> dict[str, tuple[str, str]]:
    return {n: (f"AK-{i}", f"secret-{i}") for i, n in enumerate(names)}


def actions_of(config: dict) -> dict[str, list[str]]:
    return {i["name"]: i["actions"] for i in config["identities"]}


def test_politie_may_use_only_its_feed_folder():
    config = identities_config("infopositie", creds(PLATFORM, "politie"))
    assert actions_of(config)["politie"] == [
        "Write:infopositie/landing/politie/registraties/*",
        "Read:infopositie/landing/politie/registraties/*",
        "List:infopositie/landing/politie/registraties/*",
    ]
    assert actions_of(config)[PLATFORM] == ["Admin", "Read", "Write", "List", "Tagging"]
    assert config["identities"][1]["credentials"] == [{"accessKey": "AK-1", "secretKey": "secret-1"}]


def test_every_contract_folder_is_granted_to_its_delivering_party_only():
    literal, templated = delivery_folders()
    names = [PLATFORM, *literal, *(f"{code}:X{i}" for i, code in enumerate(templated))]
    granted = actions_of(identities_config("b", creds(*names)))
    for contract in all_contracts():
        for prefix in contract.prefixes:
            if "{partner}" in prefix:
                code_index = list(templated).index(contract.partner_code)
                owner = f"{contract.partner_code}:X{code_index}"
                prefix = prefix.replace("{partner}", f"X{code_index}")
            else:
                owner = prefix.split("/", 1)[0]
            grant = f"Write:b/landing/{prefix}*"
            holders = [name for name, actions in granted.items() if grant in actions]
            assert holders == [owner], (contract.feed, prefix, holders)
    for name, actions in granted.items():
        if name != PLATFORM:
            # a folder grant: `.../registraties/*`, never a bare bucket or a half folder name
            assert all(a.startswith(("Write:b/landing/", "Read:b/landing/", "List:b/landing/")) and a.endswith("/*")
                       for a in actions), (name, actions)


def test_folder_per_member_for_templated_prefixes():
    granted = actions_of(identities_config("b", creds(PLATFORM, "gemeente:GM0344", "bank:bank-a")))
    assert "Write:b/landing/gemeenten/GM0344/activiteiten/*" in granted["gemeente:GM0344"]
    assert not any("GM0307" in a or "regio" in a for a in granted["gemeente:GM0344"])
    assert granted["bank:bank-a"] == [f"{a}:b/landing/partners/bank-a/fraudemeldingen/*"
                                      for a in ("Write", "Read", "List")]


def test_root_prefix_is_part_of_every_grant():
    granted = actions_of(identities_config("b", creds(PLATFORM, "om"), root="/acc/"))
    assert granted["om"][0] == "Write:b/acc/landing/om/instroom/*"


@pytest.mark.parametrize("credentials, message", [
    (creds("politie"), "platform"),
    ({PLATFORM: ("same", "s1"), "politie": ("same", "s2")}, "own access key"),
    (creds(PLATFORM, "nobody"), "no feed contract"),
    (creds(PLATFORM, "unknown:GM0344"), "no feed contract"),
    (creds(PLATFORM, "gemeente:../GM0307"), "not a folder name"),
    (creds(PLATFORM, "gemeente:"), "not a folder name"),
    ({PLATFORM: ("a", "s"), "politie": ("b", "")}, "empty"),
])
def test_invalid_credentials_are_refused(credentials, message):
    with pytest.raises(ValueError, match=message):
        identities_config("infopositie", credentials)


def test_production_template_matches_the_contracts():
    expected = template_config("infopositie", MEMBERS)
    assert TEMPLATE.read_text(encoding="utf-8") == template_text(expected), (
        "regenerate: python -m ingest.landing.s3_policies template > deploy/seaweedfs/s3.identities.template.json")
    assert json.loads(TEMPLATE.read_text(encoding="utf-8")) == expected


def test_gemeente_members_are_the_current_gemeenten():
    with (PROJECT_ROOT / "warehouse" / "reference" / "gemeenten.csv").open(encoding="utf-8") as f:
        current = sorted(r["gemeentecode"] for r in csv.DictReader(f) if not r["geldig_tot"])
    assert sorted(MEMBERS["gemeente"]) == current


def test_every_identity_has_its_own_environment_variables():
    names = identity_names(MEMBERS)
    variables = [v for n in names for v in env_names(n)]
    assert len(set(variables)) == len(variables)
    assert env_names(PLATFORM) == ("S3_ACCESS_KEY", "S3_SECRET_KEY")  # as deploy/env.example names them
    assert env_names("gemeente:GM0344") == ("S3_GEMEENTE_GM0344_ACCESS_KEY", "S3_GEMEENTE_GM0344_SECRET_KEY")


def _render(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    out = tmp_path / "s3.json"
    return subprocess.run(["sh", str(DEPLOY / "render-s3-config.sh"), str(TEMPLATE), str(out)],
                          env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_render_script_fills_in_keys_and_leaves_out_partners_without_keys(tmp_path):
    chosen = {PLATFORM: ("PLATFORMKEY", "pl+at/form=="), "politie": ("POLITIEKEY", "po-li.tie_~1"),
              "gemeente:GM0344": ("GM0344KEY", "gm0344secret")}
    env = {var: value for name, keys in chosen.items() for var, value in zip(env_names(name), keys)}
    done = _render(tmp_path, env)
    assert done.returncode == 0, done.stderr
    rendered = json.loads((tmp_path / "s3.json").read_text())
    assert rendered == identities_config("infopositie", chosen)
    assert oct((tmp_path / "s3.json").stat().st_mode & 0o777) == "0o600"
    assert "identity om left out" in done.stderr


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize("env, message", [
    ({"S3_ACCESS_KEY": "ONLYKEY"}, "platform identity is required"),
    ({"S3_ACCESS_KEY": "K", "S3_SECRET_KEY": 'x"}], "Admin'}, "characters outside"),
    ({"S3_ACCESS_KEY": "K", "S3_SECRET_KEY": "s", "S3_OM_ACCESS_KEY": "O", "S3_OM_SECRET_KEY": "a|b&c"},
     "characters outside"),
])
def test_render_script_refuses_missing_platform_keys_and_unsafe_values(tmp_path, env, message):
    done = _render(tmp_path, env)
    assert done.returncode != 0 and message in done.stderr
    assert not (tmp_path / "s3.json").exists()
