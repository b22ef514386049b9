#!/usr/bin/env bash
# Helpers shared by the VM scripts. scriptCommand() sends this file ahead of each script over SSH;
# run from a checkout, a script sources it from its own folder.

SCRIPT_NAME="${0##*/}"
SCRIPT_NAME="${SCRIPT_NAME%.sh}"

# die MESSAGE...: report on stderr, prefixed with the script's name, and exit 1.
die() {
    export LAST_ERROR="$*"
    echo "${SCRIPT_NAME}: $*" >&2
    exit 1
}

# usage: print the script's USAGE line and exit 2.
usage() {
    echo "usage: ${SCRIPT_NAME}.sh ${USAGE:-}" >&2
    exit 2
}

# parse_flags "name other-name" "$@": sets $name and $other_name from --name V --other-name V.
# Any other argument, or a flag without its value, is a usage error.
parse_flags() {
    local allowed=" $1 " key
    shift
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || usage
        [[ "$1" == --* ]] || usage
        key="${1#--}"
        case "$allowed" in *" $key "*) ;; *) usage ;; esac
        printf -v "${key//-/_}" '%s' "$2"
        shift 2
    done
}

# require NAME...: each named variable must be set and non-empty.
require() {
    local variable
    for variable in "$@"; do
        [ -n "${!variable:-}" ] || usage
    done
}

# load_env FILE: export the variables of an environment file (the Borg settings of this VM)
# WITHOUT running it: each line is a comment, blank, or KEY='value' with KEY among the names the
# backup scripts read and value from a safe character set. Anything else is refused, so a value
# holding $(...), backticks, ; or a newline can never execute.
ENV_KEYS=" BORG_REPO BORG_BASE_DIR BACKUP_PASSPHRASE_FILE BACKUP_PREVIOUS_PASSPHRASE_FILE BACKUP_SSH_KEY BACKUP_KNOWN_HOSTS BORG_HOSTNAME_IS_UNIQUE "
load_env() {
    local line number=0 key value
    [ -r "$1" ] || die "cannot read $1"
    while IFS= read -r line || [ -n "$line" ]; do
        number=$((number + 1))
        [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
        [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=\'([A-Za-z0-9._/:@=+-]*)\'$ ]] || die "$1 line $number is not KEY='value' with a plain value: refusing the file"
        key="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}"
        case "$ENV_KEYS" in *" $key "*) ;; *) die "$1 line $number sets $key, which the backup scripts do not read: refusing the file" ;; esac
        printf -v "$key" '%s' "$value"
        export "${key?}"
    done <"$1"
}

# log_failures TAG: from now on, an exit with a non-zero status is also reported to syslog (tag
# TAG, priority user.err) with the last message die() printed: no failure path goes unreported.
log_failures() {
    SYSLOG_TAG="$1"
    trap 'report_exit $?' EXIT
}
report_exit() {
    [ "$1" -eq 0 ] || logger -t "$SYSLOG_TAG" -p user.err -- "FAILED (exit $1): ${LAST_ERROR:-see the journal}" 2>/dev/null || true
}

# borg_env FILE: load the Borg settings of this VM and build the commands Borg runs from them
# (Borg splits BORG_PASSCOMMAND and BORG_RSH into words itself: no shell). Over SSH the backup
# host must present the key pinned in BACKUP_KNOWN_HOSTS: never trust on first use.
borg_env() {
    load_env "$1"
    [ -n "${BORG_REPO:-}" ] || die "BORG_REPO is not set in $1"
    [ -n "${BACKUP_PASSPHRASE_FILE:-}" ] || die "BACKUP_PASSPHRASE_FILE is not set in $1"
    export BORG_PASSCOMMAND="cat $BACKUP_PASSPHRASE_FILE"
    if [[ "$BORG_REPO" == ssh://* ]]; then
        if [ -z "${BACKUP_SSH_KEY:-}" ] || [ -z "${BACKUP_KNOWN_HOSTS:-}" ]; then
            die "$1 names an ssh:// repository without BACKUP_SSH_KEY and BACKUP_KNOWN_HOSTS"
        fi
        [ -s "$BACKUP_KNOWN_HOSTS" ] || die "$BACKUP_KNOWN_HOSTS is empty: the backup host's key must be pinned (backupHostKey) before any data moves"
        export BORG_RSH="ssh -i $BACKUP_SSH_KEY -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$BACKUP_KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null"
    fi
}

# borg ARGS...: Borg, waiting for the repository lock instead of failing at once (the daily timer,
# the drill's dump and a pre-upgrade backup may run at the same time).
borg() {
    command borg --lock-wait "${BORG_LOCK_WAIT:-900}" "$@"
}
