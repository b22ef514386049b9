#!/usr/bin/env bash
# The daily alarm run (elabftw-alarms.timer): runs the status script with the program's arguments
# and logs each condition that needs a human to syslog under a stable tag, which rsyslog forwards
# to the unit's syslog server; the central alerting matches on those tags (docs/operating.md).
# Read-only. One heartbeat line under elabftw-alarms when nothing is wrong, so silence is visible.
#   elabftw-alarms.sh STATUS_SCRIPT [STATUS ARGUMENTS...]
set -uo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="STATUS_SCRIPT [status arguments...]"
[ $# -ge 1 ] || usage
status_script="$1"
shift

# alarm TAG PRIORITY MESSAGE: one syslog line (and the journal, through stdout).
alarm() {
    echo "$1: $3"
    logger -t "$1" -p "user.$2" -- "$3" 2>/dev/null || true
    raised=$((raised + 1))
}

raised=0 checks=0
output=$(bash "$status_script" "$@") || alarm elabftw-alarm-health err "the status script failed (exit $?): $status_script"
while IFS=$'\t' read -r check state detail _since; do
    [ -n "$check" ] || continue
    checks=$((checks + 1))
    [ "$state" != ok ] || continue
    case "$check:$state" in
    cert-*:warn) alarm elabftw-alarm-cert-renewal warning "$check: $detail" ;;
    cert-*) alarm elabftw-alarm-cert-expired crit "$check: $detail" ;;
    archive-*) alarm elabftw-alarm-backup-stale err "$check: $detail" ;;
    borg-check:*) alarm elabftw-alarm-backup-check err "$check: $detail" ;;
    restore-drill:*) alarm elabftw-alarm-restore-drill err "$check: $detail" ;;
    data-disk:*) alarm elabftw-alarm-disk-full err "$check: $detail" ;;
    *:warn) alarm elabftw-alarm-health warning "$check: $detail" ;;
    *) alarm elabftw-alarm-health err "$check: $detail" ;;
    esac
done <<<"$output"
if [ "$raised" -eq 0 ]; then
    echo "elabftw-alarms: all $checks checks ok"
    logger -t elabftw-alarms -p user.info -- "all $checks checks ok" 2>/dev/null || true
fi
exit 0
