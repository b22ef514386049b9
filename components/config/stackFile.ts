// Reads a Pulumi.<stack>.yaml file into the string map Pulumi hands to programs (structured values
// as JSON, scalars as text), as `pulumi up` would: for the tools that work from a stack file alone.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** The repository's root (this file is components/config/stackFile.ts). */
export const REPO = path.resolve(__dirname, "..", "..");

const asConfigText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

export function readYaml(file: string): any {
    return parse(readFileSync(path.resolve(REPO, file), "utf8"));
}

/** The defaults Pulumi.yaml declares, keyed "elabftw-onprem:<key>": the CLI hands them to the program. */
export function projectDefaults(): Record<string, string> {
    const project = readYaml("Pulumi.yaml") as { name: string; config: Record<string, { default?: unknown }> };
    return Object.fromEntries(
        Object.entries(project.config)
            .filter(([, declaration]) => declaration.default !== undefined)
            .map(([key, declaration]) => [`${project.name}:${key}`, asConfigText(declaration.default)]),
    );
}

const isEncrypted = (value: unknown) => typeof value === "object" && value !== null && "secure" in value;

/**
 * The config a program sees for a stack: the project's defaults overlaid by the stack file.
 * Encrypted values (`secure:`) are left out: only the Pulumi CLI can decrypt them.
 */
export function readStackConfig(file = "Pulumi.dev.yaml"): Record<string, string> {
    const document = readYaml(file) as { config?: Record<string, unknown> };
    const stack = Object.fromEntries(
        Object.entries(document.config ?? {})
            .filter(([, value]) => !isEncrypted(value))
            .map(([key, value]) => [key, asConfigText(value)]),
    );
    return { ...projectDefaults(), ...stack };
}

/** The project's keys of a stack file, without the "elabftw-onprem:" prefix. */
export function projectKeys(full: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(full)
            .filter(([key]) => key.startsWith("elabftw-onprem:"))
            .map(([key, value]) => [key.slice("elabftw-onprem:".length), value]),
    );
}
