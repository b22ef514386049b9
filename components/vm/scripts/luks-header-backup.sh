#!/usr/bin/env bash
# Prints a backup of a LUKS2 header (its keyslots included), gzip-compressed and base64-encoded on
# one line, for the program to keep as a secret output: with it and the recovery passphrase, a data
# disk whose header was damaged can be opened again (cryptsetup luksHeaderRestore). The copy is
# written to a root-only file on tmpfs (cryptsetup writes only to a new file) and removed at once.
# cryptsetup fills the 16 MiB keyslots area with random bytes: the copy keeps the used keyslots'
# areas and zeroes the rest, which no keyslot reads, so it compresses to a few hundred KiB.
# Nothing else goes to standard output.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--device PATH [--work-dir DIR]"

device="" work_dir="/run"
parse_flags "device work-dir" "$@"
require device

cryptsetup isLuks "$device" || die "$device holds no LUKS header"
umask 077
work="$(mktemp -d "$work_dir/luks-header.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cryptsetup luksHeaderBackup "$device" --header-backup-file "$work/header" >&2
metadata="$(cryptsetup luksDump --dump-json-metadata "$device")"
# Both copies of the binary header and its JSON come first; the keyslots area follows.
areas_start=$((2 * ($(jq -r '.config.json_size' <<<"$metadata") + 4096)))
cp "$work/header" "$work/original"
size=$(stat -c %s "$work/header")
dd if=/dev/zero of="$work/header" bs=64K iflag=count_bytes oflag=seek_bytes seek="$areas_start" count=$((size - areas_start)) conv=notrunc status=none
while read -r offset length; do
    dd if="$work/original" of="$work/header" bs=64K iflag=skip_bytes,count_bytes oflag=seek_bytes skip="$offset" seek="$offset" count="$length" conv=notrunc status=none
done < <(jq -r '.keyslots[] | .area | "\(.offset) \(.size)"' <<<"$metadata")
gzip -9 -c "$work/header" | base64 -w 0
echo
