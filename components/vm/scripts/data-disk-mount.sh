#!/usr/bin/env bash
# Opens the data disk (through /etc/crypttab when it is LUKS, so the boot path is what is tested),
# puts an ext4 file system on it the first time only, mounts it at boot through /etc/fstab, and
# starts Docker, whose data-root lives there. Idempotent: an existing file system is never touched.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--device PATH --mount-point DIR --label LABEL [--luks-name NAME]"

device="" mount_point="" label="" luks_name=""
parse_flags "device mount-point label luks-name" "$@"
require device mount_point label

[[ "$mount_point" == /* ]] || die "mount point must be an absolute path"

if [ -n "$luks_name" ]; then
    grep -qE "^${luks_name}[[:space:]]" /etc/crypttab || die "$luks_name is not in /etc/crypttab: run luks-format.sh first"
    systemctl daemon-reload
    # Unlocked by the vTPM; never wait for a passphrase on a console nobody watches.
    systemctl start --no-ask-password "systemd-cryptsetup@${luks_name}.service" ||
        die "the vTPM did not unlock $luks_name: unlock it at the console with the recovery passphrase (pulumi stack output --show-secrets luksRecoveryPassphrases)"
    device="/dev/mapper/${luks_name}"
fi
[ -b "$device" ] || die "$device is not a block device"

fs_type=$(blkid -o value -s TYPE "$device" || true)
case "$fs_type" in
    ext4) echo "data-disk-mount: $device already holds ext4; keeping it" ;;
    "") mkfs.ext4 -q -L "$label" "$device" ;;
    *) die "$device holds a $fs_type file system: refusing to format it" ;;
esac

install -d -m 0755 "$mount_point"
if ! grep -qE "^[^#[:space:]]+[[:space:]]+${mount_point}[[:space:]]" /etc/fstab; then
    printf '%s %s ext4 defaults,noatime,nofail 0 2\n' "$device" "$mount_point" >>/etc/fstab
fi
systemctl daemon-reload
mountpoint -q "$mount_point" || mount "$mount_point"
install -d -m 0711 "$mount_point/docker"
systemctl start docker.service
echo "data-disk-mount: $device mounted at $mount_point; Docker started"
