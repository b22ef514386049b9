// How a config problem is reported: the key, the value (never a secret's), what is wrong and the fix.
import { KEYS, KEY_NAMES, KeySpec } from "./keys";
import { PROJECT } from "./types";

export const spec = (key: string): KeySpec | undefined => (KEYS as Record<string, KeySpec>)[key];

/** Text that may be (part of) a private key: PEM armour, OpenSSH's key format in clear or in base64, PuTTY's. */
const PRIVATE_KEY_SHAPE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY|openssh-key-v1|b3BlbnNzaC1rZXktdjE|PuTTY-User-Key-File/;

/** What an error may show of a value: never a secret key's, never anything shaped like a private key. */
export function shownValue(key: string, value: unknown): unknown {
    if (value === undefined) return undefined;
    if (spec(key)?.secret) return "[secret]";
    return PRIVATE_KEY_SHAPE.test(JSON.stringify(value) ?? "") ? "[not shown: it looks like a private key]" : value;
}

/** A message that quotes a value shaped like a private key says so instead. */
export function shownMessage(message: string): string {
    return PRIVATE_KEY_SHAPE.test(message) ? "holds what looks like a private key (not shown): a setting never takes one, except the secret keys" : message;
}

export interface ConfigProblem {
    readonly key: string;
    readonly value: unknown;
    readonly message: string;
    readonly fix: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:\n` +
                problems
                    .map((p) => `  - ${PROJECT}:${p.key}${p.value === undefined ? " (not set)" : ` = ${JSON.stringify(p.value)}`}: ${p.message}.\n      Fix: ${p.fix}`)
                    .join("\n"),
        );
        this.name = "ConfigError";
    }
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

export function unknownKeyProblem(key: string, value: string): ConfigProblem {
    const nearest = KEY_NAMES.map((known) => ({ known, distance: editDistance(key, known) })).sort((x, y) => x.distance - y.distance)[0];
    const hint = nearest.distance <= 3 ? `did you mean ${nearest.known}? ` : "";
    return {
        key,
        value: spec(nearest.known)?.secret ? "[secret]" : shownValue(key, value),
        message: `is not a setting of this program (${hint}docs/configuration.md lists every key)`,
        fix: `pulumi config rm ${key}${hint ? `; pulumi config set ${nearest.known} ...` : ""}`,
    };
}
