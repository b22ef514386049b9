#!/usr/bin/env bash
# Installs the VM's nftables ruleset (standard input) as /etc/elabftw/nftables.nft, checks it,
# applies it, and makes a unit apply it at every boot before the network comes up. The ruleset
# replaces only its own table (inet elabftw): Docker's tables stay.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="[--ruleset FILE] [--unit-dir DIR] [--no-systemd yes] < ruleset"

ruleset="/etc/elabftw/nftables.nft" unit_dir="/etc/systemd/system" no_systemd=""
parse_flags "ruleset unit-dir no-systemd" "$@"

install -d -m 0755 "$(dirname "$ruleset")"
candidate=$(mktemp "$(dirname "$ruleset")/.nftables.XXXXXX")
trap 'rm -f "$candidate"' EXIT
cat >"$candidate"
nft --check --file "$candidate" || die "the ruleset does not load: nothing was changed"
chmod 0644 "$candidate"
mv -f "$candidate" "$ruleset"
trap - EXIT
nft --file "$ruleset"
echo "apply-nftables: $ruleset applied"

[ -z "$no_systemd" ] || exit 0
cat >"$unit_dir/elabftw-nftables.service" <<UNIT
[Unit]
Description=elabftw-onprem flow matrix (nftables table inet elabftw)
DefaultDependencies=no
Before=network-pre.target docker.service
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft --file $ruleset

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable elabftw-nftables.service
