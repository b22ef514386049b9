#!/usr/bin/env bash
# The monthly restore drill on the DB VM: restores the latest database archive into a scratch
# database, compares every table's row count with the live database, drops the scratch database
# (only ever one named <database>_restore_drill), and reports the result to syslog.
#   run      restore + compare + drop
#   restore  restore into the scratch database only        compare  compare only
# Exit 0 when every count matches, 1 otherwise. Writes to the live database after the archive was
# made show up as differences: the report names each table and both counts.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="<run|restore|compare> --env-file FILE --client-config FILE [--database NAME] [--collation NAME] [--mysql-exec CMD]"

[ $# -ge 1 ] || usage
action="$1"
shift
env_file="" client_config="" database="elabftw" collation="utf8mb4_0900_ai_ci" mysql_exec=""
parse_flags "env-file client-config database collation mysql-exec" "$@"
require env_file client_config
[[ "$database" =~ ^[A-Za-z0-9_]+$ ]] || die "database name '$database' is not plain"
scratch="${database}_restore_drill"
read -r -a exec_prefix <<<"$mysql_exec"
sql() { "${exec_prefix[@]}" mysql --defaults-extra-file="$client_config" --batch --skip-column-names "$@"; }

# report MESSAGE [PRIORITY]: to stdout (the journal) and to syslog.
report() {
    echo "$SCRIPT_NAME: $1"
    logger -t elabftw-restore-drill -p "user.${2:-info}" -- "$1" 2>/dev/null || true
}

drop_scratch() { sql -e "DROP DATABASE IF EXISTS \`$scratch\`"; }

restore_scratch() {
    drop_scratch
    bash "$(dirname "${BASH_SOURCE[0]}")/elabftw-restore.sh" db --env-file "$env_file" --database "$scratch" --collation "$collation" \
        --client-config "$client_config" --mysql-exec "$mysql_exec"
}

compare() {
    local table live restored differences=0 count=0
    for table in $(sql -e "SELECT table_name FROM information_schema.tables WHERE table_schema = '$database' AND table_type = 'BASE TABLE' ORDER BY table_name"); do
        live=$(sql -e "SELECT COUNT(*) FROM \`$database\`.\`$table\`")
        restored=$(sql -e "SELECT COUNT(*) FROM \`$scratch\`.\`$table\`" 2>/dev/null || echo missing)
        count=$((count + 1))
        if [ "$live" != "$restored" ]; then
            differences=$((differences + 1))
            report "MISMATCH $table: live $live rows, restored $restored" err
        fi
    done
    [ "$count" -gt 0 ] || { report "no table in $database to compare" err; return 1; }
    if [ "$differences" -eq 0 ]; then
        report "restore drill OK: $count tables, every row count matches"
    else
        report "restore drill FAILED: $differences of $count tables differ" err
        return 1
    fi
}

case "$action" in
run)
    restore_scratch
    status=0
    compare || status=$?
    drop_scratch
    exit "$status"
    ;;
restore) restore_scratch ;;
compare) compare ;;
*) usage ;;
esac
