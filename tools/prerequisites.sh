#!/usr/bin/env bash
# The Debian packages the tests run for real, in one list that the README, `npm test` and .ci/run
# all use, so they cannot drift apart.
#   tools/prerequisites.sh check [vm]   lists every missing package at once (exit 1), or says all
#                                       are there; `vm` checks the booted guest's too (npm run test:vm)
#   tools/prerequisites.sh install      apt-get installs both lists (root, Debian 12 or later)
set -euo pipefail

# package:command-it-provides, and why the tests need it.
PREREQUISITES=(
    "cloud-init:cloud-init"         # `cloud-init schema` validates the rendered user-data
    "shellcheck:shellcheck"         # lints every script that runs on the VMs
    "cryptsetup-bin:cryptsetup"     # LUKS formatting of a file image
    "e2fsprogs:mkfs.ext4"           # the data disk's file system
    "util-linux:nsenter"            # network-namespace test hosts, blkid
    "mariadb-server:mariadb-install-db" # the TLS-only database server of the TLS and backup tests
    "php-cli:php"                   # eLabFTW's PDO/mysqlnd connection, defuse key check
    "php-mysql:php-mysql"           # (checked through php -m)
    "openssl:openssl"               # certificates
    "iproute2:ip"                   # network namespaces
    "nftables:nft"                  # the VMs' rulesets, and the firewall model's random ones, loaded and probed
    "borgbackup:borg"               # backup and restore round trips
    "systemd:systemd-analyze"       # the timers' calendar expressions
    "libxml2-utils:xmllint"         # the dossier's SVG
    "chromium:chromium"             # the dossier's PDF, printed headless (and its screenshots)
    "curl:curl"                     # the instance-settings script
    "jq:jq"                         # the instance-settings script
    "openssh-client:ssh-keygen"     # SSH keys for the validator's tests
    "openssh-server:sshd"           # the Borg host the backups reach over SSH (and the guest's)
    "grub-common:grub-mkpasswd-pbkdf2" # the GRUB lock's password hash and grub-script-check
    "sudo:visudo"                   # the Proxmox nodes' SSH user for the provider: its sudoers rules, checked for real
)

# npm run test:vm: the guest image and the booted VM (tools/guest-image/, test/vm/).
VM_PREREQUISITES=(
    "mmdebstrap:mmdebstrap"         # the Debian 13 root file system
    "dosfstools:mkfs.vfat"          # the ESP and the NoCloud seed
    "mtools:mcopy"                  # files into FAT images without a mount
    "dpkg-dev:dpkg-scanpackages"    # the image's local repository for docker.io
    "qemu-system-x86:qemu-system-x86_64" # the VM (TCG)
    "qemu-utils:qemu-img"           # the copy-on-write OS disk
    "ovmf:/usr/share/OVMF/OVMF_CODE_4M.ms.fd" # UEFI with Secure Boot
    "swtpm:swtpm"                   # the vTPM
    "swtpm-tools:swtpm_setup"       # its initial state
    "socat:socat"                   # the syslog listener
)

packages() { for entry in "$@"; do printf '%s\n' "${entry%%:*}"; done; }

missing() {
    local entry package command
    for entry in "$@"; do
        package="${entry%%:*}" command="${entry#*:}"
        if [[ "$command" == /* ]]; then
            [ -e "$command" ] && continue
        elif [ "$command" = php-mysql ]; then
            command -v php >/dev/null 2>&1 && php -m 2>/dev/null | grep -x pdo_mysql >/dev/null && continue
        elif command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || [ -x "/sbin/$command" ]; then
            continue
        fi
        printf '%s\n' "$package"
    done
}

case "${1:-} ${2:-}" in
    "check "|"check vm")
        wanted=("${PREREQUISITES[@]}") what="npm test"
        [ "${2:-}" = vm ] && wanted+=("${VM_PREREQUISITES[@]}") what="npm run test:vm"
        mapfile -t absent < <(missing "${wanted[@]}")
        if [ "${#absent[@]}" -gt 0 ]; then
            echo "$what needs these Debian packages, missing here: ${absent[*]}" >&2
            echo "Install them with: sudo bash tools/prerequisites.sh install   (or: sudo apt-get install ${absent[*]})" >&2
            exit 1
        fi
        [ "$(id -u)" = 0 ] || { echo "$what needs root (network namespaces, cryptsetup on a file): run it as root or in a disposable VM/container" >&2; exit 1; }
        echo "prerequisites: all $(packages "${wanted[@]}" | wc -l) packages present"
        ;;
    "install ")
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        mapfile -t wanted < <(packages "${PREREQUISITES[@]}" "${VM_PREREQUISITES[@]}")
        apt-get install -y -qq "${wanted[@]}" >/dev/null
        echo "prerequisites: installed ${wanted[*]}"
        ;;
    *)
        echo "usage: tools/prerequisites.sh check [vm] | install" >&2
        exit 64
        ;;
esac
