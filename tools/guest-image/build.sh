#!/usr/bin/env bash
# Builds the Debian 13 guest image that test/vm/ boots under QEMU (UEFI Secure Boot, swtpm): the
# OS the program's user-data expects, from Debian packages, with no mount and no loop device
# (mmdebstrap into a directory, mkfs.ext4 -d, mkfs.vfat -C + mcopy, sfdisk, dd conv=notrunc).
# Cached under ${XDG_CACHE_HOME:-$HOME/.cache}/elabftw-onprem/guest-image/<hash of the inputs>, so a
# fresh clone on the same machine reuses it; idempotent; prints the image path on its last line.
#   tools/guest-image/build.sh            build if absent, print the path
#   tools/guest-image/build.sh --path     print the path the inputs map to, build nothing
#
# Differences from the Debian generic cloud image, all for a guest without network:
#  - every package the user-data installs is already installed, except docker.io, which waits in a
#    local file: repository (/var/lib/elabftw-test-repo) so that cloud-init's `packages:` installs it
#    at first boot exactly as from the mirror: after write_files, so Docker's drop-in is in place;
#  - apt's only source is that local repository (package_update/upgrade then succeed offline);
#  - cloud-init looks for NoCloud only (the seed disk the test attaches);
#  - the first /boot/grub/grub.cfg is written by this script (update-grub rewrites it in the guest).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

SUITE=trixie
MIRROR=http://deb.debian.org/debian
# The packages of components/vm/cloudInit.ts, read from the program so the image follows it.
mapfile -t user_data_packages < <(cd "$repo" && node --import tsx -e 'import("./components/vm/cloudInit.ts").then((m) => console.log((m.PACKAGES ?? m.default.PACKAGES).join("\n")))')
[ "${#user_data_packages[@]}" -gt 5 ] || { echo "guest-image: could not read PACKAGES from components/vm/cloudInit.ts" >&2; exit 1; }
# What a Debian cloud image has, plus Secure Boot (shim, signed GRUB, signed kernel) and the TPM
# libraries systemd-cryptenroll loads; docker.io's dependencies so only docker.io itself is left.
base_packages=(linux-image-amd64 initramfs-tools systemd-sysv udev dbus cloud-init netplan.io openssh-server sudo
    shim-signed grub-efi-amd64-signed libtss2-esys-3.0.2-0t64 libtss2-rc0t64 libtss2-mu-4.0.1-0t64 libtss2-tcti-device0t64
    ca-certificates e2fsprogs iproute2 kmod procps less containerd runc tini iptables docker-cli)
packages=()
for package in "${user_data_packages[@]}"; do [ "$package" = docker.io ] || packages+=("$package"); done
packages+=("${base_packages[@]}")

hash=$(printf '%s\n' "$SUITE" "$MIRROR" "${packages[@]}" | cat - "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/elabftw-onprem/guest-image"
image="$cache/$hash/os.raw"
if [ "${1:-}" = --path ] || [ -s "$image" ]; then
    [ "${1:-}" = --path ] || echo "guest-image: cached ($hash)" >&2
    echo "$image"
    exit 0
fi

started=$SECONDS
mkdir -p "$cache"
work=$(mktemp -d "$cache/.build-$hash.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

# shellcheck disable=SC2016 # the hooks are run by mmdebstrap, with $1 the root directory.
mmdebstrap --variant=apt --include="$(IFS=,; echo "${packages[*]}")" \
    --customize-hook='mkdir -p "$1/var/lib/elabftw-test-repo" && chroot "$1" sh -c "cd /var/lib/elabftw-test-repo && apt-get download docker.io"' \
    --customize-hook='cd "$1/var/lib/elabftw-test-repo" && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null' \
    --customize-hook='rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/* && echo "deb [trusted=yes] file:/var/lib/elabftw-test-repo ./" > "$1/etc/apt/sources.list"' \
    --customize-hook='printf "datasource_list: [NoCloud, None]\n" > "$1/etc/cloud/cloud.cfg.d/90-elabftw-test.cfg"' \
    --customize-hook='printf "LABEL=elabroot / ext4 defaults,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_* "$1/etc/hostname"; : > "$1/etc/machine-id"' \
    --customize-hook='mkdir -p "$1/../esp/EFI/BOOT" && cp "$1/usr/lib/shim/shimx64.efi.signed" "$1/../esp/EFI/BOOT/BOOTX64.EFI" && cp "$1/usr/lib/shim/mmx64.efi.signed" "$1/../esp/EFI/BOOT/mmx64.efi" && cp "$1/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$1/../esp/EFI/BOOT/grubx64.efi"' \
    --customize-hook='cd "$1/boot" && ls vmlinuz-* | sort -V | tail -1 > "$1/../kernel" && ls initrd.img-* | sort -V | tail -1 > "$1/../initrd"' \
    "$SUITE" "$rootfs" "$MIRROR"
echo "guest-image: root file system in $((SECONDS - started)) s" >&2

# As in Debian's cloud images: the signed GRUB reads the grub.cfg of its own EFI directory, a stub
# that hands over to /boot/grub/grub.cfg on the root file system, which update-grub rewrites in the
# booted guest (grub-lock.sh does). The first one is written here: grub-mkconfig cannot probe the
# root device inside mmdebstrap's directory.
mkdir -p "$work/esp/EFI/debian" "$rootfs/boot/grub" "$rootfs/etc/default/grub.d"
cat >"$work/esp/EFI/debian/grub.cfg" <<'GRUB'
search --no-floppy --label elabroot --set=root
set prefix=($root)'/boot/grub'
configfile $prefix/grub.cfg
GRUB
cp "$work/esp/EFI/debian/grub.cfg" "$work/esp/EFI/BOOT/grub.cfg"
cat >"$rootfs/boot/grub/grub.cfg" <<GRUB
set timeout=0
search --no-floppy --label elabroot --set=root
linux /boot/$(cat "$work/kernel") root=LABEL=elabroot ro console=ttyS0,115200 systemd.show_status=1
initrd /boot/$(cat "$work/initrd")
boot
GRUB
# What update-grub then generates: the serial console, no menu delay.
printf 'GRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0,115200 systemd.show_status=1"\n' >"$rootfs/etc/default/grub.d/50-elabftw-test.cfg"

# GPT: a 64 MiB ESP at 1 MiB, the root file system after it (sizes in MiB).
esp_start=1 esp_size=64 root_size=4000
root_start=$((esp_start + esp_size))
mkfs.vfat -C -n ESP "$work/esp.img" $((esp_size * 1024)) >/dev/null
mcopy -s -i "$work/esp.img" "$work/esp/EFI" ::/
mkfs.ext4 -q -F -L elabroot -d "$rootfs" "$work/root.img" "${root_size}M"
truncate -s $((root_start + root_size + 1))M "$work/os.raw"
sfdisk --quiet "$work/os.raw" <<LAYOUT
label: gpt
start=${esp_start}MiB, size=${esp_size}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP
start=${root_start}MiB, size=${root_size}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root
LAYOUT
dd if="$work/esp.img" of="$work/os.raw" bs=1M seek="$esp_start" conv=notrunc,sparse status=none
dd if="$work/root.img" of="$work/os.raw" bs=1M seek="$root_start" conv=notrunc,sparse status=none

mkdir -p "$cache/$hash"
mv "$work/os.raw" "$image.partial" && mv "$image.partial" "$image"
echo "guest-image: built $image in $((SECONDS - started)) s" >&2
echo "$image"
