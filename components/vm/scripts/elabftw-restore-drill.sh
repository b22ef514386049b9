#!/usr/bin/env bash
# The monthly restore drill on the DB VM: restores the latest database archive into a scratch
# database (only ever one named <database>_restore_drill), compares it with the live database,
# drops the scratch database, and reports to syslog (tag elabftw-restore-drill):
#   - every base table's CHECKSUM TABLE (content, not just row counts: a garbled BLOB shows);
#   - the lists of tables, views, triggers, routines and events (a dropped trigger shows).
#   run      restore + compare + drop
#   restore  restore into the scratch database only        compare  compare only
# Exit 0 when everything matches, 1 otherwise; every failure path (a restore refused, an
# unreachable repository, a difference) is reported to syslog at priority user.err. Writes to the
# live database after the archive was made show up as differences: the report names each one.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="<run|restore|compare> --env-file FILE --client-config FILE [--database NAME] [--collation NAME] [--mysql-exec CMD]"
TAG=elabftw-restore-drill
log_failures "$TAG"

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
    [ "${2:-info}" = info ] || export LAST_ERROR="$1"
    logger -t "$TAG" -p "user.${2:-info}" -- "$1" 2>/dev/null || true
}

drop_scratch() { sql -e "DROP DATABASE IF EXISTS \`$scratch\`"; }

restore_scratch() {
    drop_scratch
    bash "$(dirname "${BASH_SOURCE[0]}")/elabftw-restore.sh" db --env-file "$env_file" --database "$scratch" --collation "$collation" \
        --client-config "$client_config" --mysql-exec "$mysql_exec" ||
        die "restore drill FAILED: the newest archive could not be restored (see the lines above)"
}

# objects SCHEMA KIND: one line per object of that kind, sorted (names only: definitions name their schema).
objects() {
    local schema="$1"
    case "$2" in
    tables) sql -e "SELECT table_name FROM information_schema.tables WHERE table_schema = '$schema' AND table_type = 'BASE TABLE' ORDER BY 1" ;;
    views) sql -e "SELECT table_name FROM information_schema.views WHERE table_schema = '$schema' ORDER BY 1" ;;
    triggers) sql -e "SELECT CONCAT(trigger_name, ' ', action_timing, ' ', event_manipulation, ' ON ', event_object_table) FROM information_schema.triggers WHERE trigger_schema = '$schema' ORDER BY 1" ;;
    routines) sql -e "SELECT CONCAT(routine_type, ' ', routine_name) FROM information_schema.routines WHERE routine_schema = '$schema' ORDER BY 1" ;;
    events) sql -e "SELECT event_name FROM information_schema.events WHERE event_schema = '$schema' ORDER BY 1" ;;
    esac
}

# checksum SCHEMA TABLE: CHECKSUM TABLE's value (NULL when the table is missing).
checksum() { sql -e "CHECKSUM TABLE \`$1\`.\`$2\` EXTENDED" 2>/dev/null | cut -f2 || echo missing; }

compare() {
    local kind live restored line table differences=0 tables=0 a b
    for kind in tables views triggers routines events; do
        live=$(objects "$database" "$kind")
        restored=$(objects "$scratch" "$kind")
        [ "$live" = "$restored" ] && continue
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            differences=$((differences + 1))
            report "MISMATCH $kind: $line is in the live database but not in the restored copy" err
        done < <(comm -23 <(echo "$live") <(echo "$restored"))
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            differences=$((differences + 1))
            report "MISMATCH $kind: $line is in the restored copy but not in the live database" err
        done < <(comm -13 <(echo "$live") <(echo "$restored"))
    done
    for table in $(objects "$database" tables); do
        tables=$((tables + 1))
        a=$(checksum "$database" "$table")
        b=$(checksum "$scratch" "$table")
        if [ "$a" != "$b" ] || [ "$a" = NULL ]; then
            differences=$((differences + 1))
            report "MISMATCH $table: CHECKSUM TABLE live $a, restored $b (rows live $(sql -e "SELECT COUNT(*) FROM \`$database\`.\`$table\`"), restored $(sql -e "SELECT COUNT(*) FROM \`$scratch\`.\`$table\`" 2>/dev/null || echo missing))" err
        fi
    done
    [ "$tables" -gt 0 ] || { report "restore drill FAILED: no table in $database to compare" err; return 1; }
    if [ "$differences" -eq 0 ]; then
        report "restore drill OK: $tables tables with identical checksums; views, triggers, routines and events identical"
    else
        report "restore drill FAILED: $differences differences (tables, views, triggers, routines, events, checksums of $tables tables)" err
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
