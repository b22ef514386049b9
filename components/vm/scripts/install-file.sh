#!/usr/bin/env bash
# Writes standard input to a file with the given owner and mode, atomically: the content is
# written to a temporary file in the same directory, with its final owner and mode, then renamed.
# Secrets (keys, passwords) arrive this way so they never appear on a command line.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--path FILE --owner UID:GID --mode MODE [--dir-mode MODE] < content"

path="" owner="" mode="" dir_mode="0755"
parse_flags "path owner mode dir-mode" "$@"
require path owner mode

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
