// How a config problem is reported: the key, the value (never a secret's), what is wrong and the fix.
import * as path from "node:path";
import { KEYS, KEY_NAMES, KeySpec } from "./keys";
import { PROJECT } from "./types";

export const spec = (key: string): KeySpec | undefined => (KEYS as Record<string, KeySpec>)[key];

/** Text that may be (part of) a private key: PEM armour, OpenSSH's key format in clear or in base64, PuTTY's. */
const PRIVATE_KEY_SHAPE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY|openssh-key-v1|b3BlbnNzaC1rZXktdjE|PuTTY-User-Key-File/;

/** What a problem holds instead of key material; shownValue prints it bare. */
const KEY_MATERIAL = "[key material, not shown]";

/** What an error may show of a value: never a secret key's, never anything shaped like a private key. */
export function reportedValue(key: string, value: unknown): unknown {
    if (value === undefined) return undefined;
    if (spec(key)?.secret) return "[secret]";
    return PRIVATE_KEY_SHAPE.test(JSON.stringify(value) ?? "") ? KEY_MATERIAL : value;
}

/** A message that quotes a value shaped like a private key says so instead. */
export function shownMessage(message: string): string {
    return PRIVATE_KEY_SHAPE.test(message) ? "holds what looks like a private key (not shown): a setting never takes one, except the secret keys" : message;
}

export interface ConfigProblem {
    /** A project key (short), or a provider's full key ("proxmoxve:apiToken"). */
    readonly key: string;
    readonly value: unknown;
    readonly message: string;
    readonly fix: string;
}

export class ConfigError extends Error {
    /** `source`: the stack file the config was read from, when a tool read it (not under the Pulumi CLI). */
    constructor(
        readonly problems: readonly ConfigProblem[],
        readonly source?: string,
    ) {
        const file = source ? path.basename(source) : "Pulumi.<stack>.yaml";
        super(
            `Invalid stack configuration${source ? ` in ${source}` : ""} (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:\n` +
                problems.map((p) => `  - ${p.key.includes(":") ? "" : `${PROJECT}:`}${p.key}${p.value === undefined ? " (not set)" : ` = ${shownValue(p.value)}`}: ${p.message}.\n      Fix: ${p.fix}`).join("\n") +
                `\nEach Fix is a \`pulumi config\` command for the selected stack; without the Pulumi CLI, edit the same key (${PROJECT}:<key>) under config: in ${file}.`,
        );
        this.name = "ConfigError";
    }
}

/**
 * A value as a problem shows it: never a secret (callers pass "[secret]"), and never anything that
 * looks like key material (a private key pasted into a public-key setting, a PEM block).
 */
export function shownValue(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    if (value === KEY_MATERIAL) return KEY_MATERIAL;
    if (/-----BEGIN [A-Z0-9 ]*-----|PRIVATE KEY|b3BlbnNzaC1rZXktdjE|def0{5}[0-9a-f]{20}/.test(text)) return KEY_MATERIAL;
    // A public key or any long base64 run: its first characters identify it, the rest is noise.
    const short = text.replace(/[A-Za-z0-9+/]{40,}={0,2}/g, (run) => `${run.slice(0, 12)}...`);
    return short.length > 200 ? `${short.slice(0, 120)}... (${short.length} characters)` : short;
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

/** Keys this program renamed because their old name promised what eLabFTW does not do. */
const RENAMED_KEYS: Readonly<Record<string, { readonly to: string; readonly why: string; readonly fix: string }>> = {
    sessionMinutes: { to: "rememberMeMinutes", why: "it only ever set the remember-me cookie's lifetime, not a session length", fix: "pulumi config rm sessionMinutes; pulumi config set rememberMeMinutes <minutes>" },
    allowedEmailDomain: { to: "allowedEmailDomains", why: "eLabFTW matches the part after @ exactly against a list", fix: 'pulumi config rm allowedEmailDomain; pulumi config set --path "allowedEmailDomains[0]" <domain>' },
};

export function unknownKeyProblem(key: string, value: string): ConfigProblem {
    const renamed = RENAMED_KEYS[key];
    if (renamed) return { key, value, message: `was renamed ${renamed.to}: ${renamed.why} (docs/instance-settings.md)`, fix: renamed.fix };
    const nearest = KEY_NAMES.map((known) => ({ known, distance: editDistance(key, known) })).sort((x, y) => x.distance - y.distance)[0];
    const hint = nearest.distance <= 3 ? `did you mean ${nearest.known}? ` : "";
    return {
        key,
        value: spec(nearest.known)?.secret ? "[secret]" : reportedValue(key, value),
        message: `is not a setting of this program (${hint}docs/configuration.md lists every key)`,
        fix: `pulumi config rm ${key}${hint ? `; pulumi config set ${nearest.known} ...` : ""}`,
    };
}
