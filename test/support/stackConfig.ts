// Reads a Pulumi.<stack>.yaml file into the string map Pulumi hands to programs
// (structured values as JSON, scalars as text), as `pulumi up` would.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const REPO = path.resolve(__dirname, "..", "..");

export function readStackConfig(file = "Pulumi.dev.yaml"): Record<string, string> {
    const document = parse(readFileSync(path.join(REPO, file), "utf8")) as { config?: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(document.config ?? {}).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
}

/** The project's keys of a stack file, without the "elabftw-onprem:" prefix. */
export function projectKeys(full: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(full)
            .filter(([key]) => key.startsWith("elabftw-onprem:"))
            .map(([key, value]) => [key.slice("elabftw-onprem:".length), value]),
    );
}
