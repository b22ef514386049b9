#!/usr/bin/env bash
# Waits until cloud-init has finished the first boot (packages installed, files written).
# Exit 2 means "done, with recoverable errors" (deprecation warnings among them): report, go on.
set -uo pipefail
cloud-init status --wait --long
status=$?
case "$status" in
    0) ;;
    2) echo "wait-cloud-init: cloud-init finished with recoverable errors (see /var/log/cloud-init.log)" >&2 ;;
    *) echo "wait-cloud-init: cloud-init failed (exit $status); see /var/log/cloud-init-output.log" >&2; exit "$status" ;;
esac
