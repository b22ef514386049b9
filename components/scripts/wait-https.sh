#!/usr/bin/env bash
# Waits until eLabFTW answers https://<name>/healthcheck.php (which queries the database) with a
# certificate that chains to the given CA and carries the name, reaching it at the given address.
#
# Usage: wait-https.sh --name FQDN --address IP --cacert FILE [--attempts N]
set -euo pipefail

usage() { echo "usage: wait-https.sh --name FQDN --address IP --cacert FILE [--attempts N]" >&2; exit 2; }

name="" address="" cacert="" attempts=60
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --name) name="$2" ;;
        --address) address="$2" ;;
        --cacert) cacert="$2" ;;
        --attempts) attempts="$2" ;;
        *) usage ;;
    esac
    shift 2
done
if [ -z "$name" ] || [ -z "$address" ] || [ -z "$cacert" ]; then usage; fi

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
