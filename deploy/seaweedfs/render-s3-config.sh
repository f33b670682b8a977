#!/bin/sh
# Fill in the S3 identities template with keys from the environment; POSIX sh + grep + sed only,
# so it runs inside the SeaweedFS image before `weed` starts:
#
#   sh render-s3-config.sh s3.identities.template.json /tmp/s3.json && exec weed server ... -s3.config=/tmp/s3.json
#
# The template has one identity per line (ingest/landing/s3_policies.py writes it that way). A partner
# whose keys are not set is left out (not yet onboarded) and named on stderr; the platform keys
# (S3_ACCESS_KEY, S3_SECRET_KEY) are required. Keys are limited to [A-Za-z0-9._~+/=-] so they can
# neither break the JSON nor the sed expression.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 TEMPLATE OUTPUT" >&2
    exit 2
fi
template=$1
out=$2
umask 077
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
: > "$tmp"
skipped=0

while IFS= read -r line || [ -n "$line" ]; do
    missing=""
    for var in $(printf '%s\n' "$line" | grep -o '\${[A-Za-z0-9_]*}' | sed 's/^\${//; s/}$//'); do
        eval "value=\${$var-}"
        if [ -z "$value" ]; then
            missing=$var
            break
        fi
        case "$value" in
            *[!A-Za-z0-9._~+/=-]*)
                echo "render-s3-config: $var contains characters outside [A-Za-z0-9._~+/=-]" >&2
                exit 1 ;;
        esac
        line=$(printf '%s\n' "$line" | sed "s|\${$var}|$value|g")
    done
    if [ -n "$missing" ]; then
        case "$line" in
            *'"name": "platform"'*)
                echo "render-s3-config: $missing is not set; the platform identity is required" >&2
                exit 1 ;;
        esac
        name=$(printf '%s\n' "$line" | sed 's/.*"name": "\([^"]*\)".*/\1/')
        echo "render-s3-config: $missing not set, identity $name left out" >&2
        skipped=$((skipped + 1))
        continue
    fi
    printf '%s\n' "$line" >> "$tmp"
done < "$template"

mv "$tmp" "$out"
trap - EXIT
echo "render-s3-config: wrote $out ($skipped partner identities left out)" >&2
