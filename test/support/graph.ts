// Small readers of captured resources, shared by the graph tests.
import assert from "node:assert/strict";
import type { CapturedResource } from "../../tools/offline/mockEngine";

/** A container's environment as a map. */
export const env = (c: CapturedResource): Record<string, string> =>
    Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

/** Where install-file.sh puts a file, and with which owner and mode. */
export function installed(c: CapturedResource): { path: string; owner: string; mode: string } {
    const match = /install-file\.sh --path (\S+) --owner (\S+) --mode (\S+)$/.exec(c.inputs.create);
    assert.ok(match, `${c.name} does not run install-file.sh`);
    return { path: match[1], owner: match[2], mode: match[3] };
}
