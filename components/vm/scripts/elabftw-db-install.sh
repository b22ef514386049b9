#!/usr/bin/env bash
# Creates eLabFTW's schema and its first sysadmin, once. `bin/init db:install` skips (exit 0) when
# the schema exists, so this is safe to run again; it is never run with -r, which drops the database.
# The sysadmin's password arrives on standard input and goes on to db:install's own prompt
# (--ask-password: Symfony's QuestionHelper reads one line from stdin), so it is on no command line,
# neither here nor in the container, and a password starting with "-" is not taken for an option.
# MySQL may still be starting: retry a while.
# On a fresh schema db:install prints a read-write sysadmin API key (`<id>-<hex>`, it never
# expires): it goes to a root-only file on the encrypted data disk, never to this script's output
# (which Pulumi keeps in its state). A rerun on an existing schema prints no key: the file stays.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--container NAME --email EMAIL --firstname NAME --lastname NAME --key-file PATH [--attempts N] [--retry-delay SECONDS] < password"

container="" email="" firstname="" lastname="" key_file="" attempts=30 retry_delay=10
parse_flags "container email firstname lastname key-file attempts retry-delay" "$@"
require container email firstname lastname key_file

password=""
IFS= read -r password || true
[ "${#password}" -ge 12 ] || die "expected the sysadmin password on standard input"

umask 077
output="$(mktemp)"
trap 'rm -f "$output"' EXIT
# An API key as eLabFTW prints it: the key's id, a dash, its hex secret.
key_pattern='[0-9]+-[0-9a-f]{32,}'

for attempt in $(seq 1 "$attempts"); do
    # --name=value: a value can never be read as another option.
    # On an existing schema db:install asks nothing and may exit before reading: a write to the closed
    # pipe must not fail the pipeline (pipefail), so SIGPIPE is ignored and the write error dropped.
    if { trap '' PIPE; printf '%s\n' "$password" 2>/dev/null || true; } | docker exec -i "$container" bin/init db:install \
        "--email=$email" "--firstname=$firstname" "--lastname=$lastname" --ask-password >"$output" 2>&1; then
        key="$(grep -oE "${key_pattern}" "$output" | head -n 1 || true)"
        sed -E "s/${key_pattern}/[sysadmin API key withheld]/g" "$output"
        if [ -n "$key" ]; then
            mkdir -p "$(dirname "$key_file")"
            printf '%s\n' "$key" >"$key_file.new"
            chmod 0600 "$key_file.new"
            mv "$key_file.new" "$key_file"
            echo "elabftw-db-install: sysadmin API key saved to $key_file (root only)"
        elif [ ! -s "$key_file" ]; then
            echo "elabftw-db-install: the schema already existed, so no sysadmin API key was created and $key_file is absent" >&2
        fi
        echo "elabftw-db-install: schema ready"
        exit 0
    fi
    sed -E "s/${key_pattern}/[withheld]/g" "$output" >&2
    echo "elabftw-db-install: attempt $attempt failed; the database may still be starting" >&2
    sleep "$retry_delay"
done
die "bin/init db:install kept failing: check 'docker logs $container' and that MySQL answers over TLS"
