// Reads a Pulumi.<stack>.yaml file into the string map Pulumi hands to programs (structured values
// as JSON, scalars as text), as `pulumi up` would: for the tools that work from a stack file alone.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { LineCounter, Parser, parseDocument } from "yaml";

/** The repository's root (this file is components/config/stackFile.ts). */
export const REPO = path.resolve(__dirname, "..", "..");

const asConfigText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** A stack or project file that is not valid YAML: the message names the file and the line. */
export class StackFileError extends Error {
    constructor(
        readonly file: string,
        readonly line: number,
        reason: string,
    ) {
        super(`${file}, line ${line}: ${reason}`);
        this.name = "StackFileError";
    }
}

/**
 * Where an unclosed `[`, `{` or quote opened, before `offset`: the YAML parser notices such a mistake
 * lines later (where the next key no longer fits), but the line to fix is the opener's.
 */
function unclosedBefore(text: string, offset: number): { offset: number; what: string } | undefined {
    const found: { offset: number; what: string }[] = [];
    const walk = (token: unknown): void => {
        if (token === null || typeof token !== "object") return;
        if (Array.isArray(token)) return token.forEach(walk);
        const t = token as { type?: string; offset: number; source?: string; start?: { source: string }; end?: { type: string }[] };
        if (t.type === "flow-collection" && !(t.end ?? []).some((e) => e.type === "flow-seq-end" || e.type === "flow-map-end")) {
            found.push({ offset: t.offset, what: `the ${t.start?.source ?? "["} opened here is never closed` });
        }
        if ((t.type === "double-quoted-scalar" || t.type === "single-quoted-scalar") && t.source && (t.source.length < 2 || !t.source.endsWith(t.source[0]))) {
            found.push({ offset: t.offset, what: `the ${t.source[0]} opened here is never closed` });
        }
        for (const [key, value] of Object.entries(t)) if (key !== "source") walk(value);
    };
    for (const token of new Parser().parse(text)) walk(token);
    return found.filter((f) => f.offset <= offset).sort((a, b) => a.offset - b.offset)[0];
}

export function readYaml(file: string): any {
    const text = readFileSync(path.resolve(REPO, file), "utf8");
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const error = document.errors[0];
    if (error) {
        const opener = unclosedBefore(text, error.pos[1]);
        const reason = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        if (opener) throw new StackFileError(file, lines.linePos(opener.offset).line, `${opener.what} (the YAML parser noticed it at line ${lines.linePos(error.pos[0]).line}: ${reason})`);
        const continued = document.errors.find((e) => e.code === "MULTILINE_IMPLICIT_KEY");
        if (continued) {
            const line = lines.linePos(continued.pos[1]).line;
            throw new StackFileError(file, line, "this line is indented deeper than the key above it, so YAML reads it as part of that key's value: align it with the other keys");
        }
        throw new StackFileError(file, lines.linePos(error.pos[0]).line, reason);
    }
    return document.toJS();
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
