#!/usr/bin/env bash
# Read-only health of one VM, one line per check: CHECK<TAB>STATE<TAB>DETAIL<TAB>SINCE, STATE being
# ok, warn or fail. Changes nothing (no write, no restart); `npm run status` runs it over SSH and the
# daily alarm timer runs the installed copy. Exit 0 when every check ran (their states say the rest).
# Every value comes from the program's plan (components/monitoring/statusPlan.ts).
set -uo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--data-mount DIR [--data-source DEV] [--luks-name NAME --luks-device DEV] [--sysfs DIR] [--containers NAME=IMAGE,...] [--borg-env FILE --archive-prefix P --max-archive-hours N] [--check-unit U --max-check-days N] [--drill-unit U] [--certs LABEL:DAYS=FILE,...] [--nft-table 'FAMILY NAME'] [--disk-threshold PCT] [--mysql-exec CMD --client-config FILE] [--health-url URL --health-ca FILE --health-resolve H:P:A] [--elabftw-container NAME] [--apt-config FILE]"

data_mount="" data_source="" luks_name="" luks_device="" sysfs="/sys" containers="" borg_env="" archive_prefix=""
max_archive_hours="30" check_unit="" max_check_days="8" drill_unit="" certs="" nft_table="" disk_threshold="85"
mysql_exec="" client_config="" health_url="" health_ca="" health_resolve="" elabftw_container="" apt_config=""
parse_flags "data-mount data-source luks-name luks-device sysfs containers borg-env archive-prefix max-archive-hours check-unit max-check-days drill-unit certs nft-table disk-threshold mysql-exec client-config health-url health-ca health-resolve elabftw-container apt-config" "$@"
require data_mount

now=$(date +%s)
# emit CHECK STATE DETAIL [SINCE]: one result line; tabs and newlines in the detail become spaces.
emit() {
    local detail="${3//$'\t'/ }"
    detail="${detail//$'\n'/ }"
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$detail" "${4:-}"
}
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || true; }
read -r -a exec_prefix <<<"$mysql_exec"

check_luks() {
    [ -n "$luks_name" ] || return 0
    local dm="" name tokens journal
    for name in "$sysfs"/block/*/dm/name; do
        [ -r "$name" ] && [ "$(cat "$name")" = "$luks_name" ] && dm="${name%/name}"
    done
    if [ -z "$dm" ] || [[ "$(cat "$dm/uuid" 2>/dev/null)" != CRYPT-LUKS* ]]; then
        emit luks fail "$luks_name is not open: the data disk is locked (unlock it with the recovery passphrase, docs/operating.md)"
        return
    fi
    tokens=$(cryptsetup luksDump --dump-json-metadata "$luks_device" 2>/dev/null | jq -r '[.tokens[].type] | join(",")' 2>/dev/null || true)
    journal=$(journalctl -b -o cat -u "systemd-cryptsetup@${luks_name}.service" 2>/dev/null || true)
    if grep -q "TPM2 token unlocks volume" <<<"$journal"; then
        emit luks ok "$luks_name open, unlocked by the vTPM at this boot (tokens: ${tokens:-none})"
    elif [[ ",$tokens," != *,systemd-tpm2,* ]]; then
        emit luks warn "$luks_name open, but no vTPM token is enrolled: the next boot waits for the passphrase"
    elif [ -n "$journal" ]; then
        emit luks warn "$luks_name open with the passphrase at this boot: the vTPM did not unlock it (re-enrol, docs/operating.md)"
    else
        emit luks ok "$luks_name open, vTPM token enrolled (no journal record of this boot's unlock)"
    fi
}

check_mount() {
    local line source fstype options
    if ! line=$(findmnt -n -r -o SOURCE,FSTYPE,OPTIONS --mountpoint "$data_mount"); then
        emit data-mount fail "$data_mount is not mounted: Docker and the data are not on the encrypted disk"
        return
    fi
    read -r source fstype options <<<"$line"
    if [ -n "$data_source" ] && [ "$source" != "$data_source" ]; then
        emit data-mount fail "$data_mount comes from $source, not $data_source"
    elif [[ ",$options," == *,ro,* ]]; then
        emit data-mount fail "$data_mount is mounted read-only ($source)"
    else
        emit data-mount ok "$data_mount from $source ($fstype, rw)"
    fi
}

check_docker() {
    local info version root
    if ! info=$(docker info --format '{{.ServerVersion}} {{.DockerRootDir}}' 2>&1); then
        emit docker fail "the Docker engine does not answer: ${info:0:160}"
        return
    fi
    read -r version root <<<"$info"
    if [[ "$root" != "$data_mount"/* ]]; then
        emit docker fail "Docker $version keeps its data in $root, outside $data_mount (the plaintext OS disk)"
    else
        emit docker ok "Docker $version, data in $root"
    fi
}

check_containers() {
    local entry name image state health running_id configured_id started tags
    local -a entries
    IFS=, read -r -a entries <<<"$containers"
    for entry in "${entries[@]}"; do
        name="${entry%%=*}" image="${entry#*=}"
        if ! state=$(docker inspect --format '{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.Image}}|{{.State.StartedAt}}' "$name" 2>/dev/null); then
            emit "container-$name" fail "no container $name"
            continue
        fi
        IFS='|' read -r state health running_id started <<<"$state"
        configured_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
        tags=$(docker image inspect --format '{{join .RepoTags ","}}' "$running_id" 2>/dev/null || true)
        if [ "$state" != running ]; then
            emit "container-$name" fail "$name is $state" "$(iso "$started")"
        elif [ -n "$health" ] && [ "$health" != healthy ]; then
            emit "container-$name" fail "$name is running but $health" "$(iso "$started")"
        elif [ "$running_id" != "$configured_id" ]; then
            emit "container-$name" fail "$name runs ${tags:-$running_id}, not the configured $image" "$(iso "$started")"
        else
            emit "container-$name" ok "$name running, ${health:-no healthcheck}, on $image" "$(iso "$started")"
        fi
    done
}

# On the DB VM, through the operator account: the server refuses plaintext and offers TLS >= 1.2 only.
check_mysql() {
    [ -n "$client_config" ] || return 0
    local out secure versions session
    if ! out=$("${exec_prefix[@]}" mysql --defaults-extra-file="$client_config" --batch --skip-column-names \
        -e "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('require_secure_transport','tls_version'); SHOW SESSION STATUS LIKE 'Ssl_version'" 2>&1); then
        emit mysql-tls fail "the operator account cannot query the server: ${out:0:160}"
        return
    fi
    secure=$(awk '$1=="require_secure_transport"{print $2}' <<<"$out")
    versions=$(awk '$1=="tls_version"{print $2}' <<<"$out")
    session=$(awk '$1=="Ssl_version"{print $2}' <<<"$out")
    if [ "$secure" != ON ]; then
        emit mysql-tls fail "require_secure_transport is ${secure:-unknown}: the server accepts plaintext connections"
    elif [[ ",$versions," =~ ,TLSv1(\.[01])?, ]]; then
        emit mysql-tls fail "tls_version $versions allows TLS below 1.2"
    else
        emit mysql-tls ok "require_secure_transport ON, tls_version $versions, operator session $session"
    fi
}

# On the web VM, eLabFTW's own connection: its container's PHP and mysqlnd, its DB_* settings and
# DB_CERT_PATH (verify the server and its name), asked which TLS version the session uses.
check_elabftw_db() {
    [ -n "$elabftw_container" ] || return 0
    local php out
    # shellcheck disable=SC2016 # PHP code: its \$ are PHP's.
    php='error_reporting(E_ALL & ~E_DEPRECATED); $e = "getenv";
$pdo = new PDO("mysql:host=".$e("DB_HOST").";port=".$e("DB_PORT").";dbname=".$e("DB_NAME"), $e("DB_USER"), $e("DB_PASSWORD"), [PDO::MYSQL_ATTR_SSL_CA => $e("DB_CERT_PATH")]);
echo $pdo->query("SHOW SESSION STATUS LIKE \"Ssl_version\"")->fetch()[1];'
    if ! out=$(docker exec "$elabftw_container" php -r "$php" 2>&1); then
        emit elabftw-db-tls fail "eLabFTW cannot reach its database: ${out:0:200}"
    elif [[ "$out" =~ ^TLSv1\.[23]$ ]]; then
        emit elabftw-db-tls ok "eLabFTW's database connection uses $out, server certificate verified"
    else
        emit elabftw-db-tls fail "eLabFTW's database connection uses '${out:-no TLS}'"
    fi
    # The schema against the code (db:check exits 1 when migrations are pending).
    local running tags
    running=$(docker inspect --format '{{.Image}}' "$elabftw_container" 2>/dev/null || true)
    tags=$(docker image inspect --format '{{join .RepoTags ","}}' "$running" 2>/dev/null || true)
    if out=$(docker exec "$elabftw_container" bin/console db:check 2>&1); then
        emit elabftw-version ok "${tags:-unknown image}: $(grep -E '^(Current|Required) version' <<<"$out" | tr '\n' ' ')"
    else
        emit elabftw-version fail "${tags:-unknown image}: db:check failed: $(grep -vE '^(Database check|=+)$' <<<"$out" | tr '\n' ' ' | cut -c1-200)"
    fi
}

check_health() {
    [ -n "$health_url" ] || return 0
    local out code body
    out=$(curl -sS --max-time 15 --cacert "$health_ca" ${health_resolve:+--resolve "$health_resolve"} -w '\n%{http_code}' "$health_url" 2>&1)
    code="${out##*$'\n'}" body="${out%$'\n'*}"
    if [ "$code" = 200 ] && [ "$body" = ok ]; then
        emit healthcheck ok "$health_url answered ok (TLS verified)"
    else
        emit healthcheck fail "$health_url: HTTP ${code:-none} ${body:0:160}"
    fi
}

# The newest archive of this VM's repository, in a subshell so Borg's settings stay there.
check_archive() {
    [ -n "$borg_env" ] || return 0
    (
        # The backup scripts' own reader of borg.env: borg_env where it exists, load_env before.
        if [ "$(type -t borg_env)" = function ]; then borg_env "$borg_env"; else load_env "$borg_env"; fi
        local out last age
        # A running backup holds the lock: wait a little, never the backups' long wait.
        if ! out=$(command borg --lock-wait 30 list --last 1 --glob-archives "$archive_prefix-*" --json 2>&1); then
            emit "archive-$archive_prefix" fail "cannot list ${BORG_REPO:-the repository}: ${out:0:160}"
            exit 0
        fi
        last=$(jq -r '.archives[-1].time // empty' <<<"$out")
        if [ -z "$last" ]; then
            emit "archive-$archive_prefix" fail "no $archive_prefix archive in ${BORG_REPO}"
            exit 0
        fi
        age=$(((now - $(date -d "$last" +%s)) / 3600))
        if [ "$age" -gt "$max_archive_hours" ]; then
            emit "archive-$archive_prefix" fail "last $archive_prefix archive ${age}h old (schedule: daily, alarm after ${max_archive_hours}h)" "$(iso "$last")"
        else
            emit "archive-$archive_prefix" ok "last $archive_prefix archive ${age}h old" "$(iso "$last")"
        fi
    ) || emit "archive-$archive_prefix" fail "cannot read $borg_env"
}

# unit_result CHECK UNIT MAX_DAYS: the last run of a oneshot service, as systemd recorded it.
unit_result() {
    local check="$1" unit="$2" max_days="$3" props result ended age
    props=$(systemctl show "$unit" -p Result -p ExecMainExitTimestamp 2>/dev/null || true)
    result=$(sed -n 's/^Result=//p' <<<"$props")
    ended=$(sed -n 's/^ExecMainExitTimestamp=//p' <<<"$props")
    if [ -z "$ended" ]; then
        emit "$check" warn "$unit has not run yet"
        return
    fi
    age=$(((now - $(date -d "$ended" +%s)) / 86400))
    if [ "$result" != success ]; then
        emit "$check" fail "$unit failed ($result): journalctl -u $unit" "$(iso "$ended")"
    elif [ "$max_days" -gt 0 ] && [ "$age" -gt "$max_days" ]; then
        emit "$check" fail "$unit last passed ${age} days ago (expected every ${max_days} days or less)" "$(iso "$ended")"
    else
        emit "$check" ok "$unit passed ${age} days ago" "$(iso "$ended")"
    fi
}

check_certs() {
    local entry label window file end days
    local -a entries
    IFS=, read -r -a entries <<<"$certs"
    for entry in "${entries[@]}"; do
        label="${entry%%:*}" window="${entry#*:}" file="${entry#*=}"
        window="${window%%=*}"
        if ! end=$(openssl x509 -noout -enddate -in "$file" 2>/dev/null); then
            emit "cert-$label" fail "cannot read a certificate in $file"
            continue
        fi
        end="${end#notAfter=}"
        days=$((($(date -d "$end" +%s) - now) / 86400))
        if [ "$(date -d "$end" +%s)" -le "$now" ]; then
            emit "cert-$label" fail "EXPIRED on $(iso "$end"): run pulumi up now" "$(iso "$end")"
        elif [ "$days" -le "$window" ]; then
            emit "cert-$label" warn "$days days left, inside the ${window}-day renewal window: run pulumi up" "$(iso "$end")"
        else
            emit "cert-$label" ok "$days days left (renewal window ${window} days)" "$(iso "$end")"
        fi
    done
}

check_nftables() {
    [ -n "$nft_table" ] || return 0
    local listing
    # shellcheck disable=SC2086 # "inet elabftw" is two words: family and name.
    if ! listing=$(nft list table $nft_table 2>&1); then
        emit nftables fail "table $nft_table is not loaded: the guest firewall is off"
    elif ! grep -q "policy drop" <<<"$listing"; then
        emit nftables fail "table $nft_table is loaded without a drop policy"
    else
        emit nftables ok "table $nft_table loaded, $(grep -c 'policy drop' <<<"$listing") chains dropping by default"
    fi
}

check_disk() {
    local used
    used=$(df -P "$data_mount" | awk 'NR==2 {sub("%","",$5); print $5}')
    if [ -z "$used" ]; then
        emit data-disk fail "cannot measure $data_mount"
    elif [ "$used" -ge "$disk_threshold" ]; then
        emit data-disk fail "$data_mount is ${used}% full (alarm at ${disk_threshold}%)"
    else
        emit data-disk ok "$data_mount is ${used}% full (alarm at ${disk_threshold}%)"
    fi
}

check_updates() {
    local out pending
    if ! out=$(APT_CONFIG="${apt_config:-${APT_CONFIG:-}}" apt-get -s -o Debug::NoLocking=1 dist-upgrade 2>&1); then
        emit security-updates fail "apt-get cannot simulate an upgrade: ${out:0:160}"
        return
    fi
    pending=$(grep -E '^Inst ' <<<"$out" | grep -c -- '-security' || true)
    if [ "$pending" -gt 0 ]; then
        emit security-updates fail "$pending security updates pending: unattended-upgrades is not applying them"
    elif [ -e /var/run/reboot-required ]; then
        emit security-updates warn "no security update pending, but a reboot is required to finish one"
    else
        emit security-updates ok "no security update pending"
    fi
}

check_time() {
    local synced
    synced=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || true)
    if [ "$synced" = yes ]; then
        emit time-sync ok "the clock is synchronised (NTP)"
    else
        emit time-sync fail "the clock is not synchronised (NTPSynchronized=${synced:-unknown}): certificates and archive ages depend on it"
    fi
}

check_luks
check_mount
check_docker
check_containers
check_mysql
check_elabftw_db
check_health
check_archive
[ -z "$check_unit" ] || unit_result borg-check "$check_unit" "$max_check_days"
[ -z "$drill_unit" ] || unit_result restore-drill "$drill_unit" 0
check_certs
check_nftables
check_disk
check_updates
check_time
