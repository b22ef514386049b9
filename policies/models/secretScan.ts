// Secrets in plaintext places, read as the software that gets the text reads it:
// - any string a resource holds, walked field by field, except the channels meant for secrets (the
//   fields a provider's schema makes secret, a command's stdin and environment, a container's
//   environment) and the outputs the program lists in additionalSecretOutputs;
// - a text is read as a shell script (assignments: NAME=value, export, env, unit Environment=),
//   as YAML or JSON (a secret-looking key with a literal value), and for key material;
// - a command line holds a secret when a password option gets a value (`-pX`/`--password=X` for the
//   MySQL clients, `sshpass -p X`, `--passphrase X`, `-passin pass:X`, `curl -u user:pass`, a URL
//   with `user:password@`): whatever follows is in the process list, literal or expanded.
import { parse } from "yaml";
import { assignments } from "./borg";
import { memoByText } from "./memo";
import { cloudConfig } from "./programText";
import { isLiteralSecretValue, isSecretName, keyMaterial, secretAssignments } from "./secrets";
import { effectiveCommand, pipelines } from "./shell";

/** Fields that hold secrets by design, per resource type (provider schemas' secret fields, and channels no one else reads). */
export const SECRET_CHANNELS: Readonly<Record<string, readonly string[]>> = {
    "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
    "random:index/randomBytes:RandomBytes": ["hex", "base64"],
    "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
    "tls:index/selfSignedCert:SelfSignedCert": ["privateKeyPem"],
    "tls:index/certRequest:CertRequest": ["privateKeyPem"],
    "tls:index/locallySignedCert:LocallySignedCert": ["caPrivateKeyPem"],
    "command:remote:Command": ["stdin", "environment", "connection.password", "connection.privateKey", "connection.privateKeyPassword", "connection.proxy.password", "connection.proxy.privateKey"],
    "command:local:Command": ["stdin", "environment"],
    "docker:index/container:Container": ["envs"],
    "proxmoxve:index/vmLegacy:VmLegacy": ["initialization.userAccount.password"],
    "pulumi:providers:proxmoxve": ["password", "apiToken", "authTicket", "csrfPreventionToken", "ssh.password", "ssh.privateKey"],
    "pulumi:providers:docker": ["registryAuth.password"],
};

export interface TextAt {
    readonly path: string;
    readonly text: string;
}

/**
 * Every string in a value, with its field path (array indexes dropped: `disks.path`), secret channels
 * left out. `read` reads one field, or gives undefined for a value not known yet (a preview).
 */
export function plaintextStrings(value: unknown, skip: readonly string[], path = "", read: (get: () => unknown) => unknown = (get) => get()): TextAt[] {
    if (skip.includes(path)) return [];
    if (typeof value === "string") return [{ path, text: value }];
    if (!value || typeof value !== "object") return [];
    // Indexes from the length alone: walking the array itself would read its elements, and an
    // element a preview cannot know yet must go through `read`.
    const entries = Array.isArray(value) ? Array.from({ length: value.length }, (_, i) => [String(i), path] as const) : Object.keys(value).map((k) => [k, path ? `${path}.${k}` : k] as const);
    return entries.flatMap(([key, at]) => plaintextStrings(read(() => (value as Record<string, unknown>)[key]), skip, at, read));
}

/** Secret-looking keys with literal values in a YAML or JSON document. */
const mappingSecrets = memoByText((text: string): string[] => {
    if (!/:\s|^\s*[{[]/m.test(text) || !/\n|^\s*\{/.test(text)) return [];
    let doc: unknown;
    try {
        doc = parse(text);
    } catch {
        return [];
    }
    const found: string[] = [];
    const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") {
            for (const [key, inner] of Object.entries(v)) {
                if ((typeof inner === "string" || typeof inner === "number") && isSecretName(key.replace(/[.-]/g, "_")) && isLiteralSecretValue({ text: String(inner), literal: true }) && !/^\$/.test(String(inner))) found.push(key);
                else walk(inner);
            }
        }
    };
    walk(doc);
    return found;
});

/**
 * What in a text would give a secret away: key material, secret-looking assignments and keys. A text
 * a shell runs is read as the shell reads it; any other text (a description, a tag, a file) may be
 * read by people too, so an assignment counts wherever it stands.
 */
export function textSecrets(text: string, reader: "shell" | "any" = "any"): string[] {
    const found = keyMaterial(text);
    found.push(...secretAssignments(assignments(text)).map((name) => `a secret-looking assignment ${name}=<literal>`));
    found.push(...mappingSecrets(text).map((key) => `a secret-looking setting ${key}: <literal>`));
    // Prose and lists (descriptions, tags): NAME=value wherever it stands, not only where a shell assigns.
    if (reader === "any") for (const [, name, value] of text.matchAll(/(?<![\w$.-])([A-Za-z_][A-Za-z0-9_]*)=("[^"\n]*"|'[^'\n]*'|[^\s,;'"]+)/g)) {
        const unquoted = value.replace(/^(["'])(.*)\1$/, "$2");
        if (isSecretName(name) && isLiteralSecretValue({ text: unquoted, literal: !/[$`]/.test(unquoted) })) found.push(`a secret-looking assignment ${name}=<literal>`);
    }
    // INI and config-file lines (`dns_ovh_application_secret = …`; `key: value` is YAML's, above): a file's readers take them as settings.
    if (reader === "any") for (const [, name, value] of text.matchAll(/^[ \t]*([A-Za-z_][\w.-]*)[ \t]*=[ \t]*("[^"\n]*"|'[^'\n]*'|[^\s#;]+)[ \t]*$/gm)) {
        const unquoted = value.replace(/^(["'])(.*)\1$/, "$2");
        if (isSecretName(name.replace(/[.-]/g, "_").toUpperCase()) && isLiteralSecretValue({ text: unquoted, literal: !/[$`]/.test(unquoted) })) found.push(`a secret-looking setting ${name} = <literal>`);
    }
    for (const file of cloudConfig(text)?.files ?? []) found.push(...textSecrets(file.content, reader).map((what) => `${what} in write_files ${file.path}`));
    return [...new Set(found)];
}

const MYSQL_CLIENTS = /^(mysql|mysqldump|mysqladmin|mysqlpump|mysqlsh|mysqlcheck|mysqlimport|mysqlshow|mysqlbinlog|mariadb(-\w+)?)$/;

/** The secrets a command's arguments carry, by option. */
export function argumentSecrets(argv: readonly string[]): string[] {
    const tool = argv[0]?.slice(argv[0].lastIndexOf("/") + 1) ?? "";
    const found: string[] = [];
    for (let i = 1; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") break;
        if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i.test(a)) found.push(`a password in the URL ${a.replace(/:[^:/@]+@/, ":***@")}`);
        if (MYSQL_CLIENTS.test(tool)) {
            // mysql reads `-p VALUE` as a prompt and a database name: only an attached value is a password.
            if (/^-[A-Za-z]*p./.test(a) && !/^--/.test(a)) found.push(`${tool} ${a.slice(0, a.indexOf("p") + 1)}<password>`);
            if (/^--password=./.test(a)) found.push(`${tool} --password=<password>`);
            continue;
        }
        if (tool === "sshpass" && /^-p/.test(a)) found.push("sshpass -p <password>");
        // eLabFTW's bin/init and bin/console (Symfony): -p VALUE, -pVALUE (db:install's password option).
        if (/^(init|console)$/.test(tool) && ((a === "-p" && argv[i + 1] !== undefined && !argv[i + 1].startsWith("-")) || /^-p./.test(a))) found.push(`bin/${tool} -p <password>`);
        if (/^-pass(in|out)?$/.test(a) && /^pass:/.test(argv[i + 1] ?? "")) found.push(`${tool} ${a} pass:<password>`);
        if (tool === "curl" && /^(-u|--user|--proxy-user)$/.test(a) && (argv[i + 1] ?? "").includes(":")) found.push(`curl ${a} user:<password>`);
        if (tool === "curl" && /^-u.+:/.test(a)) found.push("curl -u user:<password>");
        const long = /^--([a-z][a-z0-9-]*)(=(.*))?$/s.exec(a);
        // An option named for the secret it takes (--passphrase, --api-token), not a switch about one (--no-ask-password).
        if (long && /(pass(word|phrase|wd)?|secret|token|api-?key|pwd|credentials?)$/i.test(long[1]) && !/^(no|ask|use|with)-/.test(long[1])) {
            const value = long[3] ?? argv[i + 1];
            if (value !== undefined && value !== "" && !value.startsWith("-") && !value.startsWith("/")) found.push(`${tool} --${long[1]} <secret>`);
        }
    }
    return found;
}

/** The secrets a script puts on command lines (every command, nested ones included). */
export function commandLineSecrets(script: string): string[] {
    return [...new Set([...pipelines(script).flatMap((p) => p.stages).flatMap((stage) => argumentSecrets(effectiveCommand(stage).argv)), ...expandedSecretArguments(script)])];
}

/** Shell builtins: their arguments never reach a process list. */
export const BUILTINS = /^(echo|printf|test|\[|\[\[|local|export|declare|typeset|readonly|read|set|:|return|exit|eval|true|false|cd|shift|unset)$/;
/** A file named for a secret: keys, passwords, passphrases, tokens, credentials. */
export const SECRET_FILE = /(^|[^a-z])(key|pass(word|phrase)?|secret|token|credentials?|auth)([^a-z]|$)|api_?key|passphrase|password/i;
const READERS = /^(cat|head|tail|tr|base64|jq|sed|awk|cut|openssl|xxd)$/;

/** Whether a `$(...)` reads a file named for a secret: `$(cat "$key_file")`, `$(<passphrase)`, `$(tr -d x <"$token")`. */
function substitutionReadsSecret(inner: string): boolean {
    return pipelines(inner).some((p) => p.stages.some((stage) => {
        const argv = effectiveCommand(stage).argv;
        const inputs = [...stage.redirects.filter((r) => r.fd === 0 && r.op === "<").map((r) => r.target), ...(READERS.test(argv[0]?.replace(/^.*\//, "") ?? "") ? argv.slice(1).filter((a) => !a.startsWith("-")) : [])];
        return (argv.length === 0 || READERS.test(argv[0].replace(/^.*\//, ""))) && inputs.some((f) => SECRET_FILE.test(f));
    }));
}

const substitutions = (word: string) => [...word.matchAll(/\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)].map((m) => m[1]);

/**
 * Secrets a script expands into an external command's arguments (the process list shows them): a
 * `$(...)` that reads a secret's file, or a variable assigned from one (`key=$(cat "$key_file")`,
 * `read -r key <"$key_file"`), used in the argument of anything but a shell builtin.
 */
export function expandedSecretArguments(script: string): string[] {
    const secretVars = new Set<string>();
    const found: string[] = [];
    for (const stage of pipelines(script).flatMap((p) => p.stages)) {
        for (const { name, value } of stage.assigns) if (substitutions(value.text).some(substitutionReadsSecret)) secretVars.add(name);
        const argv = effectiveCommand(stage).argv;
        const tool = argv[0]?.replace(/^.*\//, "") ?? "";
        if (tool === "read" && stage.redirects.some((r) => r.fd === 0 && SECRET_FILE.test(r.target))) for (const v of argv.slice(1).filter((a) => !a.startsWith("-"))) secretVars.add(v);
        if (argv.length === 0 || BUILTINS.test(tool)) continue;
        // A shell's -c script is a script of its own (parsed as such), not an argument shown as is.
        const script = /^(ba|da|z|k)?sh$/.test(tool) ? argv.indexOf("-c") + 1 : 0;
        for (const word of argv.slice(1).filter((_, i) => script === 0 || i + 1 !== script)) {
            const viaVar = [...word.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]).find((v) => secretVars.has(v));
            if (viaVar || substitutions(word).some(substitutionReadsSecret)) found.push(`${tool} ${word.length > 40 ? `${word.slice(0, 40)}…` : word}`);
        }
    }
    return [...new Set(found)];
}
