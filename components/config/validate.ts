// Turns the raw stack config (strings, as Pulumi hands them over) into one typed, checked object,
// or throws a ConfigError listing every problem with the key, the bad value and the fix.
import { z } from "zod";
import { build } from "./build";
import { APPLICATION_CHECKS } from "./checks/application";
import { NETWORK_CHECKS } from "./checks/network";
import { VMS_CHECKS } from "./checks/vms";
import { KEYS, KEY_NAMES, KeyName } from "./keys";
import { Parsed, Report } from "./parsed";
import { ConfigError, ConfigProblem, reportedValue, shownMessage, spec, unknownKeyProblem } from "./problems";
import { PlatformConfig, SecretSettings } from "./types";
import { providerAccountProblems, providerSecretProblems } from "./providerSecrets";

export * from "./types";
export { ConfigError } from "./problems";
export type { ConfigProblem } from "./problems";
export { parseBackupTarget } from "./parsed";

const CROSS_CHECKS = [...NETWORK_CHECKS, ...VMS_CHECKS, ...APPLICATION_CHECKS];

/** Converts Pulumi's string values to the key's declared type; leaves unparsable text for zod to reject. */
function coerce(key: KeyName, text: string): unknown {
    switch (spec(key)!.type) {
        case "integer":
            return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
        case "boolean":
            return text === "true" ? true : text === "false" ? false : text;
        case "array":
            try {
                return JSON.parse(text);
            } catch {
                return text;
            }
        default:
            return text;
    }
}

/** zod's generic messages ("Invalid option: expected one of ...") said in the project's words. */
function inProjectWords(key: KeyName, issue: z.core.$ZodIssue, value: unknown): string {
    if (issue.code === "invalid_value" && issue.values.length > 1) {
        const allowed = issue.values.map(String);
        const typed = String(value).toLowerCase();
        const near = allowed.find((v) => typed.length >= 2 && (v.startsWith(typed) || typed.startsWith(v)));
        return `is not one of the allowed values ${allowed.join(", ")}${near ? ` (did you mean ${near}?)` : ""}: ${spec(key)!.description.replace(/\.$/, "")}`;
    }
    if (issue.code === "invalid_type") {
        const expected: Record<string, string> = {
            number: "is not a whole number",
            boolean: "is not true or false",
            array: 'is not a list (in the stack file, a YAML sequence; with the CLI, pulumi config set --path "<key>[0]" <value>)',
            string: "is not a text value",
        };
        if (issue.expected in expected) return expected[issue.expected].replace("<key>", key);
    }
    return issue.message;
}

/**
 * Validates the project's config (short keys without the "elabftw-onprem:" prefix, string values).
 * Returns the typed platform config and, separately, the secret settings, so that the caller
 * wraps them as secrets before anything else sees them. `source` names the stack file a tool read;
 * `encrypted` names the keys Pulumi decrypted (set with --secret): when given, a secret key set in
 * plaintext is refused. `providers`: the providers' keys (full, "proxmoxve:apiToken") with whether
 * each was set with --secret; a provider secret set in plaintext is refused too.
 */
export function validateConfig(
    raw: Readonly<Record<string, string>>,
    source?: string,
    encrypted?: ReadonlySet<string>,
    providers?: { readonly values: Readonly<Record<string, string>>; readonly encrypted: (fullKey: string) => boolean },
): { config: PlatformConfig; secrets: SecretSettings } {
    const problems: ConfigProblem[] = providers ? [...providerSecretProblems(providers.values, providers.encrypted), ...providerAccountProblems(providers.values)] : [];
    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(raw)) {
        if (text === "") continue; // `pulumi config set key ""` means "not set"
        if (key in KEYS) values[key] = coerce(key as KeyName, text);
        else problems.push(unknownKeyProblem(key, text));
    }
    const report: Report = (key, message, fix) => problems.push({ key, value: reportedValue(key, values[key]), message: shownMessage(message), fix: fix ?? KEYS[key].fix });
    for (const key of KEY_NAMES) {
        if (encrypted && spec(key)?.secret && key in values && !encrypted.has(key)) {
            report(key, "is a secret set in plaintext: it sits readable in Pulumi.<stack>.yaml and in git. Remove it there and set it encrypted");
        }
    }

    const parsed: Record<string, unknown> = {};
    const invalid = new Set<KeyName>();
    for (const key of KEY_NAMES) {
        const result = (KEYS[key].schema as z.ZodType).safeParse(values[key]);
        if (result.success) {
            parsed[key] = result.data;
            continue;
        }
        invalid.add(key);
        for (const issue of result.error.issues) {
            const where = issue.path.length > 0 ? ` (item ${issue.path.join(".")})` : "";
            report(key, key in values ? `${inProjectWords(key, issue, values[key])}${where}` : "is required and not set");
        }
    }
    for (const { reads, check } of CROSS_CHECKS) {
        if (reads.every((key) => !invalid.has(key))) check(parsed as Parsed, report);
    }
    // The Proxmox API's certificate unverified: its token, and the VMs' host keys read through it,
    // would go to whoever answers at the endpoint. Tolerated on test stacks only.
    const insecure = providers?.values["proxmoxve:insecure"];
    if (parsed.stackKind === "production" && insecure !== undefined && /^(true|1|yes)$/i.test(insecure.trim())) {
        problems.push({ key: "proxmoxve:insecure", value: insecure, message: "turns off the verification of the Proxmox API's TLS certificate on a production stack: the API token, and the VMs' host keys read through the API, would go to whoever answers at the endpoint", fix: "pulumi config rm proxmoxve:insecure, and give the nodes a certificate the workstation trusts (the institution's, or the cluster CA in the system store)" });
    }
    // The API token goes with every request, the VMs' host keys come back: over TLS only, whatever redirects later.
    const endpoint = providers?.values["proxmoxve:endpoint"];
    if (endpoint !== undefined && !/^https:\/\//i.test(endpoint.trim())) {
        problems.push({ key: "proxmoxve:endpoint", value: endpoint, message: "is not an https:// URL: the provider sends the API token with its first request in clear (before any redirect), and reads the VMs' SSH host keys over it, so whoever listens on the path reconfigures, consoles into and reads both VMs", fix: "pulumi config set proxmoxve:endpoint https://<node>:8006/" });
    }
    if (problems.length > 0) throw new ConfigError(problems, source);
    const config = parsed as Parsed;
    return {
        config: build(config),
        secrets: { sshPrivateKey: config.sshPrivateKey, httpsPrivateKey: config.httpsPrivateKey, elabftwSecretKey: config.elabftwSecretKey,
            smtpPassword: config.smtpPassword,
            timestampPassword: config.timestampPassword,
        },
    };
}

