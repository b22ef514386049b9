#!/usr/bin/env bash
# Helpers shared by the VM scripts. scriptCommand() sends this file ahead of each script over SSH;
# run from a checkout, a script sources it from its own folder.

SCRIPT_NAME="${0##*/}"
SCRIPT_NAME="${SCRIPT_NAME%.sh}"

# die MESSAGE...: report on stderr, prefixed with the script's name, and exit 1.
die() {
    echo "${SCRIPT_NAME}: $*" >&2
    exit 1
}

# usage: print the script's USAGE line and exit 2.
usage() {
    echo "usage: ${SCRIPT_NAME}.sh ${USAGE:-}" >&2
    exit 2
}

# parse_flags "name other-name" "$@": sets $name and $other_name from --name V --other-name V.
# Any other argument, or a flag without its value, is a usage error.
parse_flags() {
    local allowed=" $1 " key
    shift
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || usage
        [[ "$1" == --* ]] || usage
        key="${1#--}"
        case "$allowed" in *" $key "*) ;; *) usage ;; esac
        printf -v "${key//-/_}" '%s' "$2"
        shift 2
    done
}

# require NAME...: each named variable must be set and non-empty.
require() {
    local variable
    for variable in "$@"; do
        [ -n "${!variable:-}" ] || usage
    done
}

# load_env FILE: export the variables of an environment file (the Borg settings of this VM).
load_env() {
    [ -r "$1" ] || die "cannot read $1"
    set -a
    # shellcheck source=/dev/null
    . "$1"
    set +a
}
