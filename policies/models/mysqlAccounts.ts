// MySQL accounts as the server leaves them after an SQL script, on a server whose earlier state is
// unknown (a first deployment or an existing one):
// - statements split on `;` outside quotes and comments (`-- `, `#`, `/* */`);
// - CREATE USER IF NOT EXISTS changes nothing on an existing account, so its REQUIRE is then
//   unknown; CREATE USER, ALTER USER set REQUIRE when they have the clause (none given on CREATE
//   means NONE); DROP USER removes, RENAME USER moves the account;
// - account names as MySQL reads them: 'u'@'h', "u"@"h", `u`@`h`, u@h, 'u' (host '%');
// - REQUIRE NONE | SSL | X509 | SUBJECT 's' [AND] ISSUER 's' [AND] CIPHER 's'; the server compares
//   SUBJECT with the certificate's subject in OpenSSL's one-line form (/O=.../CN=...).

export interface Require {
    readonly kind: "NONE" | "SSL" | "X509" | "SPECIFIED";
    readonly subject?: string;
    readonly issuer?: string;
}

export interface AccountState {
    /** "unknown" when the script leaves whatever an existing account had. */
    readonly require: Require | "unknown";
    /** Created or altered with a password (IDENTIFIED BY/WITH ... BY/AS). */
    readonly password: boolean;
}

/** Splits SQL into statements, dropping comments; quoted text is kept with its quotes. */
export function statements(sql: string): string[] {
    const out: string[] = [];
    let current = "";
    for (let i = 0; i < sql.length; i++) {
        const c = sql[i];
        if (c === "'" || c === '"' || c === "`") {
            let j = i + 1;
            while (j < sql.length && sql[j] !== c) j += sql[j] === "\\" ? 2 : 1;
            current += sql.slice(i, j + 1);
            i = j;
        } else if (c === "#" || (c === "-" && sql[i + 1] === "-" && /\s/.test(sql[i + 2] ?? " "))) {
            while (i < sql.length && sql[i] !== "\n") i++;
            current += " ";
        } else if (c === "/" && sql[i + 1] === "*") {
            const end = sql.indexOf("*/", i + 2);
            i = end < 0 ? sql.length : end + 1;
            current += " ";
        } else if (c === ";") {
            if (current.trim()) out.push(current.trim());
            current = "";
        } else current += c;
    }
    if (current.trim()) out.push(current.trim());
    return out;
}

type Token = { quoted: boolean; text: string };

function tokens(statement: string): Token[] {
    const out: Token[] = [];
    const re = /'((?:[^'\\]|\\.|'')*)'|"((?:[^"\\]|\\.)*)"|`([^`]*)`|(@)|(,)|([^\s'"`@,()=]+)|([()=])/g;
    for (const m of statement.matchAll(re)) {
        const quoted = m[1] ?? m[2] ?? m[3];
        if (quoted !== undefined) out.push({ quoted: true, text: quoted.replace(/''/g, "'").replace(/\\(.)/g, "$1") });
        else out.push({ quoted: false, text: m[0] });
    }
    return out;
}

const keyword = (t: Token | undefined, ...words: string[]) => t !== undefined && !t.quoted && words.includes(t.text.toUpperCase());

/** Reads an account name at `i`: [name "user@host", next index]. */
function account(ts: Token[], i: number): [string, number] {
    let user = ts[i].text;
    let host = "%";
    let n = i + 1;
    if (!ts[i].quoted && user.includes("@")) [user, host] = [user.slice(0, user.indexOf("@")), user.slice(user.indexOf("@") + 1)];
    else if (ts[n]?.text === "@" && !ts[n].quoted) { host = ts[n + 1]?.text ?? "%"; n += 2; }
    return [`${user}@${host.toLowerCase()}`, n];
}

const CLAUSE_END = ["WITH", "PASSWORD", "ACCOUNT", "COMMENT", "ATTRIBUTE", "FAILED_LOGIN_ATTEMPTS", "PASSWORD_LOCK_TIME", "DEFAULT"];

function requireClause(ts: Token[], at: number): Require {
    let kind: Require["kind"] = "NONE";
    let subject: string | undefined;
    let issuer: string | undefined;
    for (let i = at + 1; i < ts.length && !keyword(ts[i], ...CLAUSE_END); i++) {
        if (keyword(ts[i], "NONE")) kind = "NONE";
        else if (keyword(ts[i], "SSL")) kind = "SSL";
        else if (keyword(ts[i], "X509")) kind = "X509";
        else if (keyword(ts[i], "SUBJECT")) { kind = "SPECIFIED"; subject = ts[++i]?.text; }
        else if (keyword(ts[i], "ISSUER")) { kind = "SPECIFIED"; issuer = ts[++i]?.text; }
        else if (keyword(ts[i], "CIPHER")) { kind = "SPECIFIED"; i++; }
    }
    return { kind, subject, issuer };
}

/** The accounts a script creates, alters, renames or drops, as it leaves them (dropped ones absent). */
export function accountsAfter(sql: string): Map<string, AccountState> {
    const accounts = new Map<string, AccountState>();
    for (const statement of statements(sql)) {
        const ts = tokens(statement);
        if (keyword(ts[0], "CREATE", "ALTER") && keyword(ts[1], "USER")) {
            const create = keyword(ts[0], "CREATE");
            let i = 2;
            const ifClause = keyword(ts[i], "IF");
            if (ifClause) i += create ? 3 : 2;
            const names: string[] = [];
            let password = false;
            // user [IDENTIFIED ...] [, user [IDENTIFIED ...]] ...
            while (i < ts.length) {
                const [name, next] = account(ts, i);
                names.push(name);
                i = next;
                while (i < ts.length && ts[i].text !== "," && !keyword(ts[i], "REQUIRE", ...CLAUSE_END)) {
                    if (keyword(ts[i], "BY", "AS")) password = true;
                    i++;
                }
                if (ts[i]?.text !== ",") break;
                i++;
            }
            const at = ts.findIndex((t, k) => k >= i && keyword(t, "REQUIRE"));
            const clause = at >= 0 ? requireClause(ts, at) : undefined;
            for (const name of names) {
                const before = accounts.get(name);
                if (create && ifClause && !before) accounts.set(name, { require: "unknown", password });
                else if (create && !ifClause) accounts.set(name, { require: clause ?? { kind: "NONE" }, password });
                else if (!create) accounts.set(name, { require: clause ?? before?.require ?? "unknown", password: password || (before?.password ?? false) });
            }
        } else if (keyword(ts[0], "DROP") && keyword(ts[1], "USER")) {
            for (let i = keyword(ts[2], "IF") ? 4 : 2; i < ts.length; ) {
                const [name, next] = account(ts, i);
                accounts.delete(name);
                i = ts[next]?.text === "," ? next + 1 : ts.length;
            }
        } else if (keyword(ts[0], "RENAME") && keyword(ts[1], "USER")) {
            for (let i = 2; i < ts.length; ) {
                const [from, afterFrom] = account(ts, i);
                const [to, next] = account(ts, afterFrom + 1);
                const state = accounts.get(from) ?? { require: "unknown", password: false };
                accounts.delete(from);
                accounts.set(to, state);
                i = ts[next]?.text === "," ? next + 1 : ts.length;
            }
        }
    }
    return accounts;
}

export interface Grant {
    /** Privileges upper-cased, "ALL" for ALL [PRIVILEGES]; role names for a role grant. */
    readonly privileges: string[];
    /** The ON target (`*.*`, `elabftw.*`), undefined for a role grant. */
    readonly on?: string;
    readonly to: string[];
    readonly grantOption: boolean;
}

/** The GRANT statements of a script: `GRANT privs ON target TO accounts [WITH GRANT OPTION]`, and role grants. */
export function grants(sql: string): Grant[] {
    const out: Grant[] = [];
    for (const statement of statements(sql)) {
        const ts = tokens(statement);
        if (!keyword(ts[0], "GRANT")) continue;
        const onAt = ts.findIndex((t) => keyword(t, "ON"));
        const toAt = ts.findIndex((t) => keyword(t, "TO"));
        if (toAt < 0) continue;
        const privilegeWords = ts.slice(1, onAt >= 0 ? onAt : toAt);
        // Privileges are comma-separated words (SHOW VIEW, LOCK TABLES); column lists in parentheses are dropped.
        const privileges: string[] = [];
        let current: string[] = [];
        let depth = 0;
        for (const t of privilegeWords) {
            if (t.text === "(") depth++;
            else if (t.text === ")") depth--;
            else if (depth > 0) continue;
            else if (t.text === ",") { privileges.push(current.join(" ")); current = []; }
            else current.push(t.text.toUpperCase());
        }
        if (current.length) privileges.push(current.join(" "));
        const on = onAt >= 0 ? ts.slice(onAt + 1, toAt).filter((t) => !keyword(t, "TABLE", "FUNCTION", "PROCEDURE")).map((t) => t.text).join("") : undefined;
        const to: string[] = [];
        for (let i = toAt + 1; i < ts.length && !keyword(ts[i], "WITH", "AS", "REQUIRE"); ) {
            const [name, next] = account(ts, i);
            to.push(name);
            i = ts[next]?.text === "," ? next + 1 : next;
            if (i === next && ts[i]?.text !== ",") break;
        }
        const withAt = ts.findIndex((t, k) => k > toAt && keyword(t, "WITH"));
        out.push({ privileges: privileges.map((p) => (p === "ALL PRIVILEGES" ? "ALL" : p)), on, to, grantOption: withAt >= 0 && keyword(ts[withAt + 1], "GRANT") });
    }
    return out;
}

const ONE_LINE_ORDER: [string, string][] = [
    ["country", "C"], ["province", "ST"], ["locality", "L"], ["streetAddresses", "street"], ["postalCode", "postalCode"],
    ["organization", "O"], ["organizationalUnit", "OU"], ["commonName", "CN"], ["serialNumber", "serialNumber"],
];

/** The subject the server sees for a certificate the tls provider issues from this CSR subject (Go's RDN order, OpenSSL's one-line form). */
export function oneLineSubject(subject: Readonly<Record<string, unknown>>): string {
    return ONE_LINE_ORDER.flatMap(([field, short]) => {
        const value = subject[field];
        const values = Array.isArray(value) ? value : value === undefined || value === null || value === "" ? [] : [value];
        return values.map((v) => `/${short}=${v}`);
    }).join("");
}
