#!/usr/bin/env bash
# Encrypted backups with Borg (repokey-blake2), run by systemd timers on the VMs:
#   init        create the repository once (idempotent; never touches an existing one)
#   db          stream mysqldump (one transaction, routines, events, triggers) straight into
#               borg create: no plaintext dump ever touches a disk
#   files       archive a folder (eLabFTW's uploads)
#   prune       apply the retention to this kind of archive, then compact
#   check       verify the repository
#   key-export  print the repository key (escrow it with the passphrase)
# The repository, the passphrase command and the SSH command come from --env-file (BORG_REPO,
# BORG_PASSCOMMAND, BORG_RSH, BORG_BASE_DIR): the passphrase is read from a root-only file.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="<init|db|files|prune|check|key-export> --env-file FILE [--mysql-exec CMD] [--client-config FILE] [--database NAME] [--source DIR] [--kind db|uploads] [--keep-daily N] [--keep-monthly N]"

[ $# -ge 1 ] || usage
action="$1"
shift
env_file="" mysql_exec="" client_config="" database="elabftw" source="" kind="" keep_daily="14" keep_monthly="6"
parse_flags "env-file mysql-exec client-config database source kind keep-daily keep-monthly" "$@"
require env_file
load_env "$env_file"
: "${BORG_REPO:?BORG_REPO is not set in $env_file}"

# Results go to stdout/stderr (the journal, forwarded by rsyslog) and to syslog directly.
report() {
    echo "$SCRIPT_NAME: $*"
    logger -t elabftw-backup -- "$*" 2>/dev/null || true
}
fail() {
    logger -t elabftw-backup -p user.err -- "FAILED: $*" 2>/dev/null || true
    die "$*"
}
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }

case "$action" in
init)
    if borg info >/dev/null 2>"${TMPDIR:-/tmp}/borg-info.$$"; then
        report "repository $BORG_REPO exists; keeping it"
    elif grep -qE "does not exist|is not a valid repository" "${TMPDIR:-/tmp}/borg-info.$$"; then
        borg init --encryption=repokey-blake2 --make-parent-dirs
        report "repository $BORG_REPO created (repokey-blake2)"
    else
        cat "${TMPDIR:-/tmp}/borg-info.$$" >&2
        rm -f "${TMPDIR:-/tmp}/borg-info.$$"
        if [ -n "${BACKUP_SSH_KEY:-}" ] && [ -r "$BACKUP_SSH_KEY" ]; then
            # The usual first-deployment case: the backup host does not know this VM's key yet.
            echo "$SCRIPT_NAME: if the backup host does not know this VM yet, add this key to the Borg user's authorized_keys" >&2
            echo "$SCRIPT_NAME: (pulumi stack output backupAuthorizedKeys gives the restricted line), then run pulumi up again:" >&2
            ssh-keygen -y -f "$BACKUP_SSH_KEY" >&2 || true
        fi
        fail "cannot open $BORG_REPO (wrong passphrase, unknown key or unreachable host?): not creating anything"
    fi
    rm -f "${TMPDIR:-/tmp}/borg-info.$$"
    ;;
db)
    require client_config
    [[ "$database" =~ ^[A-Za-z0-9_]+$ ]] || die "database name '$database' is not plain"
    read -r -a exec_prefix <<<"$mysql_exec"
    archive="db-$(stamp)"
    if ! "${exec_prefix[@]}" mysqldump --defaults-extra-file="$client_config" --single-transaction --routines --events --triggers \
        --no-tablespaces --hex-blob --default-character-set=utf8mb4 "$database" |
        borg create --compression zstd,6 --stdin-name "$database.sql" "::$archive" -; then
        # A dump that failed half-way must not stand as a backup.
        borg delete "::$archive" 2>/dev/null || true
        fail "database backup $archive failed: nothing was kept"
    fi
    report "database $database saved as $archive"
    ;;
files)
    require source
    [ -d "$source" ] || fail "$source is not a folder"
    archive="$(basename "$source")-$(stamp)"
    (cd "$(dirname "$source")" && borg create --compression zstd,3 "::$archive" "$(basename "$source")") || fail "backup of $source failed"
    report "$source saved as $archive"
    ;;
prune)
    require kind
    borg prune --glob-archives "$kind-*" --keep-daily "$keep_daily" --keep-monthly "$keep_monthly" || fail "prune of $kind archives failed"
    borg compact || fail "compact failed"
    report "$kind archives pruned (daily $keep_daily, monthly $keep_monthly)"
    ;;
check)
    borg check || fail "borg check found problems in $BORG_REPO"
    report "repository $BORG_REPO checked"
    ;;
key-export)
    borg key export ::
    ;;
*)
    usage
    ;;
esac
