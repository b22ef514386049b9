// eLabFTW's instance settings as the instance ends up with them, from every way a deployment can send
// them, in order (the last write wins):
// - the settings document the settings script reads on stdin ({"config": {...}, "idp": ...});
// - HTTP calls to the config endpoint (`/api/v2/config`, any host): a JSON body, a form body
//   (`a=1&b=2`, curl's -F k=v), or a query string, with curl's and wget's body options;
// - SQL on eLabFTW's `config` table: UPDATE config SET conf_value=... WHERE conf_name=..., and
//   INSERT/REPLACE INTO config (conf_name, conf_value) VALUES (...).
// Values are read as PHP stores them from JSON: true is "1", false is "", numbers as written.
import { statements } from "./mysqlAccounts";
import { effectiveCommand, pipelines } from "./shell";

export type SettingsWrite = readonly [key: string, value: string];

const phpString = (v: unknown): string | undefined =>
    typeof v === "string" ? v : typeof v === "number" ? String(v) : typeof v === "boolean" ? (v ? "1" : "") : v === null ? "" : undefined;

function objectWrites(value: unknown): SettingsWrite[] {
    if (!value || typeof value !== "object" || Array.isArray(value)) return [];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => (phpString(v) === undefined ? [] : [[k, phpString(v)!] as const]));
}

/** A settings document ({"config": {...}}): what the settings step sends, the whole of what it writes. */
export function isSettingsDocument(text: string): boolean {
    try {
        const parsed = JSON.parse(text);
        return !!parsed && typeof parsed === "object" && !Array.isArray(parsed) && !!parsed.config && typeof parsed.config === "object";
    } catch {
        return false;
    }
}

/** The config of a settings document ({"config": {...}}), or of a bare JSON object body. */
export function documentWrites(text: string, bare = false): SettingsWrite[] {
    try {
        const parsed = JSON.parse(text);
        if (parsed && typeof parsed === "object" && "config" in parsed) return objectWrites(parsed.config);
        return bare ? objectWrites(parsed) : [];
    } catch {
        return [];
    }
}

const formWrites = (text: string): SettingsWrite[] =>
    text.split("&").filter((p) => p.includes("=")).map((p) => {
        const decode = (s: string) => { try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch { return s; } };
        return [decode(p.slice(0, p.indexOf("="))), decode(p.slice(p.indexOf("=") + 1))] as const;
    });

const bodyWrites = (body: string): SettingsWrite[] => (/^\s*[{[]/.test(body) ? documentWrites(body, true) : formWrites(body));

const CONFIG_ENDPOINT = /\/api\/v\d+\/config\/?(\?|$)/;
const BODY_OPTIONS = /^(-d|--data|--data-raw|--data-binary|--data-ascii|--data-urlencode|--json|-F|--form|--form-string|--post-data|--body-data)$/;

/** Settings an HTTP client command line sends to the config endpoint. */
export function httpWrites(argv: readonly string[]): SettingsWrite[] {
    const tool = argv[0]?.slice(argv[0].lastIndexOf("/") + 1);
    if (tool !== "curl" && tool !== "wget") return [];
    const urls = argv.filter((a) => CONFIG_ENDPOINT.test(a.replace(/^['"]|['"]$/g, "")));
    if (urls.length === 0) return [];
    const writes: SettingsWrite[] = urls.flatMap((u) => (u.includes("?") ? formWrites(u.slice(u.indexOf("?") + 1)) : []));
    for (let i = 1; i < argv.length; i++) {
        const a = argv[i];
        const long = /^(--[a-z-]+)=(.*)$/s.exec(a);
        const [option, value] = long ? [long[1], long[2]] : BODY_OPTIONS.test(a) ? [a, argv[++i] ?? ""] : /^-[dF]./.test(a) ? [a.slice(0, 2), a.slice(2)] : [undefined, ""];
        if (option && BODY_OPTIONS.test(option) && !value.startsWith("@")) writes.push(...bodyWrites(value));
    }
    return writes;
}

const unquote = (s: string) => s.trim().replace(/^(['"`])(.*)\1$/s, "$2").replace(/\\(.)/g, "$1").replace(/''/g, "'");
const SQL_VALUE = String.raw`('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|[-\w.]+)`;

/** Settings SQL writes into eLabFTW's config table. */
export function sqlWrites(sql: string): SettingsWrite[] {
    const writes: SettingsWrite[] = [];
    for (const statement of statements(sql)) {
        const update = new RegExp(String.raw`\bUPDATE\s+(?:\S+\.)?\`?config\`?\s+SET\s+\`?conf_value\`?\s*=\s*${SQL_VALUE}\s+WHERE\s+\`?conf_name\`?\s*=\s*${SQL_VALUE}`, "is").exec(statement);
        if (update) writes.push([unquote(update[2]), unquote(update[1])]);
        const insert = /\b(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s+(?:\S+\.)?`?config`?\s*\(\s*`?(\w+)`?\s*,\s*`?(\w+)`?\s*\)\s*VALUES\s*(.*)$/is.exec(statement);
        if (insert) {
            const nameFirst = insert[1].toLowerCase() === "conf_name";
            for (const row of insert[3].matchAll(new RegExp(String.raw`\(\s*${SQL_VALUE}\s*,\s*${SQL_VALUE}\s*\)`, "g"))) {
                const [a, b] = [unquote(row[1]), unquote(row[2])];
                writes.push(nameFirst ? [a, b] : [b, a]);
            }
        }
    }
    return writes;
}

/** Every settings write a script makes: HTTP calls to the config endpoint, SQL anywhere in its text. */
export function scriptWrites(script: string): SettingsWrite[] {
    const http = pipelines(script).flatMap((p) => p.stages).flatMap((stage) => httpWrites(effectiveCommand(stage).argv));
    return [...http, ...sqlWrites(script)];
}

/**
 * Whether an HTTP client command line reads the config endpoint (GET: no body, no other method):
 * eLabFTW answers with every setting, the encrypted ones (SMTP, LDAP, timestamping passwords)
 * decrypted.
 */
export function readsConfig(argv: readonly string[]): boolean {
    const tool = argv[0]?.slice(argv[0].lastIndexOf("/") + 1);
    if (tool !== "curl" && tool !== "wget") return false;
    if (!argv.some((a) => CONFIG_ENDPOINT.test(a.replace(/^['"]|['"]$/g, "")))) return false;
    const method = argv.flatMap((a, i) => (/^(-X|--request|--method)$/.test(a) ? [argv[i + 1] ?? ""] : /^(--request|--method)=/.test(a) ? [a.slice(a.indexOf("=") + 1)] : /^-X./.test(a) ? [a.slice(2)] : [])).pop();
    const body = argv.some((a) => BODY_OPTIONS.test(a) || /^--[a-z-]+=/.test(a) && BODY_OPTIONS.test(a.slice(0, a.indexOf("="))) || /^-[dF]./.test(a));
    return (method === undefined ? !body : method.toUpperCase() === "GET");
}

/**
 * The SAML attribute eLabFTW finds or creates accounts by (the IdP's email_attr), from a settings
 * document that registers an identity provider by hand; undefined when the document registers none.
 */
export function idpEmailAttribute(text: string): string | undefined {
    try {
        const parsed = JSON.parse(text);
        const attr = parsed?.idp?.idp?.email_attr;
        return typeof attr === "string" ? attr : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Attributes that carry the institution's own address for the person (the directory's `mail`, by
 * name or OID, or its claim URI): the identity provider asserts them from the directory, where the
 * user cannot choose them. Any other (a personal address users declare, SUPANN's supannMailPerso, an
 * alternate address) lets a user claim a colleague's address, and eLabFTW logs them into that account.
 */
const INSTITUTIONAL_EMAIL = new Set(["mail", "email", "urn:oid:0.9.2342.19200300.100.1.3", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "urn:oid:1.2.840.113549.1.9.1"]);
export const isInstitutionalEmailAttribute = (name: string) => INSTITUTIONAL_EMAIL.has(name.trim()) || INSTITUTIONAL_EMAIL.has(name.trim().toLowerCase());

/**
 * SQL that sets a user's second-factor secret (eLabFTW keeps the TOTP secret in users.mfa_secret):
 * the deployment then holds both factors of that account, beside its password.
 */
export function mfaSecretWrites(sql: string): string[] {
    return statements(sql).filter((s) => /\bUPDATE\s+(?:\S+\.)?`?users`?\s+SET\b[\s\S]*\bmfa_secret`?\s*=\s*(?!NULL\b|''|"")\S/i.test(s) || /\b(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s+(?:\S+\.)?`?users`?\s*\([^)]*\bmfa_secret\b/i.test(s)).map((s) => s.trim().slice(0, 80));
}
