#!/usr/bin/env bash
# Refuses (exit 1) unless the stack's file declares it a test stack: the destroy workflows never
# touch a production stack, whatever a person types in the manual run's input.
# Usage: test-stack-only.sh STACK   (reads Pulumi.STACK.yaml in the current folder)
set -euo pipefail
stack="${1:?usage: test-stack-only.sh STACK}"
[[ "$stack" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "stack name '$stack' is not plain" >&2; exit 2; }
file="Pulumi.${stack}.yaml"
[ -f "$file" ] || { echo "$file does not exist: refusing" >&2; exit 1; }
if grep -qE '^[[:space:]]*elabftw-onprem:stackKind:[[:space:]]*"?test"?[[:space:]]*$' "$file"; then
    echo "$stack is a test stack"
else
    echo "$stack is not declared stackKind: test in $file: refusing to destroy it" >&2
    exit 1
fi
