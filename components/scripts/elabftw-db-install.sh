#!/usr/bin/env bash
# Creates eLabFTW's schema and its first sysadmin, once. `bin/init db:install` skips (exit 0) when
# the schema exists, so this is safe to run again; it is never run with -r, which drops the database.
# The sysadmin's password arrives on standard input. MySQL may still be starting: retry a while.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--container NAME --email EMAIL --firstname NAME --lastname NAME [--attempts N] [--retry-delay SECONDS] < password"

container="" email="" firstname="" lastname="" attempts=30 retry_delay=10
parse_flags "container email firstname lastname attempts retry-delay" "$@"
require container email firstname lastname

password=""
IFS= read -r password || true
[ "${#password}" -ge 12 ] || die "expected the sysadmin password on standard input"

for attempt in $(seq 1 "$attempts"); do
    # The password reaches bin/init through the container's stdin, never through this command line.
    if printf '%s\n' "$password" | docker exec -i "$container" sh -c \
        'IFS= read -r p; exec bin/init db:install -e "$1" -f "$2" -l "$3" -p "$p"' \
        db-install "$email" "$firstname" "$lastname"; then
        echo "elabftw-db-install: schema ready"
        exit 0
    fi
    echo "elabftw-db-install: attempt $attempt failed; the database may still be starting" >&2
    sleep "$retry_delay"
done
die "bin/init db:install kept failing: check 'docker logs $container' and that MySQL answers over TLS"
