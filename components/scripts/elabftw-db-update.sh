#!/usr/bin/env bash
# Brings eLabFTW's schema to the version of the running image: `bin/console db:update`, then
# `bin/console db:check`, which must exit 0. Stops at the first failure, loudly.
#
# Usage: elabftw-db-update.sh --container NAME
set -euo pipefail

die() { echo "elabftw-db-update: $*" >&2; exit 1; }

if [ $# -ne 2 ] || [ "$1" != "--container" ]; then
    echo "usage: elabftw-db-update.sh --container NAME" >&2
    exit 2
fi
container="$2"

docker exec "$container" bin/console --no-interaction db:update || die "db:update failed: the schema was not migrated; see its output above"
docker exec "$container" bin/console --no-interaction db:check || die "db:check still reports pending migrations after db:update"
echo "elabftw-db-update: schema up to date"
