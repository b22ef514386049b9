// How a config problem is reported: the key, the value (never a secret's), what is wrong and the fix.
import { KEYS, KEY_NAMES, KeySpec } from "./keys";
import { PROJECT } from "./types";

export const spec = (key: string): KeySpec | undefined => (KEYS as Record<string, KeySpec>)[key];

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
        value: spec(nearest.known)?.secret ? "[secret]" : value,
        message: `is not a setting of this program (${hint}docs/configuration.md lists every key)`,
        fix: `pulumi config rm ${key}${hint ? `; pulumi config set ${nearest.known} ...` : ""}`,
    };
}
