#!/usr/bin/env bash
# Restores a Borg archive made by elabftw-backup.sh (the latest by default):
#   db     refuses a dump that does not end with mysqldump's "-- Dump completed" line (a dump cut
#          short), then recreates the database in utf8mb4 and loads it (SET NAMES utf8mb4 first);
#          refuses a database that already has tables unless --force yes
#   files  put the uploads back, owned by 101:101; refuses a non-empty folder unless --force yes
# Then, on the web VM: elabftw-db-update.sh --container elabftw (db:update, then db:check).
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="<db|files> --env-file FILE [--archive NAME|latest] [--database NAME] [--collation NAME] [--mysql-exec CMD] [--client-config FILE] [--target DIR] [--owner UID:GID] [--force yes]"

[ $# -ge 1 ] || usage
action="$1"
shift
env_file="" archive="latest" database="elabftw" collation="utf8mb4_0900_ai_ci" mysql_exec="" client_config="" target="" owner="101:101" force=""
parse_flags "env-file archive database collation mysql-exec client-config target owner force" "$@"
require env_file
borg_env "$env_file"

# The newest archive of a kind, unless one was named.
pick() {
    if [ "$archive" = latest ]; then
        archive=$(borg list --short --last 1 --glob-archives "$1-*")
        [ -n "$archive" ] || die "no $1 archive in $BORG_REPO"
    fi
    echo "$SCRIPT_NAME: restoring $archive" >&2
}

# A complete mysqldump ends with "-- Dump completed on <date>": read the archive once (streamed,
# nothing on disk) and refuse it before the database is touched when that line is missing.
require_complete_dump() {
    local last
    last=$(borg extract --stdout "::$archive" | tail -n 1) || die "cannot read archive $archive from $BORG_REPO"
    [[ "$last" == "-- Dump completed"* ]] ||
        die "archive $archive does not end with mysqldump's '-- Dump completed' line: the dump was cut short; refusing to load it (list the archives with borg list, pick an older one with --archive NAME)"
}

case "$action" in
db)
    require client_config
    [[ "$database" =~ ^[A-Za-z0-9_]+$ ]] || die "database name '$database' is not plain"
    [[ "$collation" =~ ^[A-Za-z0-9_]+$ ]] || die "collation '$collation' is not plain"
    read -r -a exec_prefix <<<"$mysql_exec"
    sql() { "${exec_prefix[@]}" mysql --defaults-extra-file="$client_config" --batch --skip-column-names "$@"; }
    pick db
    tables=$(sql -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$database'")
    if [ "$tables" -gt 0 ] && [ "$force" != yes ]; then
        die "database $database already has $tables tables: refusing to overwrite it (add --force yes if you mean it)"
    fi
    require_complete_dump
    sql -e "CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE $collation"
    { echo "SET NAMES utf8mb4;"; borg extract --stdout "::$archive"; } | sql "$database"
    echo "$SCRIPT_NAME: database $database restored from $archive"
    ;;
files)
    require target
    [[ "$owner" =~ ^[0-9]+:[0-9]+$ ]] || die "owner must be numeric UID:GID"
    if [ -d "$target" ] && [ -n "$(ls -A "$target")" ] && [ "$force" != yes ]; then
        die "$target is not empty: refusing to overwrite it (add --force yes if you mean it)"
    fi
    pick "$(basename "$target")"
    install -d "$(dirname "$target")"
    (cd "$(dirname "$target")" && borg extract "::$archive")
    chown -R "$owner" "$target"
    echo "$SCRIPT_NAME: $target restored from $archive, owned by $owner"
    ;;
*)
    usage
    ;;
esac
