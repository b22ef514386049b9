#!/usr/bin/env bash
# Builds the Pulumi engine the engine tests run, into <repo>/.toolchain (git-ignored):
#
#   .toolchain/bin/pulumi                  the real CLI, pkg/v3 v3.248.0 (the release of the
#                                          project's @pulumi/pulumi 3.248.0), built as releases are
#   .toolchain/bin/pulumi-language-nodejs  a Node.js language host of our own on sdk/v3 v3.248.0
#                                          (language-nodejs/main.go says why and what it does)
#   .toolchain/plugins/resource-<name>-v<version>/pulumi-resource-<name>
#                                          provider plugins, laid out as in $PULUMI_HOME/plugins
#   .toolchain/home/plugins -> ../plugins  a PULUMI_HOME whose plugin cache is the above
#
# The providers are stand-ins (test/engine/plugins/*.ts), one per package of package.json:
# random, tls and docker cannot be built from Go modules, and the Go module proxy reachable here
# refuses the modules of the real command and proxmoxve providers (and of the real language
# host); README.md beside this script has the commands and answers.
#
# Each Go binary is built from a wrapper module whose go.mod and go.sum are committed beside
# this script, with GOFLAGS=-mod=readonly (nothing is resolved anew) after `go mod verify`.
# A stamp per binary (hash of go.mod, go.sum, own sources, flags and Go version) makes a second
# run do nothing. Tests run it, then use .toolchain/bin/pulumi with PULUMI_HOME set to a
# folder of their own whose `plugins` is a symlink to .toolchain/plugins (the engine ignores a
# plugin folder that has a sibling `<folder>.partial`, and a folder that is itself a symlink).
#
# Usage: tools/pulumi-toolchain/build.sh [--force]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.toolchain"
bin="$out/bin"
plugins="$out/plugins"
stamps="$out/stamps"

# One release for the CLI and the language host: the one of the project's @pulumi/pulumi.
release="v3.248.0"
tags="osusergo,grpcnotrace"
version_ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$release"

# Provider plugins: name, version (= what the SDK package asks the engine for), npm package.
node_plugins=(
	"random 4.21.2 @pulumi/random"
	"tls 5.6.1 @pulumi/tls"
	"docker 5.2.0 @pulumi/docker"
	"command 1.2.1 @pulumi/command"
	"proxmoxve 8.6.0 @muhlba91/pulumi-proxmoxve"
)

force=false
case "${1:-}" in
--force) force=true ;;
"") ;;
*)
	echo "usage: $0 [--force]" >&2
	exit 2
	;;
esac

export GOFLAGS=-mod=readonly
export CGO_ENABLED=0

mkdir -p "$bin" "$plugins" "$stamps"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
hash_of() { sha256sum | cut -d' ' -f1; }

# go_binary NAME MODULE_DIR PACKAGE VERSION_ARG
go_binary() {
	local name="$1" dir="$here/$2" pkg="$3" version_arg="$4" start stamp
	start="$(now)"
	stamp="$(
		{
			go version
			echo "tags=$tags ldflags=$version_ldflags pkg=$pkg"
			cat "$dir/go.mod" "$dir/go.sum"
			find "$dir" -maxdepth 1 -name '*.go' -print0 | sort -z | xargs -0 -r cat
		} | hash_of
	)"
	if ! $force && [[ -x "$bin/$name" && -f "$stamps/$name" && "$(cat "$stamps/$name")" == "$stamp" ]]; then
		echo "$name: up to date (stamp ${stamp:0:12}), nothing to build"
		return
	fi
	echo "$name: building $pkg (module $2) ..."
	(
		cd "$dir"
		go mod download
		# Every module in the build graph against go.sum, which is committed.
		go mod verify >/dev/null
		go build -tags "$tags" -ldflags "$version_ldflags" -o "$bin/$name.tmp" "$pkg"
	)
	mv -f "$bin/$name.tmp" "$bin/$name"
	echo "$stamp" >"$stamps/$name"
	echo "$name: built in $(elapsed "$start") -> $bin/$name ($("$bin/$name" "$version_arg"))"
}

# node_plugin NAME VERSION NPM_PACKAGE: a launcher for test/engine/plugins/NAME.ts, in the
# folder the engine's plugin cache expects.
node_plugin() {
	local name="$1" version="$2" package="$3"
	local dir="$plugins/resource-$name-v$version" source="$root/test/engine/plugins/$name.ts"
	local wanted launcher stamp
	wanted="$(node -p "require('$root/node_modules/$package/package.json').pulumi.version" 2>/dev/null || true)"
	if [[ "$wanted" != "$version" ]]; then
		echo "$name: node_modules/$package asks for plugin version '${wanted:-?}', this script installs $version:" \
			"run npm ci, or update node_plugins in $0" >&2
		exit 1
	fi
	[[ -f "$source" ]] || {
		echo "$name: missing $source" >&2
		exit 1
	}
	# The launcher names the repository by its absolute path: the engine runs it from any
	# folder, possibly through a symlinked $PULUMI_HOME/plugins.
	launcher="$(
		cat <<EOF
#!/bin/sh
# Stand-in provider plugin $name $version (see $source). Written by tools/pulumi-toolchain/build.sh.
exec node --import "$root/node_modules/tsx/dist/loader.mjs" "$source" "\$@"
EOF
	)"
	stamp="$(printf '%s\n' "$launcher" | hash_of)"
	if ! $force && [[ -x "$dir/pulumi-resource-$name" && -f "$stamps/resource-$name" && "$(cat "$stamps/resource-$name")" == "$stamp" && ! -e "$dir.partial" ]]; then
		echo "resource-$name-v$version: up to date"
		return
	fi
	# As the engine installs: a <dir>.partial marker hides the folder until it is complete.
	touch "$dir.partial"
	rm -rf "$dir"
	mkdir -p "$dir"
	printf '%s\n' "$launcher" >"$dir/pulumi-resource-$name"
	chmod 0755 "$dir/pulumi-resource-$name"
	rm -f "$dir.partial"
	echo "$stamp" >"$stamps/resource-$name"
	echo "resource-$name-v$version: installed (stand-in: $source)"
}

total="$(now)"
[[ -x "$root/node_modules/.bin/tsx" ]] || {
	echo "node_modules is missing: run npm ci first" >&2
	exit 1
}
go_binary pulumi pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi version
go_binary pulumi-language-nodejs language-nodejs . -version
for spec in "${node_plugins[@]}"; do
	read -r name version package <<<"$spec"
	node_plugin "$name" "$version" "$package"
done
mkdir -p "$out/home"
ln -sfn ../plugins "$out/home/plugins"

echo
echo "What the engine will see (PULUMI_HOME=$out/home):"
echo "  pulumi $("$bin/pulumi" version), language host nodejs $("$bin/pulumi-language-nodejs" -version)"
PULUMI_HOME="$out/home" PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" plugin ls 2>&1 | sed 's/^/  /'
echo "toolchain ready in $(elapsed "$total")"
