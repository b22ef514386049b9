#!/usr/bin/env bash
# Formats a data disk as LUKS2 once, enrols the VM's vTPM so it unlocks at boot, and records it in
# /etc/crypttab. Idempotent and safe: a device that already holds LUKS is never reformatted (the
# passphrase given must open it), and a device holding any other signature is refused.
# The recovery passphrase arrives on standard input, never as an argument or in the environment.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--device PATH --name NAME [--tpm2 yes|no] [--crypttab FILE] < passphrase"

device="" name="" tpm2="yes" crypttab="/etc/crypttab"
parse_flags "device name tpm2 crypttab" "$@"
require device name

[[ "$name" =~ ^[a-z][a-z0-9_-]{0,31}$ ]] || die "mapping name '$name' must be lowercase letters, digits, - or _"
case "$tpm2" in yes | no) ;; *) usage ;; esac

# udev may still be creating the /dev/disk/by-id link right after boot.
for _ in $(seq 1 60); do
    [ -e "$device" ] && break
    sleep 1
done
[ -e "$device" ] || die "device $device does not exist"

passphrase=""
IFS= read -r passphrase || true
[ "${#passphrase}" -ge 20 ] || die "expected the recovery passphrase (20 characters or more) on standard input"
# printf is a shell builtin: the passphrase never appears in a process's arguments.
key() { printf '%s' "$passphrase"; }

if cryptsetup isLuks "$device"; then
    key | cryptsetup open --test-passphrase --key-file=- "$device" ||
        die "$device already holds LUKS, but the recovery passphrase does not open it: refusing to touch it"
    echo "luks-format: $device already holds LUKS; keeping it"
else
    if signature=$(blkid -p -o export "$device" 2>/dev/null); then
        die "$device holds data ($(echo "$signature" | tr '\n' ' ')): refusing to format it"
    fi
    key | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf argon2id --label "$name" --key-file=- "$device"
    echo "luks-format: formatted $device as LUKS2"
fi

if [ "$tpm2" = yes ]; then
    if cryptsetup luksDump "$device" | grep -q 'systemd-tpm2'; then
        echo "luks-format: the vTPM is already enrolled"
    else
        # Sealed to PCR 7 (the Secure Boot state) first; elabftw-tpm-seal.sh, started once the disk is
        # open, seals it to PCR 7+8 (GRUB's commands). The passphrase keyslot stays for recovery.
        systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7 --unlock-key-file=<(key) "$device"
    fi
fi

uuid=$(cryptsetup luksUUID "$device")
options="luks,discard,nofail"
# headless=true: when the vTPM refuses, fail at once (boot "degraded", SSH up) instead of waiting
# forever for a console passphrase nobody types; recovery: docs/operating.md.
[ "$tpm2" = yes ] && options="$options,tpm2-device=auto,headless=true"
touch "$crypttab"
if ! grep -qE "^${name}[[:space:]]" "$crypttab"; then
    printf '%s UUID=%s none %s\n' "$name" "$uuid" "$options" >>"$crypttab"
    echo "luks-format: added $name to $crypttab"
fi
