#!/usr/bin/env bash
# Writes standard input to a file with the given owner and mode, atomically: the content is
# written to a temporary file in the same directory, with its final owner and mode, then renamed.
# Secrets (keys, passwords) arrive this way so they never appear on a command line.
#
# Usage: install-file.sh --path FILE --owner UID:GID --mode MODE [--dir-mode MODE] < content
set -euo pipefail

die() { echo "install-file: $*" >&2; exit 1; }
usage() { echo "usage: install-file.sh --path FILE --owner UID:GID --mode MODE [--dir-mode MODE] < content" >&2; exit 2; }

path="" owner="" mode="" dir_mode="0755"
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --path) path="$2" ;;
        --owner) owner="$2" ;;
        --mode) mode="$2" ;;
        --dir-mode) dir_mode="$2" ;;
        *) usage ;;
    esac
    shift 2
done
if [ -z "$path" ] || [ -z "$owner" ] || [ -z "$mode" ]; then usage; fi
[[ "$path" == /* ]] || die "path must be absolute"
[[ "$owner" =~ ^[0-9]+:[0-9]+$ ]] || die "owner must be numeric UID:GID"
[[ "$mode" =~ ^0[0-7]{3}$ ]] || die "mode must be octal like 0400"

directory=$(dirname "$path")
install -d -m "$dir_mode" "$directory"
temporary=$(mktemp "$directory/.install-file.XXXXXX")
trap 'rm -f "$temporary"' EXIT
chmod 0600 "$temporary"
cat >"$temporary"
[ -s "$temporary" ] || die "refusing to install an empty $path"
chown "$owner" "$temporary"
chmod "$mode" "$temporary"
mv -f "$temporary" "$path"
trap - EXIT
echo "install-file: $path ($owner, $mode)"
