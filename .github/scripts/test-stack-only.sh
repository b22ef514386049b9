#!/usr/bin/env bash
# Refuses (exit 1) unless the backend says the stack is a test stack: the stackKind output of its
# last deployment, read from `pulumi stack export` (the state itself), never from a file of the
# checked-out ref, which whoever dispatches the workflow controls. A stack with no such output
# (never deployed, or not one of ours) is refused too. Needs `pulumi login` done and node.
# Usage: test-stack-only.sh STACK
set -euo pipefail
stack="${1:?usage: test-stack-only.sh STACK}"
if ! [[ "$stack" =~ ^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+){0,2}$ ]] || [[ "$stack" == *..* ]]; then
    echo "stack name '$stack' is not plain (stack or organization/project/stack)" >&2
    exit 2
fi
if ! export_json=$(pulumi stack export --stack "$stack"); then
    echo "cannot read stack $stack from the backend: refusing to destroy it" >&2
    exit 1
fi
# The root resource (pulumi:pulumi:Stack) carries the program's outputs.
kind=$(node -e '
    const deployment = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment ?? {};
    const root = (deployment.resources ?? []).find((r) => r.type === "pulumi:pulumi:Stack");
    const kind = root?.outputs?.stackKind;
    process.stdout.write(typeof kind === "string" ? kind : "");
' <<<"$export_json") || kind=""
if [ "$kind" = test ]; then
    echo "$stack is a test stack (stackKind output in the backend)"
else
    echo "$stack has stackKind '${kind:-none}' in the backend, not test: refusing to destroy it" >&2
    exit 1
fi
