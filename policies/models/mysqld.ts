// mysqld's options as the server reads them: option files' [mysqld]/[server] groups first, then the
// command line; the last occurrence wins; `-` and `_` are the same in names; `--loose-` only softens
// an unknown option; `--skip-x`/`--disable-x` set x OFF, `--enable-x` and a bare `--x` set it ON.
export type MysqldOptions = ReadonlyMap<string, string>;

const normalise = (name: string) => name.toLowerCase().replace(/-/g, "_");

function apply(options: Map<string, string>, raw: string): void {
    const eq = raw.indexOf("=");
    let name = normalise(eq < 0 ? raw : raw.slice(0, eq));
    let value = eq < 0 ? undefined : raw.slice(eq + 1).replace(/^(["'])(.*)\1$/, "$2");
    if (name.startsWith("loose_")) name = name.slice("loose_".length);
    const negated = /^(skip|disable)_(.+)$/.exec(name);
    const enabled = /^enable_(.+)$/.exec(name);
    if (negated && value === undefined) [name, value] = [negated[2], "OFF"];
    else if (enabled && value === undefined) [name, value] = [enabled[1], "ON"];
    options.set(name, value ?? "ON");
}

/** Options from option-file texts (in the order mysqld reads them) and then the argument list (argv[0] is the program). */
export function mysqldOptions(args: readonly string[], optionFiles: readonly string[] = []): MysqldOptions {
    const options = new Map<string, string>();
    for (const text of optionFiles) {
        let group = "";
        for (const line of text.split("\n").map((l) => l.replace(/[#;].*$/, "").trim()).filter(Boolean)) {
            const header = /^\[(.+)\]$/.exec(line);
            if (header) group = header[1].trim().toLowerCase();
            else if (["mysqld", "server", "mysqld-8.4"].includes(group)) apply(options, line.replace(/\s*=\s*/, "="));
        }
    }
    for (const arg of args.slice(1)) if (arg.startsWith("--")) apply(options, arg.slice(2));
    return options;
}

export const isOn = (value: string | undefined) => value !== undefined && ["on", "1", "true", "yes", "force_plus_permanent"].includes(value.toLowerCase());

/** MySQL 8.4's default when tls_version is not given. */
export const DEFAULT_TLS_VERSIONS = ["TLSv1.2", "TLSv1.3"];

/** The TLS versions mysqld accepts: the option's list (empty: TLS off), or the default. */
export function tlsVersions(options: MysqldOptions): string[] {
    const value = options.get("tls_version");
    if (value === undefined) return DEFAULT_TLS_VERSIONS;
    return value.split(",").map((v) => v.trim()).filter(Boolean);
}

/**
 * The files and directories mysqld writes table data or query text to, as configured (container
 * paths; a relative one is under the datadir): the general and slow query logs when on and written
 * to FILE (log_output), the binary log (on by default since 8.0; off with --skip-log-bin or
 * --disable-log-bin) and the relay log, InnoDB's own directories, tmpdir (each of its list), and
 * secure_file_priv (where SELECT ... INTO OUTFILE may write; "" lets it write anywhere, NULL
 * forbids it). Defaults inside the datadir, or in the image's /tmp and /var/lib/mysql-files, are
 * listed as such so that the caller places them too.
 */
export function mysqldDataPaths(options: MysqldOptions): { option: string; path: string }[] {
    const datadir = options.get("datadir") ?? "/var/lib/mysql";
    const at = (p: string) => (p.startsWith("/") ? p : `${datadir}/${p}`);
    const found: { option: string; path: string }[] = [];
    const outputs = (options.get("log_output") ?? "FILE").toUpperCase().split(",").map((o) => o.trim());
    const toFile = outputs.includes("FILE") && !outputs.includes("NONE");
    if (isOn(options.get("general_log")) && toFile) found.push({ option: "general_log_file", path: at(options.get("general_log_file") ?? "host.log") });
    if (isOn(options.get("slow_query_log")) && toFile) found.push({ option: "slow_query_log_file", path: at(options.get("slow_query_log_file") ?? "host-slow.log") });
    const logBin = options.get("log_bin");
    if (!(logBin !== undefined && /^(off|0|false|no)$/i.test(logBin))) {
        found.push({ option: "log_bin", path: at(logBin === undefined || isOn(logBin) ? "binlog" : logBin) });
        for (const option of ["log_bin_index", "log_bin_basename"]) if (options.get(option)) found.push({ option, path: at(options.get(option)!) });
    }
    for (const option of ["relay_log", "relay_log_index", "innodb_data_home_dir", "innodb_log_group_home_dir", "innodb_undo_directory", "innodb_temp_tablespaces_dir", "innodb_tmpdir", "innodb_directories"]) {
        const value = options.get(option);
        if (value) for (const part of value.split(/[;:]/).filter(Boolean)) found.push({ option, path: at(part) });
    }
    for (const part of (options.get("tmpdir") ?? "/tmp").split(":").filter(Boolean)) found.push({ option: "tmpdir", path: at(part) });
    const priv = options.get("secure_file_priv");
    if (priv === "") found.push({ option: "secure_file_priv", path: "" });
    else if (priv === undefined || !/^null$/i.test(priv)) found.push({ option: "secure_file_priv", path: at(priv ?? "/var/lib/mysql-files") });
    return found;
}

/**
 * Server variables an SQL script sets for the whole server, last one winning: `SET GLOBAL x = v`,
 * `SET PERSIST x = v` (kept in mysqld-auto.cnf, read after the command line at every start),
 * `SET PERSIST_ONLY`, `SET @@global.x`/`@@persist.x`/`@@persist_only.x`, several in one SET.
 * Session assignments (`SET x`, `SET SESSION`, `@@session.`, user variables `@x`) change nothing
 * for other connections and are left out. Values: quotes removed, ON/OFF/1/0 as written.
 * The caller splits the script with mysqlAccounts.statements (quotes and comments respected).
 */
export function serverSettings(sqlStatements: readonly string[]): Map<string, string> {
    const settings = new Map<string, string>();
    for (const statement of sqlStatements) {
        const set = /^\s*SET\s+([\s\S]*)$/i.exec(statement);
        if (!set || /^\s*(PASSWORD|NAMES|CHARACTER|TRANSACTION|DEFAULT\s+ROLE|ROLE|RESOURCE)\b/i.test(set[1])) continue;
        let scope: "global" | "session" = "session";
        // Assignments separated by commas outside quotes; a scope keyword carries to the next ones.
        for (const part of set[1].match(/(?:[^,'"]|'[^']*'|"[^"]*")+/g) ?? []) {
            const m = /^\s*(?:(GLOBAL|PERSIST|PERSIST_ONLY|SESSION|LOCAL)\s+)?(@@(?:(global|persist|persist_only|session|local)\.)?)?`?([\w$]+)`?\s*(?::=|=)\s*([\s\S]+?)\s*$/i.exec(part);
            if (!m) continue;
            if (m[1]) scope = /^(session|local)$/i.test(m[1]) ? "session" : "global";
            const varScope = m[2] ? (m[3] && !/^(session|local)$/i.test(m[3]) ? "global" : m[3] ? "session" : "session") : scope;
            if (varScope !== "global" || m[4].startsWith("@")) continue;
            settings.set(normalise(m[4]), m[5].replace(/^(["'])(.*)\1$/, "$2"));
        }
    }
    return settings;
}
