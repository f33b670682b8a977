#!/bin/sh
# Write SeaweedFS's security.toml from the JWT signing keys in the environment; POSIX sh only, so
# it runs inside the SeaweedFS image before `weed` starts (docker-compose.yml):
#
#   sh render-security-toml.sh /run/seaweedfs/security.toml && cd /run/seaweedfs && exec weed ...
#
# `weed` reads ./security.toml first, hence the cd. The file is never committed and lives on a
# tmpfs: the keys come from deploy/.env at every start.
#
#   SEAWEEDFS_JWT_SIGNING_KEY        [jwt.signing]: the master signs, volume servers check every write
#   SEAWEEDFS_JWT_FILER_SIGNING_KEY  [jwt.filer_signing]: the S3 gateway signs, the filer checks every
#                                    HTTP write (and its IAM gRPC calls)
#   SEAWEEDFS_JWT_FILER_READ_KEY     [jwt.filer_signing.read]: the same for the filer's HTTP reads
#
# Three different keys, at least 32 characters from [A-Za-z0-9._~+/=-] each (so they cannot break
# the TOML string): a token minted for one purpose is then worthless for another.
set -eu

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUTPUT" >&2
    exit 2
fi
out=$1

for var in SEAWEEDFS_JWT_SIGNING_KEY SEAWEEDFS_JWT_FILER_SIGNING_KEY SEAWEEDFS_JWT_FILER_READ_KEY; do
    eval "value=\${$var-}"
    if [ -z "$value" ]; then
        echo "render-security-toml: $var is not set (deploy/.env)" >&2
        exit 1
    fi
    case "$value" in
        *[!A-Za-z0-9._~+/=-]*)
            echo "render-security-toml: $var contains characters outside [A-Za-z0-9._~+/=-]" >&2
            exit 1 ;;
    esac
    if [ "${#value}" -lt 32 ]; then
        echo "render-security-toml: $var is shorter than 32 characters" >&2
        exit 1
    fi
done
if [ "$SEAWEEDFS_JWT_SIGNING_KEY" = "$SEAWEEDFS_JWT_FILER_SIGNING_KEY" ] \
   || [ "$SEAWEEDFS_JWT_SIGNING_KEY" = "$SEAWEEDFS_JWT_FILER_READ_KEY" ] \
   || [ "$SEAWEEDFS_JWT_FILER_SIGNING_KEY" = "$SEAWEEDFS_JWT_FILER_READ_KEY" ]; then
    echo "render-security-toml: the three SEAWEEDFS_JWT_* keys must differ" >&2
    exit 1
fi

umask 077
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<EOF
# Generated at start by render-security-toml.sh from deploy/.env; do not edit, do not commit.

[jwt.signing]
key = "$SEAWEEDFS_JWT_SIGNING_KEY"
expires_after_seconds = 10

[jwt.filer_signing]
key = "$SEAWEEDFS_JWT_FILER_SIGNING_KEY"
expires_after_seconds = 10

[jwt.filer_signing.read]
key = "$SEAWEEDFS_JWT_FILER_READ_KEY"
expires_after_seconds = 10

# The volume server's status UI stays off (it is unauthenticated).
[access]
ui = false
EOF
mv "$tmp" "$out"
trap - EXIT
echo "render-security-toml: wrote $out" >&2
