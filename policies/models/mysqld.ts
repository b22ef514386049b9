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
