#!/usr/bin/env bash
# Encrypted backups with Borg (repokey-blake2), run by systemd timers on the VMs:
#   init        create the repository once (idempotent; never touches an existing one); re-keys a
#               repository still opened by the former shared passphrase to this repository's own
#   db          stream mysqldump (one transaction, routines, events, triggers) straight into
#               borg create: no plaintext dump ever touches a disk
#   files       archive a folder (eLabFTW's uploads)
#   check       verify the repository
#   list        list the archives
#   key-export  print the repository key (escrow it with the passphrase)
# Pruning is not here: the VMs' keys are append-only; the backup host prunes with its own key
# (docs/operating.md). Archive names carry the time and a random suffix: two runs in the same
# second never share a name, so a failed run can only ever delete its own archive.
# Settings come from --env-file (read by borg_env, never sourced). Every failure reaches syslog.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="<init|db|files|check|list|key-export> --env-file FILE [--mysql-exec CMD] [--client-config FILE] [--database NAME] [--source DIR]"
log_failures elabftw-backup

[ $# -ge 1 ] || usage
action="$1"
shift
env_file="" mysql_exec="" client_config="" database="elabftw" source=""
parse_flags "env-file mysql-exec client-config database source" "$@"
require env_file
borg_env "$env_file"

# Results go to stdout/stderr (the journal, forwarded by rsyslog) and to syslog directly.
report() {
    echo "$SCRIPT_NAME: $*"
    logger -t elabftw-backup -- "$*" 2>/dev/null || true
}
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
run_id() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }

# abandon ARCHIVE WHAT: a run failed after borg create may have written ARCHIVE (a name only this
# run uses): delete it, or say loudly that it is still there and must not be trusted.
abandon() {
    local archive="$1" what="$2" listed
    if ! listed=$(borg list --short --glob-archives "$archive"); then
        die "$what failed, and the repository cannot be listed: if $archive is in $BORG_REPO it is NOT a valid backup (borg delete ::$archive)"
    fi
    [ -n "$listed" ] || die "$what failed before archive $archive was written: nothing was kept"
    borg delete "::$archive" ||
        die "$what failed AND the cleanup failed: archive $archive is left in $BORG_REPO and is NOT a valid backup; delete it (borg delete ::$archive)"
    die "$what failed: its archive $archive was deleted, nothing was kept"
}

# One run at a time on this VM: a second mysqldump would stream into a borg create that waits for
# the repository lock, and MySQL drops a client that cannot write (net_write_timeout).
serialize() {
    exec 9>>"$(dirname "$BACKUP_PASSPHRASE_FILE")/.elabftw-backup.lock"
    flock -w 3600 9 || die "another backup run has held the lock for an hour: not starting"
}

case "$action" in
init)
    if errors=$(borg info 2>&1 >/dev/null); then
        report "repository $BORG_REPO exists; keeping it"
    elif grep -qE "does not exist|is not a valid repository" <<<"$errors"; then
        borg init --encryption=repokey-blake2 --make-parent-dirs
        report "repository $BORG_REPO created (repokey-blake2)"
    elif grep -q "is incorrect" <<<"$errors" && [ -n "${BACKUP_PREVIOUS_PASSPHRASE_FILE:-}" ] && [ -r "$BACKUP_PREVIOUS_PASSPHRASE_FILE" ]; then
        # Once, on a unit deployed when both repositories shared a passphrase.
        BORG_PASSCOMMAND="cat $BACKUP_PREVIOUS_PASSPHRASE_FILE" BORG_NEW_PASSPHRASE="$(cat "$BACKUP_PASSPHRASE_FILE")" borg key change-passphrase ||
            die "cannot re-key $BORG_REPO with its own passphrase"
        rm -f "$BACKUP_PREVIOUS_PASSPHRASE_FILE"
        report "repository $BORG_REPO re-keyed: it now opens with its own passphrase only"
    else
        echo "$errors" >&2
        if [ -n "${BACKUP_SSH_KEY:-}" ] && [ -r "$BACKUP_SSH_KEY" ]; then
            # The usual first-deployment case: the backup host does not know this VM's key yet.
            echo "$SCRIPT_NAME: if the backup host does not know this VM yet, add this key to the Borg user's authorized_keys" >&2
            echo "$SCRIPT_NAME: (pulumi stack output backupAuthorizedKeys gives the restricted line), then run pulumi up again:" >&2
            ssh-keygen -y -f "$BACKUP_SSH_KEY" >&2 || true
        fi
        die "cannot open $BORG_REPO (wrong passphrase, this VM's key not authorised yet, a backup host key other than backupHostKey, or an unreachable host?): not creating anything"
    fi
    ;;
db)
    require client_config
    [[ "$database" =~ ^[A-Za-z0-9_]+$ ]] || die "database name '$database' is not plain"
    read -r -a exec_prefix <<<"$mysql_exec"
    serialize
    archive="db-$(stamp)-$(run_id)"
    if ! "${exec_prefix[@]}" mysqldump --defaults-extra-file="$client_config" --single-transaction --routines --events --triggers \
        --no-tablespaces --hex-blob --default-character-set=utf8mb4 "$database" |
        borg create --compression zstd,6 --stdin-name "$database.sql" "::$archive" -; then
        # A dump that failed half-way must not stand as a backup.
        abandon "$archive" "database backup"
    fi
    report "database $database saved as $archive"
    ;;
files)
    require source
    [ -d "$source" ] || die "$source is not a folder"
    serialize
    archive="$(basename "$source")-$(stamp)-$(run_id)"
    status=0
    (cd "$(dirname "$source")" && borg create --compression zstd,3 "::$archive" "$(basename "$source")") || status=$?
    # Borg's 1 is a warning (a file changed while it was read): the archive is complete otherwise.
    [ "$status" -le 1 ] || abandon "$archive" "backup of $source"
    report "$source saved as $archive$([ "$status" -eq 0 ] || echo " (with Borg warnings: see above)")"
    ;;
check)
    borg check || die "borg check found problems in $BORG_REPO"
    report "repository $BORG_REPO checked"
    ;;
list)
    borg list
    ;;
key-export)
    borg key export ::
    ;;
*)
    usage
    ;;
esac
