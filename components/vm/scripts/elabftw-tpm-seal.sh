#!/usr/bin/env bash
# Keeps the data disk's vTPM key sealed to PCR 7 (the Secure Boot state) AND PCR 8 (every GRUB
# command and the kernel command line, as GRUB measures them), across the boot-configuration changes
# the system makes itself. Why and what it does not stop: docs/security.md, "Disk unlock binding".
#  - PCR 8 changes whenever grub.cfg changes (a kernel update rewrites it). When a grub.cfg the next
#    boot will read differs from the one this boot's GRUB measured (PCR 9 holds each file's digest),
#    a bridge key sealed to PCR 7 alone is added: only the running system, which holds the open disk
#    and the vTPM, can add one. The next boot opens the disk with it.
#  - When the grub.cfg files match this boot's measurements, the key is sealed to PCR 7+8 as they are
#    now and every other TPM2 keyslot (the bridge, or a PCR-7 key from an older release) is wiped.
# A grub.cfg edited without the running system (on the disk image, at the console) gets no bridge:
# PCR 8 differs and the vTPM keeps the key (recovery: docs/operating.md). The recovery passphrase's
# keyslot is never touched. Run at boot and on every grub.cfg change (elabftw-tpm-seal.path).
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--device PATH --name NAME [--event-log FILE]"

device="" name="" event_log="/sys/kernel/security/tpm0/binary_bios_measurements"
parse_flags "device name event-log" "$@"
require device name
[[ "$name" =~ ^[a-z][a-z0-9_-]{0,31}$ ]] || die "mapping name '$name' must be lowercase letters, digits, - or _"

if [ ! -e "/dev/mapper/$name" ]; then
    echo "tpm-seal: $name is not open (the vTPM refused it, or it is not formatted yet): nothing to seal"
    exit 0
fi
[ -r "$event_log" ] || die "no TPM event log at $event_log: cannot tell which grub.cfg this boot measured"

# The grub.cfg files GRUB read at this boot, with the digest it measured into PCR 9, against the
# files on disk now. Prints one line per file; exit 10 when one differs or cannot be found, 0 when
# all match, anything else when the log could not be read.
# The EFI system partition holds the first grub.cfg; when it is not mounted at /boot/efi (the
# test image), it is mounted read-only for the comparison.
esp_dirs=()
unmount_esp() {
    local directory
    for directory in "${esp_dirs[@]}"; do umount "$directory" && rmdir "$directory"; done
}
trap unmount_esp EXIT
if ! mountpoint -q /boot/efi; then
    while read -r partition type; do
        [ "$type" = c12a7328-f81f-11d2-ba4b-00a0c93ec93b ] || continue
        directory=$(mktemp -d)
        if mount -o ro "$partition" "$directory"; then esp_dirs+=("$directory"); else rmdir "$directory"; fi
    done < <(lsblk -rno PATH,PARTTYPE)
fi

boot_files_changed() {
    tpm2_eventlog "$event_log" | python3 -c '
import hashlib, os, re, sys, yaml
log = yaml.safe_load(sys.stdin) or {}
changed = False
for event in log.get("events") or []:
    body = event.get("Event")
    text = str(body.get("String", "") if isinstance(body, dict) else "").rstrip("\x00")
    if event.get("PCRIndex") != 9 or not text.endswith("/grub.cfg"):
        continue
    measured = next(d["Digest"] for d in event["Digests"] if d["AlgorithmId"] == "sha256").lower()
    inside = re.sub(r"^\([^)]*\)", "", text)  # "(hd0,gpt2)/boot/grub/grub.cfg": the path on its partition
    # On the root file system, a separate /boot, the ESP at /boot/efi, or the ESP mounted above.
    found = [p for p in [d + inside for d in ["", "/boot", "/boot/efi", *sys.argv[1:]]] if os.path.isfile(p)]
    if not found:
        print(f"{text}: not found on this system (is the ESP mounted?); treated as changed")
        changed = True
        continue
    now = hashlib.sha256(open(found[0], "rb").read()).hexdigest()
    state = "unchanged" if now == measured else "changed since this boot measured it"
    print(f"{found[0]}: {state}")
    changed = changed or now != measured
sys.exit(10 if changed else 0)
' "${esp_dirs[@]}"
}

# The PCR lists of the disk's systemd-tpm2 tokens, one per line ("7", "7+8").
bindings() {
    cryptsetup luksDump --dump-json-metadata "$device" |
        jq -r '.tokens[] | select(.type == "systemd-tpm2") | .["tpm2-pcrs"] | map(tostring) | join("+")'
}

mapfile -t sealed < <(bindings)
[ "${#sealed[@]}" -gt 0 ] || die "$device has no vTPM key: luks-format.sh enrols the first one"

status=0
boot_files_changed || status=$?
case "$status" in 0 | 10) ;; *) die "could not compare the grub.cfg files with this boot's TPM event log (exit $status)" ;; esac

if [ "$status" = 10 ]; then
    if printf '%s\n' "${sealed[@]}" | grep -qx '7'; then
        echo "tpm-seal: a bridge key (PCR 7) already lets the next boot open $name"
    else
        # Opened with the current 7+8 key (this boot's PCRs); the new key joins it.
        systemd-cryptenroll --unlock-tpm2-device=auto --tpm2-device=auto --tpm2-pcrs=7 "$device"
        echo "tpm-seal: grub.cfg changed: bridge key (PCR 7) added for the next boot"
    fi
elif [ "${#sealed[@]}" -eq 1 ] && [ "${sealed[0]}" = "7+8" ]; then
    echo "tpm-seal: $name is sealed to PCR 7+8"
else
    # --wipe-slot=tpm2 removes every TPM2 keyslot but the one this command enrols.
    systemd-cryptenroll --unlock-tpm2-device=auto --tpm2-device=auto --tpm2-pcrs=7+8 --wipe-slot=tpm2 "$device"
    echo "tpm-seal: $name sealed to PCR 7+8 (was: ${sealed[*]})"
fi
