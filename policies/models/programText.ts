// Where a deployment writes commands, read as the software that runs them reads them:
// - systemd units: Exec*= lines (their `-@:+!` prefixes dropped), Environment= assignments and
//   EnvironmentFile= paths;
// - cron files: the command after the five time fields (or an @nickname), after the user field in
//   /etc/crontab and /etc/cron.d, up to the first unescaped `%` (the rest is its stdin); NAME=value
//   lines set the environment;
// - cloud-init user-data: runcmd and bootcmd (a string runs under sh, a list is an argv),
//   write_files (base64/gzip encodings decoded where plain base64) and the password settings;
// - a written file's path says how it is read (script, unit, cron file, environment file, data).
import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import { memoByText } from "./memo";
import { commandName, effectiveCommand, pipelines } from "./shell";

export type TextKind = "shell" | "unit" | "cron" | "env" | "data";

export interface WrittenFile {
    readonly path: string;
    readonly content: string;
}

/** How the system reads a file at this path (and, for an executable, its `#!` line). */
export function kindOfPath(path: string, content = ""): TextKind {
    if (/\.env$|\/environment$|\/default\/[^/]+$/.test(path)) return "env";
    if (/^\/(etc|run|usr\/lib|lib)\/systemd\/(system|user)\/.+\.(service|timer|socket|path)$|\/\.config\/systemd\/user\/.+\.service$|\.service\.d\/.+\.conf$/.test(path)) return "unit";
    if (/^\/etc\/crontab$|^\/etc\/cron\.d\/|^\/var\/spool\/cron\//.test(path)) return "cron";
    if (/^\/(usr\/(local\/)?)?s?bin\/|^\/etc\/cron\.(hourly|daily|weekly|monthly)\/|^\/etc\/profile\.d\/|^\/etc\/rc\.local$|\.(ba)?sh$/.test(path)) return "shell";
    if (/^#!\s*\S*\/(env\s+)?(ba|da|k|z)?sh\b/.test(content)) return "shell";
    return "data";
}

/** The shell commands of a systemd unit, and its environment. */
export function unitText(unit: string): { commands: string[]; environment: string[]; environmentFiles: string[] } {
    const logical = unit.replace(/\\\n/g, " ");
    const commands: string[] = [];
    const environment: string[] = [];
    const environmentFiles: string[] = [];
    for (const line of logical.split("\n")) {
        const entry = /^\s*([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
        if (!entry) continue;
        const [, key, value] = entry;
        if (/^Exec[A-Za-z]*$/.test(key)) commands.push(value.replace(/^[-@:+!|]+/, ""));
        else if (key === "Environment") environment.push(value);
        else if (key === "EnvironmentFile") environmentFiles.push(value.replace(/^-/, ""));
    }
    // Environment="A=b c" D=e: the same quoting as a shell word list.
    const assignments = environment.flatMap((value) => pipelines(`: ${value}`).flatMap((p) => p.stages).flatMap((s) => s.words.slice(1).map((w) => w.text)));
    return { commands, environment: assignments, environmentFiles };
}

/** The shell commands of a cron file, and its environment lines. */
export function cronText(text: string, withUserField: boolean): { commands: string[]; environment: string[] } {
    const commands: string[] = [];
    const environment: string[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        if (/^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) { environment.push(line.replace(/\s*=\s*/, "=")); continue; }
        const fields = line.split(/\s+/);
        const skip = (line.startsWith("@") ? 1 : 5) + (withUserField ? 1 : 0);
        const command = fields.slice(skip).join(" ");
        const percent = /(^|[^\\])%/.exec(command);
        commands.push((percent ? command.slice(0, percent.index + percent[1].length) : command).replace(/\\%/g, "%"));
    }
    return { commands, environment };
}

export const isCronWithUserField = (path: string) => path === "/etc/crontab" || path.startsWith("/etc/cron.d/");

export interface CloudConfig {
    /** runcmd and bootcmd entries as shell text. */
    readonly commands: string[];
    readonly files: WrittenFile[];
    /** Top-level and per-user password settings present: chpasswd, password, passwd, plain_text_passwd, hashed_passwd. */
    readonly passwordSettings: string[];
    /** The `mounts` entries, as the fstab lines cloud-init writes for them. */
    readonly fstab: string[];
    /** The swap file cloud-init's swap module creates (`swap: {filename, size}`; default /swap.img), if any. */
    readonly swapFile?: string;
    /** The `packages` cloud-init installs (names only; `[name, version]` entries too). */
    readonly packages: string[];
    /** The APT module's source lines (`apt: sources: NAME: source:`) and its `apt: conf` text. */
    readonly aptSources: string[];
    readonly aptConf: string;
    /** The APT module's primary and security mirrors (`apt: primary/security: [{uri}]`). */
    readonly aptPrimary: string[];
    /** The suites the APT module leaves out of the sources it writes (`apt: disable_suites`). */
    readonly aptDisabledSuites: string[];
    /** The CAs the ca_certs module adds to the system trust store (`ca_certs: trusted`, or `ca-certs`). */
    readonly trustedCas: string[];
    /** Accounts cloud-init creates that administer the VM: SSH keys, a sudo rule, or an admin group (sudo, adm, docker, wheel); "default" for the image's default user given keys. */
    readonly administrators: string[];
}

const shellQuote = (word: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);

/** The parts of cloud-init user-data that run or write something; undefined when it is not #cloud-config. */
export const cloudConfig = memoByText(cloudConfigOf);

function cloudConfigOf(userData: string): CloudConfig | undefined {
    if (!userData.startsWith("#cloud-config")) return undefined;
    let doc: Record<string, any>;
    try {
        doc = parse(userData) ?? {};
    } catch {
        return { commands: [], files: [], passwordSettings: ["(unparseable user-data)"], fstab: [], swapFile: undefined, packages: [], aptSources: [], aptConf: "", aptPrimary: [], aptDisabledSuites: [], trustedCas: [], administrators: [] };
    }
    const entries = [...(Array.isArray(doc.runcmd) ? doc.runcmd : []), ...(Array.isArray(doc.bootcmd) ? doc.bootcmd : [])];
    const commands = entries.map((e: unknown) => (Array.isArray(e) ? e.map((w) => shellQuote(String(w))).join(" ") : String(e)));
    const files = (Array.isArray(doc.write_files) ? doc.write_files : []).map((f: Record<string, any>) => {
        const encoding = String(f.encoding ?? "");
        const raw = String(f.content ?? "");
        const decoded = (): string => {
            if (/^(b64|base64)$/.test(encoding)) return Buffer.from(raw, "base64").toString("utf8");
            if (/^(gz\+b64|gz\+base64|gzip\+b64|gzip\+base64)$/.test(encoding)) return gunzipSync(Buffer.from(raw, "base64")).toString("utf8");
            return raw;
        };
        let content: string;
        try {
            content = decoded();
        } catch {
            content = raw;
        }
        return { path: String(f.path ?? ""), content };
    });
    const PASSWORD_KEYS = ["chpasswd", "password", "passwd", "plain_text_passwd", "hashed_passwd"];
    const passwordSettings = PASSWORD_KEYS.filter((k) => k in doc);
    for (const user of Array.isArray(doc.users) ? doc.users : []) {
        if (user && typeof user === "object") passwordSettings.push(...PASSWORD_KEYS.filter((k) => k in user).map((k) => `users[${user.name ?? "?"}].${k}`));
    }
    const fstab = (Array.isArray(doc.mounts) ? doc.mounts : []).filter(Array.isArray).map((m: unknown[]) => m.map(String).join(" "));
    const swap = doc.swap && typeof doc.swap === "object" ? (doc.swap as Record<string, unknown>) : undefined;
    const swapFile = swap && swap.size !== undefined && swap.size !== null && String(swap.size) !== "0" ? String(swap.filename ?? "/swap.img") : undefined;
    const packages = (Array.isArray(doc.packages) ? doc.packages : []).map((p: unknown) => String(Array.isArray(p) ? p[0] : p).replace(/[=].*$/, ""));
    const apt = doc.apt && typeof doc.apt === "object" ? (doc.apt as Record<string, any>) : {};
    const aptSources = Object.values(apt.sources && typeof apt.sources === "object" ? apt.sources : {}).map((s: any) => String(s?.source ?? "")).filter(Boolean);
    const aptPrimary = ["primary", "security"].flatMap((k) => (Array.isArray(apt[k]) ? apt[k] : [])).map((m: any) => String(m?.uri ?? "")).filter(Boolean);
    const aptDisabledSuites = (Array.isArray(apt.disable_suites) ? apt.disable_suites : []).map(String);
    const caCerts = (doc.ca_certs ?? doc["ca-certs"]) as Record<string, unknown> | undefined;
    const trustedCas = (caCerts && Array.isArray(caCerts.trusted) ? caCerts.trusted : []).map(String);
    const groupsOf = (user: Record<string, unknown>) => (Array.isArray(user.groups) ? user.groups.map(String) : String(user.groups ?? "").split(",")).map((g) => g.trim());
    const administrators = (Array.isArray(doc.users) ? doc.users : [])
        .filter((u: unknown): u is Record<string, unknown> => !!u && typeof u === "object")
        .filter((u) => (Array.isArray(u.ssh_authorized_keys) && u.ssh_authorized_keys.length > 0) || (u.sudo !== undefined && u.sudo !== null && u.sudo !== false) || groupsOf(u).some((g) => /^(sudo|adm|docker|wheel|root)$/.test(g)))
        .map((u) => String(u.name ?? "?"));
    if (Array.isArray(doc.ssh_authorized_keys) && doc.ssh_authorized_keys.length > 0) administrators.push("default");
    return { commands, files, passwordSettings, fstab, swapFile, packages, aptSources, aptConf: typeof apt.conf === "string" ? apt.conf : "", aptPrimary, aptDisabledSuites, trustedCas, administrators };
}

/**
 * Where a script copies its standard input: `install /dev/stdin F`, `tee F`, `dd of=F`, `cat > F`
 * (relative paths kept: a local command's are the workstation's working directory).
 */
export function stdinWriteTargets(script: string): string[] {
    const targets: string[] = [];
    for (const stage of pipelines(script).flatMap((p) => p.stages)) {
        const argv = effectiveCommand(stage).argv;
        const name = commandName(argv);
        const words = argv.slice(1).filter((a) => !a.startsWith("-"));
        if (name === "install" && words.includes("/dev/stdin")) targets.push(words[words.length - 1]);
        if (name === "tee") targets.push(...words);
        if (name === "dd") targets.push(...argv.filter((a) => a.startsWith("of=")).map((a) => a.slice(3)));
        if (name === "cat" && words.length === 0) targets.push(...stage.redirects.filter((r) => r.fd === 1 && r.op.startsWith(">")).map((r) => r.target));
    }
    return targets.filter((t) => !/^\/(dev|proc|run|sys)\//.test(t));
}

/** What printf(1) prints: the format with its conversions filled from the arguments (reused until they run out), escapes decoded. */
export function printfOutput(format: string, args: readonly string[]): string {
    const unescape = (text: string) => text.replace(/\\(n|t|\\|")/g, (_, c: string) => ({ n: "\n", t: "\t", "\\": "\\", '"': '"' })[c]!);
    const conversions = (format.match(/%[-+ #0-9.]*[sdbqiuxXfc]/g) ?? []).length;
    if (conversions === 0) return unescape(format.replace(/%%/g, "%"));
    let out = "";
    let next = 0;
    // printf reuses the format while arguments remain; a pass that takes none ends it (`%%s` is no conversion).
    for (;;) {
        const before = next;
        out += unescape(format.replace(/%%|%[-+ #0-9.]*([sdbqiuxXfc])/g, (m) => (m === "%%" ? "%" : args[next++] ?? "")));
        if (next >= args.length || next === before) return out;
    }
}

/**
 * Files a script writes with the shell: a here-document or here-string into `cat >FILE` or
 * `tee FILE`, `echo`/`printf` redirected to a file or piped into `tee FILE`, `install /dev/stdin FILE`
 * or `dd of=FILE`.
 */
export function filesWrittenBy(script: string): WrittenFile[] {
    const files: WrittenFile[] = [];
    for (const { stages } of pipelines(script)) {
        let piped: string | undefined;
        for (const stage of stages) {
            const { argv } = effectiveCommand(stage);
            const name = commandName(argv);
            const args = argv.slice(1);
            const herestring = stage.redirects.find((r) => r.op === "<<<")?.target;
            let content: string | undefined;
            if (name === "cat" || name === "tee") content = stage.heredoc ?? (herestring !== undefined ? `${herestring}\n` : piped);
            else if (name === "echo") content = `${args.filter((a) => !/^-[neE]+$/.test(a)).join(" ")}\n`;
            else if (name === "printf" && args.length > 0) content = printfOutput(args[0], args.slice(1));
            // `… | install [-m MODE] /dev/stdin FILE` and `… | dd of=FILE` copy what is piped in.
            if ((name === "install" && args.includes("/dev/stdin")) || name === "dd") content = piped;
            const targets = [
                ...stage.redirects.filter((r) => (r.fd === 1 || r.fd === "&") && /^(>|>>|>\|)$/.test(r.op)).map((r) => r.target),
                ...(name === "tee" ? args.filter((a) => !a.startsWith("-")) : []),
                ...(name === "install" && args.includes("/dev/stdin") ? args.slice(-1) : []),
                ...(name === "dd" ? args.filter((a) => a.startsWith("of=")).map((a) => a.slice(3)) : []),
            ].filter((t) => t.startsWith("/") && !t.startsWith("/dev/"));
            if (content !== undefined) for (const path of targets) files.push({ path, content });
            piped = content;
        }
    }
    return files;
}
