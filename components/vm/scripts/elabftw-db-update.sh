#!/usr/bin/env bash
# Brings eLabFTW's schema to the version of the running image: `bin/console db:update`, then
# `bin/console db:check`, which must exit 0. Stops at the first failure, loudly.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--container NAME"

container=""
parse_flags "container" "$@"
require container

docker exec "$container" bin/console --no-interaction db:update || die "db:update failed: the schema was not migrated; see its output above"
docker exec "$container" bin/console --no-interaction db:check || die "db:check still reports pending migrations after db:update"
echo "elabftw-db-update: schema up to date"
