#!/usr/bin/env bash
# Waits until eLabFTW answers https://<name>/healthcheck.php (which queries the database) with a
# certificate that chains to the given CA and carries the name, reaching it at the given address.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--name FQDN --address IP --cacert FILE [--attempts N]"

name="" address="" cacert="" attempts=60
parse_flags "name address cacert attempts" "$@"
require name address cacert

for _ in $(seq 1 "$attempts"); do
    if curl --silent --show-error --fail --max-time 10 --cacert "$cacert" \
        --resolve "$name:443:$address" "https://$name/healthcheck.php"; then
        echo
        echo "wait-https: https://$name/healthcheck.php answers"
        exit 0
    fi
    sleep 5
done
echo "wait-https: https://$name/healthcheck.php did not answer: see 'docker logs elabftw'" >&2
exit 1
