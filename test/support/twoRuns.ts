// Runs the program twice in child processes, with two sets of overrides, and returns both graphs.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { CapturedResource, ReportedState } from "../../tools/offline/mockEngine";

export interface Graph {
    readonly resources: CapturedResource[];
    one(type: string, nameSuffix: string): CapturedResource;
}

export function graphOf(overrides: Record<string, string | undefined>, deterministic = false, reported?: ReportedState): Graph {
    const output = execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "graphDump.ts")], {
        env: {
            ...process.env,
            ELABFTW_TEST_OVERRIDES: JSON.stringify(overrides, (_key, value) => (value === undefined ? null : value)),
            ELABFTW_TEST_DETERMINISTIC: deterministic ? "1" : "",
            ELABFTW_TEST_REPORTED: reported ? JSON.stringify(reported) : "",
        },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    const { resources } = JSON.parse(output) as { resources: CapturedResource[] };
    return {
        resources,
        one(type, nameSuffix) {
            const matches = resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
            if (matches.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${matches.length}`);
            return matches[0];
        },
    };
}
