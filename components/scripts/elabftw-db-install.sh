#!/usr/bin/env bash
# Creates eLabFTW's schema and its first sysadmin, once. `bin/init db:install` skips (exit 0) when
# the schema exists, so this is safe to run again; it is never run with -r, which drops the database.
# The sysadmin's password arrives on standard input. MySQL may still be starting: retry a while.
#
# Usage: elabftw-db-install.sh --container NAME --email EMAIL --firstname NAME --lastname NAME < password
set -euo pipefail

die() { echo "elabftw-db-install: $*" >&2; exit 1; }
usage() { echo "usage: elabftw-db-install.sh --container NAME --email EMAIL --firstname NAME --lastname NAME < password" >&2; exit 2; }

container="" email="" firstname="" lastname=""
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --container) container="$2" ;;
        --email) email="$2" ;;
        --firstname) firstname="$2" ;;
        --lastname) lastname="$2" ;;
        *) usage ;;
    esac
    shift 2
done
if [ -z "$container" ] || [ -z "$email" ] || [ -z "$firstname" ] || [ -z "$lastname" ]; then usage; fi

password=""
IFS= read -r password || true
[ "${#password}" -ge 12 ] || die "expected the sysadmin password on standard input"

for attempt in $(seq 1 30); do
    # The password reaches bin/init through the container's stdin, never through this command line.
    if printf '%s\n' "$password" | docker exec -i "$container" sh -c \
        'IFS= read -r p; exec bin/init db:install -e "$1" -f "$2" -l "$3" -p "$p"' \
        db-install "$email" "$firstname" "$lastname"; then
        echo "elabftw-db-install: schema ready"
        exit 0
    fi
    echo "elabftw-db-install: attempt $attempt failed; the database may still be starting" >&2
    sleep 10
done
die "bin/init db:install kept failing: check 'docker logs $container' and that MySQL answers over TLS"
