#!/usr/bin/env bash
# The MySQL accounts beyond what the official image creates, run on the DB VM once the real server
# answers:
# - it waits until mysqld answers over TCP with TLS verified against the private CA (the image's
#   first start runs a temporary server with networking off on the same socket, which a socket
#   check would take for the real one);
# - then, as root on the socket: the SQL on standard input (the operator account); the elabftw
#   account limited to the web VM's address (the image creates it at '%' and has no setting for its
#   host: RENAME keeps its password and grants; other hosts of it are dropped); root@'%' dropped
#   (what the image created before MYSQL_ROOT_HOST=localhost), so root logs in on the socket only.
# Idempotent: a second run changes nothing. Prints only what it changed.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--container NAME --web-address IPV4 --tcp-config FILE --root-config FILE [--attempts N] [--retry-delay SECONDS] < accounts.sql"

container="" web_address="" tcp_config="" root_config="" attempts=60 retry_delay=5
parse_flags "container web-address tcp-config root-config attempts retry-delay" "$@"
require container web_address tcp_config root_config
[[ "$web_address" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "--web-address $web_address is not an IPv4 address"
[[ "$attempts" =~ ^[1-9][0-9]*$ && "$retry_delay" =~ ^[0-9]+$ ]] || usage
# Read now: the docker calls below must not take standard input from the SQL.
accounts_sql="$(cat)"

# mysqladmin ping exits 0 once the server answers, even when it refuses the account, and 1 on any
# client-side failure: no TCP listener yet, or a TLS handshake that fails ssl-mode=VERIFY_CA.
for ((attempt = 1; ; attempt++)); do
    docker exec "$container" mysqladmin --defaults-extra-file="$tcp_config" ping >/dev/null 2>&1 && break
    [ "$attempt" -lt "$attempts" ] || die "MySQL did not answer over TCP with TLS after $attempts attempts: see docker logs $container"
    sleep "$retry_delay"
done

root_sql() {
    docker exec -i "$container" mysql --defaults-extra-file="$root_config" --batch --skip-column-names
}

printf '%s\n' "$accounts_sql" | root_sql >/dev/null

hosts="$(echo "SELECT Host FROM mysql.user WHERE User = 'elabftw';" | root_sql)"
[ -n "$hosts" ] || die "there is no elabftw account: the image creates it at first start from MYSQL_USER"
while IFS= read -r host; do
    [[ "$host" =~ ^[A-Za-z0-9.%:_-]+$ ]] || die "the elabftw account has an unexpected host: $host"
done <<<"$hosts"
changes=""
if ! grep -qxF "$web_address" <<<"$hosts"; then
    from="$(head -n 1 <<<"$hosts")"
    changes+="RENAME USER 'elabftw'@'$from' TO 'elabftw'@'$web_address';"$'\n'
    echo "mysql-accounts: elabftw@'$from' renamed elabftw@'$web_address'"
    hosts="$(tail -n +2 <<<"$hosts")"
fi
while IFS= read -r host; do
    if [ -z "$host" ] || [ "$host" = "$web_address" ]; then continue; fi
    changes+="DROP USER 'elabftw'@'$host';"$'\n'
    echo "mysql-accounts: elabftw@'$host' removed (only the web VM connects)"
done <<<"$hosts"
if [ -n "$(echo "SELECT 1 FROM mysql.user WHERE User = 'root' AND Host = '%';" | root_sql)" ]; then
    changes+="DROP USER 'root'@'%';"$'\n'
    echo "mysql-accounts: root@'%' removed (root logs in on the socket only)"
fi
[ -z "$changes" ] || printf '%s' "$changes" | root_sql
