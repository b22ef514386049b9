#!/usr/bin/env bash
# Locks GRUB's editor and command line, so that whoever reaches the serial console cannot boot the VM
# with an edited kernel command line (init=/bin/sh) while the vTPM unlocks the data disk: a GRUB
# superuser whose password is random and thrown away (nobody ever needs it), and the Debian entries
# marked --unrestricted so they still boot unattended. Idempotent: an existing lock is kept.
# This does not stop someone holding the OS disk, who can edit grub.cfg (docs/security.md).
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="[--grub-dir DIR] [--update-command COMMAND]"

grub_dir="/etc/grub.d" update_command="update-grub"
parse_flags "grub-dir update-command" "$@"

lock="$grub_dir/01_elabftw_lock"
linux="$grub_dir/10_linux"
[ -f "$linux" ] || die "$linux not found: is GRUB the boot loader?"
changed=no

if [ ! -s "$lock" ]; then
    # The password exists only in this pipe: printf is a builtin, so it is on no command line.
    password="$(head -c 32 /dev/urandom | base64 -w 0)"
    hash="$(printf '%s\n%s\n' "$password" "$password" | grub-mkpasswd-pbkdf2 --iteration-count 100000 | grep -o 'grub\.pbkdf2\.sha512\.[0-9A-F.]*$')"
    unset password
    [ -n "$hash" ] || die "grub-mkpasswd-pbkdf2 gave no hash"
    umask 077
    printf '#!/bin/sh\n# Managed by elabftw-onprem (grub-lock.sh): no one may edit the boot entries.\ncat <<EOF\nset superusers="elabftw-lock"\npassword_pbkdf2 elabftw-lock %s\nEOF\n' "$hash" >"$lock.new"
    chmod 0700 "$lock.new"
    mv "$lock.new" "$lock"
    changed=yes
fi

if ! grep -q '^CLASS="--class gnu-linux --class gnu --class os --unrestricted"$' "$linux"; then
    grep -q '^CLASS="--class gnu-linux --class gnu --class os"$' "$linux" || die "$linux has an unexpected CLASS line: mark its entries --unrestricted by hand"
    sed -i 's/^CLASS="--class gnu-linux --class gnu --class os"$/CLASS="--class gnu-linux --class gnu --class os --unrestricted"/' "$linux"
    changed=yes
fi

if [ "$changed" = yes ]; then
    $update_command
    echo "grub-lock: GRUB's editor is locked; the Debian entries boot unattended"
else
    echo "grub-lock: already locked"
fi
