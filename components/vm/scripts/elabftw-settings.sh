#!/usr/bin/env bash
# Applies eLabFTW's instance settings through its API v2, from the web VM (the API is not opened to
# the workstation). The wanted settings arrive on standard input as JSON, secrets included:
#   {"config": {"<key>": "<string value>", ...}, "idp": null | {"kind": "metadata", "url": ...}
#                                                 | {"kind": "manual", "idp": {...}, "endpoints": [...], "certificate": "PEM"}}
# Idempotent: it reads the current settings and changes only what differs. It never calls
# DELETE /config (that resets every setting), never puts the API key or a secret on a command line
# (curl reads them from root-only files) and never prints a response body that may hold decrypted
# secrets: only key names and HTTP statuses reach its output.
set -euo pipefail
# shellcheck source=common.sh
[ "$(type -t parse_flags)" = function ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
USAGE="--name FQDN --address IP --cacert FILE --key-file FILE [--port PORT] < settings.json"

name="" address="" cacert="" key_file="" port=443
parse_flags "name address cacert key-file port" "$@"
require name address cacert key_file

# VMs created before jq joined the cloud-init packages get it now (apt goes through the site's proxy).
for tool in jq openssl; do
    command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null ||
        die "$tool is missing and apt-get could not install it: install it on the web VM"
done
[ -s "$key_file" ] || die "no sysadmin API key in $key_file: create a read-write key for the sysadmin in eLabFTW and write it there (README: \"The sysadmin API key\")"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/want.json"
jq -e '(.config | type == "object" and all(.[]; type == "string")) and (.idp == null or (.idp | type == "object"))' "$work/want.json" >/dev/null ||
    die "expected {\"config\": {<key>: <string>}, \"idp\": ...} on standard input"
# The header travels in a file, so the key never shows in the process list.
printf 'Authorization: %s\n' "$(tr -d '[:space:]' <"$key_file")" >"$work/auth"
base="https://$name:$port/api/v2"

# api METHOD PATH [BODY_FILE]: the response goes to $work/response, its headers to $work/headers;
# prints the HTTP status.
api() {
    local method="$1" path="$2" body="${3:-}"
    local args=(--silent --show-error --request "$method" --header "@$work/auth" --cacert "$cacert"
        --resolve "$name:$port:$address" --output "$work/response" --dump-header "$work/headers" --write-out '%{http_code}')
    [ -z "$body" ] || args+=(--header "Content-Type: application/json" --data-binary "@$body")
    curl "${args[@]}" "$base$path"
}

# call METHOD PATH [BODY_FILE]: api, failing on any status but 2xx with eLabFTW's error message
# (its message field only: a body may echo settings).
call() {
    local status
    status="$(api "$@")"
    case "$status" in
        2??) ;;
        *) die "$1 $2 answered HTTP $status: $(jq -r '.message? // .description? // "no message"' "$work/response" 2>/dev/null || echo "no message")" ;;
    esac
}

# The id at the end of the Location header of a 201 Created.
created_id() {
    tr -d '\r' <"$work/headers" | sed -n 's|^[Ll]ocation: .*/\([0-9][0-9]*\)$|\1|p' | tail -n 1
}

body() {
    jq -c "$1" "$work/want.json" >"$work/body"
}

changed=0

# --- Instance config: one PATCH with the keys whose value differs (compared as strings: the API
# returns some values as numbers, and the encrypted ones decrypted).
call GET /config
cp "$work/response" "$work/current.json"
jq -c --slurpfile current "$work/current.json" \
    '.config | with_entries(select((($current[0][.key] // "") | tostring) != .value))' "$work/want.json" >"$work/patch.json"
if [ "$(jq 'length' "$work/patch.json")" -gt 0 ]; then
    call PATCH /config "$work/patch.json"
    echo "elabftw-settings: changed $(jq -r 'keys | join(", ")' "$work/patch.json")"
    changed=1
fi

# --- Identity provider, imported from its metadata.
if [ "$(jq -r '.idp.kind // ""' "$work/want.json")" = metadata ]; then
    call GET /idps_sources
    source_id="$(jq -r --slurpfile want "$work/want.json" '[.[] | select(.url == $want[0].idp.url)][0].id // ""' "$work/response")"
    if [ -z "$source_id" ]; then
        body '{url: .idp.url}'
        call POST /idps_sources "$work/body"
        source_id="$(created_id)"
        [ -n "$source_id" ] || die "POST /idps_sources gave no Location header"
        echo '{"action":"replace"}' >"$work/body"
        call PATCH "/idps_sources/$source_id" "$work/body"
        echo "elabftw-settings: imported the identity provider's metadata (source $source_id)"
        changed=1
    fi
    call GET "/idps_sources/$source_id"
    # A source without identity providers: an earlier import failed (eLabFTW could not fetch the
    # metadata, e.g. without its proxy). Import again.
    if [ "$(jq -r '.idps_count // 0' "$work/response")" = 0 ]; then
        echo '{"action":"replace"}' >"$work/body"
        call PATCH "/idps_sources/$source_id" "$work/body"
        echo "elabftw-settings: imported the identity provider's metadata again (source $source_id)"
        changed=1
        call GET "/idps_sources/$source_id"
    fi
    if [ "$(jq -r '.idps_count_enabled // 0' "$work/response")" = 0 ]; then
        echo '{"action":"validate"}' >"$work/body"
        call PATCH "/idps_sources/$source_id" "$work/body"
        echo "elabftw-settings: enabled the identity provider(s) of source $source_id"
        changed=1
    fi
fi

# --- Identity provider, described by hand: the IdP, its HTTP-Redirect endpoints, its signing certificate.
if [ "$(jq -r '.idp.kind // ""' "$work/want.json")" = manual ]; then
    call GET /idps
    jq -c --slurpfile want "$work/want.json" '[.[] | select(.entityid == $want[0].idp.idp.entityid)][0] // null' "$work/response" >"$work/idp.json"
    if [ "$(cat "$work/idp.json")" = null ]; then
        body '.idp.idp'
        call POST /idps "$work/body"
        idp_id="$(created_id)"
        [ -n "$idp_id" ] || die "POST /idps gave no Location header"
        echo '{"endpoints": [], "certs": [], "enabled": 0}' >"$work/idp.json"
        echo "elabftw-settings: registered the identity provider (idp $idp_id)"
        changed=1
    else
        idp_id="$(jq -r '.id' "$work/idp.json")"
    fi
    # Names, attributes and enabled: one PATCH of string values with what differs.
    jq -c --slurpfile current "$work/idp.json" \
        '.idp.idp + {enabled: "1"} | with_entries(select((($current[0][.key] // "") | tostring) != .value))' "$work/want.json" >"$work/patch.json"
    if [ "$(jq 'length' "$work/patch.json")" -gt 0 ]; then
        call PATCH "/idps/$idp_id" "$work/patch.json"
        echo "elabftw-settings: identity provider changed $(jq -r 'keys | join(", ")' "$work/patch.json")"
        changed=1
    fi
    # Endpoints: add the missing ones, remove those no longer wanted (an old URL would still be used).
    jq -c --slurpfile current "$work/idp.json" \
        '.idp.endpoints[] | select(. as $e | $current[0].endpoints | all((.location != $e.location) or (.is_slo != $e.is_slo) or (.binding != $e.binding)))' \
        "$work/want.json" >"$work/endpoints-add"
    while IFS= read -r endpoint; do
        printf '%s\n' "$endpoint" >"$work/body"
        call POST "/idps/$idp_id/endpoints" "$work/body"
        echo "elabftw-settings: identity provider endpoint added ($(jq -r 'if .is_slo == 1 then "logout" else "sign-on" end' "$work/body"))"
        changed=1
    done <"$work/endpoints-add"
    jq -r --slurpfile want "$work/want.json" \
        '.endpoints[] | select(. as $e | $want[0].idp.endpoints | all((.location != $e.location) or (.is_slo != $e.is_slo) or (.binding != $e.binding))) | .id' \
        "$work/idp.json" >"$work/endpoints-remove"
    while IFS= read -r endpoint_id; do
        call DELETE "/idps/$idp_id/endpoints/$endpoint_id"
        echo "elabftw-settings: identity provider endpoint $endpoint_id removed"
        changed=1
    done <"$work/endpoints-remove"
    # Signing certificate: eLabFTW keeps the DER's SHA-256; add ours when it is not there.
    jq -r '.idp.certificate' "$work/want.json" >"$work/idp-cert.pem"
    fingerprint="$(openssl x509 -in "$work/idp-cert.pem" -outform DER | sha256sum | cut -d' ' -f1)"
    if ! jq -e --arg sha "$fingerprint" 'any(.certs[]; .sha256 == $sha and .purpose == 0)' "$work/idp.json" >/dev/null; then
        body '{x509: .idp.certificate, purpose: 0}'
        call POST "/idps/$idp_id/certs" "$work/body"
        echo "elabftw-settings: identity provider signing certificate added (sha256 $fingerprint)"
        changed=1
    fi
    # Then drop the signing certificates no longer wanted: a rotated-out key must stop being trusted.
    jq -r --arg sha "$fingerprint" '.certs[] | select(.purpose == 0 and .sha256 != $sha) | .id' "$work/idp.json" >"$work/certs-remove"
    while IFS= read -r cert_id; do
        call DELETE "/idps/$idp_id/certs/$cert_id"
        echo "elabftw-settings: identity provider signing certificate $cert_id removed"
        changed=1
    done <"$work/certs-remove"
fi

[ "$changed" = 1 ] || echo "elabftw-settings: nothing to change"
