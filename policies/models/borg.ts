// Borg and the MySQL dump tools as they read their command lines and environment:
// - `borg init` (1.x), `borg rcreate` and `borg repo-create` (2.x) take their mode from
//   `--encryption=M`, `--encryption M`, `-e M` or `-eM` (argparse: the last one wins); only the
//   repokey and keyfile families encrypt (`none` and `authenticated*` do not);
// - BORG_PASSPHRASE or BORG_NEW_PASSPHRASE set to "" makes Borg use an empty passphrase, so the
//   repokey in the repository opens for anyone; BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK set to
//   one of Borg's yes answers (y Y yes Yes YES 1) lets it write into an unencrypted repository;
// - mysqldump, mariadb-dump and mysqlpump write where their standard output goes, or to
//   `--result-file`/`-r` (my_getopt: `-rFILE`, `-r FILE`, bundled after flags), or one file per
//   table with `--tab`/`-T`: a dump stays encrypted only when its output goes straight into
//   `borg create`.
import { commandName, effectiveCommand, pipelines, SimpleCommand, Word } from "./shell";

const DUMP_TOOLS = new Set(["mysqldump", "mariadb-dump", "mariadbdump", "mysqlpump"]);
const REPOSITORY_CREATION = new Set(["init", "rcreate", "repo-create"]);
const BORG_YES = new Set(["y", "Y", "yes", "Yes", "YES", "1"]);
/** Borg's global options that take a value (they may come before the subcommand). */
const BORG_GLOBAL_WITH_VALUE = new Set(["--remote-path", "--upload-ratelimit", "--upload-buffer", "--lock-wait", "--umask", "--debug-topic", "--repo", "-r"]);

export const encryptingMode = (mode: string | undefined): boolean => mode !== undefined && /^(repokey|keyfile)(-|$)/.test(mode);

/** The subcommand and its arguments of a borg command line, past borg's global options. */
export function borgSubcommand(argv: readonly string[]): { subcommand: string; args: string[] } | undefined {
    if (!/^borg(backup)?$/.test(commandName(argv))) return undefined;
    let n = 1;
    while (n < argv.length && argv[n].startsWith("-")) n += BORG_GLOBAL_WITH_VALUE.has(argv[n]) ? 2 : 1;
    return n < argv.length ? { subcommand: argv[n], args: argv.slice(n + 1) } : undefined;
}

export interface RepositoryCreation {
    readonly command: string;
    /** The mode Borg uses (the last one given), or undefined when none is (Borg then refuses to run). */
    readonly encryption: string | undefined;
}

function encryptionOption(args: readonly string[]): string | undefined {
    let mode: string | undefined;
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--") break;
        if (a === "--encryption" || a === "-e") mode = args[++i];
        else if (a.startsWith("--encryption=")) mode = a.slice("--encryption=".length);
        else if (/^-e./.test(a)) mode = a.slice(2);
    }
    return mode;
}

/** Every Borg repository creation a script runs. */
export function repositoryCreations(script: string): RepositoryCreation[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const { argv } = effectiveCommand(stage);
        const borg = borgSubcommand(argv);
        return borg && REPOSITORY_CREATION.has(borg.subcommand) ? [{ command: `borg ${borg.subcommand}`, encryption: encryptionOption(borg.args) }] : [];
    });
}

/** Environment assignments a script makes: before a command, standalone, or with export/declare -x/env. */
export function assignments(script: string): { name: string; value: Word }[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const { env, argv } = effectiveCommand(stage);
        const exported = /^(export|declare|typeset|readonly|local)$/.test(commandName(argv))
            ? argv.slice(1).filter((a) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)).map((a) => ({ name: a.slice(0, a.indexOf("=")), value: { text: a.slice(a.indexOf("=") + 1), literal: true } }))
            : [];
        return [...[...env].map(([name, value]) => ({ name, value })), ...exported];
    });
}

/** What the Borg variables among `env` do to the backups: their encryption, their locks, their repairs. */
export function borgEnvironmentProblems(env: readonly { name: string; value: Word }[]): string[] {
    const problems: string[] = [];
    for (const { name, value } of env) {
        if ((name === "BORG_PASSPHRASE" || name === "BORG_NEW_PASSPHRASE") && value.literal && value.text === "") problems.push(`sets ${name} to an empty passphrase (the repository key then opens without one)`);
        if (name === "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK" && value.literal && BORG_YES.has(value.text)) problems.push(`sets ${name}=${value.text} (Borg then writes into an unencrypted repository without asking)`);
        // "no": Borg never removes a stale lock by itself, so one run cut short stops every later one.
        if (name === "BORG_HOSTNAME_IS_UNIQUE" && value.literal && !BORG_YES.has(value.text)) problems.push(`sets ${name}=${value.text} (Borg then never removes a stale lock: after one run cut short, by a reboot or an OOM kill, every nightly backup fails until someone breaks the lock)`);
        if (name === "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING" && value.literal && BORG_YES.has(value.text)) problems.push(`sets ${name}=${value.text} (borg check --repair then runs without asking, replacing damaged data by zeros)`);
    }
    return problems;
}

/** Where a dump tool's own options write the dump: --result-file/-r, or per-table files with --tab/-T. */
function dumpFileOption(args: readonly string[]): string | undefined {
    const REQUIRES_VALUE = "hPSruwTWe";
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        const long = /^--(result-file|tab)(=(.*))?$/.exec(a);
        if (long) return `--${long[1]} ${long[3] ?? args[i + 1] ?? ""}`;
        if (!/^-[A-Za-z]/.test(a)) continue;
        // Bundled short options: a flag's letters, until one that takes the rest as its value.
        for (let k = 1; k < a.length; k++) {
            const letter = a[k];
            if (letter === "p") break; // -p[password]: the rest is the password
            if (REQUIRES_VALUE.includes(letter)) {
                const value = a.slice(k + 1) || args[i + 1] || "";
                if (letter === "r" || letter === "T") return `-${letter} ${value}`;
                if (!a.slice(k + 1)) i++;
                break;
            }
        }
    }
    return undefined;
}

const writesStdout = (stage: SimpleCommand) => stage.redirects.filter((r) => (r.fd === 1 || r.fd === "&") && /^(>|>>|>\||>&)$/.test(r.op) && r.target !== "/dev/null");

/** Where a dump stage's output goes, when that is not straight into `borg create`. */
function stageLeak(stage: SimpleCommand, next: SimpleCommand | undefined): string | undefined {
    const words = stage.words.map((w) => w.text);
    const at = words.findIndex((w) => DUMP_TOOLS.has(w.slice(w.lastIndexOf("/") + 1)));
    if (at < 0) return undefined;
    const tool = words[at].slice(words[at].lastIndexOf("/") + 1);
    const args = words.slice(at + 1);
    if (args.some((a) => /^(-V|--version|-\?|--help)$/.test(a))) return undefined;
    // borg create --content-from-command ... -- mysqldump ...: Borg itself reads the dump's output.
    if (words.slice(0, at).includes("--content-from-command") && words.slice(0, at).includes("create")) return undefined;
    const file = dumpFileOption(args);
    if (file) return `${tool} writes its dump with ${file}`;
    const redirect = writesStdout(stage)[0];
    if (redirect) return `${tool}'s output is redirected (${redirect.op}${redirect.target})`;
    if (!next) return `${tool}'s output goes to the standard output of its caller (a log, a terminal or Pulumi's state)`;
    const borg = borgSubcommand(effectiveCommand(next).argv);
    return borg?.subcommand === "create" ? undefined : `${tool}'s output is piped into ${effectiveCommand(next).argv.slice(0, 2).join(" ")}, not into borg create`;
}

const MYSQL_CLIENTS = /^(mysql|mariadb)$/;

/**
 * The restore path: `borg extract --stdout` writes the archived dump to its standard output. Read by
 * the mysql client it stays in memory; written to a file on the way (a redirect, `tee FILE`, a
 * decompressor redirected) it is a plaintext copy of the database outside the repository.
 */
function extractLeak(stages: readonly SimpleCommand[], index: number): string | undefined {
    const borg = borgSubcommand(effectiveCommand(stages[index]).argv);
    if (borg?.subcommand !== "extract" || !borg.args.includes("--stdout")) return undefined;
    for (const stage of stages.slice(index)) {
        const argv = effectiveCommand(stage).argv;
        const name = commandName(argv);
        if (MYSQL_CLIENTS.test(name)) return undefined;
        const redirect = writesStdout(stage)[0];
        if (redirect) return `borg extract --stdout's output is written to ${redirect.target} (${name})`;
        const teeFiles = name === "tee" ? argv.slice(1).filter((a) => !a.startsWith("-") && !/^\/dev\/(null|stdout|stderr)$/.test(a)) : [];
        if (teeFiles.length > 0) return `borg extract --stdout's output is copied to ${teeFiles.join(", ")} by tee`;
    }
    return undefined;
}

/** Each dump in a script whose output is not streamed straight into `borg create` (or, restored, straight into mysql), with where it goes. */
export function dumpLeaks(script: string): string[] {
    const leaks: string[] = [];
    for (const { stages } of pipelines(script)) {
        stages.forEach((stage, index) => {
            const leak = stageLeak(stage, stages[index + 1]) ?? extractLeak(stages, index);
            if (leak) leaks.push(leak);
        });
    }
    return leaks;
}

/**
 * Dumps that hold no rows: mysqldump's `--no-data` or `-d` (my_getopt's booleans: `--no-data=0|1|ON|OFF`,
 * `--skip-no-data`; the last occurrence wins). The archive then restores an empty database.
 */
export function rowlessDumps(script: string): string[] {
    return dumpInvocations(script).flatMap(({ tool, args }) => {
        let noData: string | undefined;
        for (const a of args) {
            const m = /^--(skip-)?no[-_]data(?:=(.*))?$/.exec(a);
            if (a === "-d") noData = a;
            else if (m) noData = m[1] || /^(0|off|false)$/i.test(m[2] ?? "1") ? undefined : a;
        }
        return noData ? [`${tool} ${noData}`] : [];
    });
}

/** Each dump tool a script runs (mysqldump, mariadb-dump...), with the words after it. */
function dumpInvocations(script: string): { tool: string; args: string[] }[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const words = stage.words.map((w) => w.text);
        const at = words.findIndex((w) => DUMP_TOOLS.has(w.slice(w.lastIndexOf("/") + 1)));
        return at < 0 ? [] : [{ tool: words[at].slice(words[at].lastIndexOf("/") + 1), args: words.slice(at + 1) }];
    });
}

/**
 * Dumps that leave part of the database out: `--ignore-table[=]DB.T` and `--ignore-table-data` (a
 * table, or its rows, skipped), `--where`/`-w` (only the rows a condition selects). The archive then
 * restores a database that lacks them (the entries' revisions, say) and nothing reports it.
 */
export function partialDumps(script: string): string[] {
    return dumpInvocations(script).flatMap(({ args }) =>
        args.flatMap((a, i) => {
            const long = /^--(ignore[-_]table(?:[-_]data)?|where)(?:=(.*))?$/.exec(a);
            if (long) return [`--${long[1]} ${long[2] ?? args[i + 1] ?? ""}`.trim()];
            return /^-w/.test(a) ? [`-w ${a.slice(2) || args[i + 1] || ""}`.trim()] : [];
        }),
    );
}

/**
 * Dumps whose output restores only into the database it came from, or not consistently: `--databases`/`-B`
 * and `--all-databases`/`-A` write `CREATE DATABASE` and `USE db` (a restore or a drill into a scratch
 * database writes into the live one instead), and `--skip-lock-tables` (or `--lock-tables=0`) without
 * `--single-transaction` reads each table at a different moment (the last occurrence of each wins).
 */
export function unrestorableDumps(script: string): string[] {
    return dumpInvocations(script).flatMap(({ tool, args }) => {
        const found: string[] = [];
        const named = args.filter((a) => /^(--databases|--all-databases|-A|-B)$/.test(a));
        if (named.length > 0) found.push(`${tool} ${named.join(" ")} names the database in the dump (CREATE DATABASE, USE): a restore into another database writes into the live one`);
        let single = false;
        let lock = true;
        for (const a of args) {
            const m = /^--(skip-)?(single[-_]transaction|lock[-_]tables)(?:=(.*))?$/.exec(a);
            const value = m ? !m[1] && !/^(0|off|false)$/i.test(m[3] ?? "1") : undefined;
            if (m && /^single/.test(m[2])) single = value!;
            else if (m) lock = value!;
        }
        if (!single && !lock) found.push(`${tool} runs with neither --single-transaction nor table locks: each table is read at a different moment, an inconsistent database`);
        // The "-- Dump completed" trailer is the one mark of a whole dump in the stream; --compact implies --skip-comments.
        const comments = args.filter((a) => /^--(compact|skip-comments|comments=(0|off|false))$/i.test(a));
        // mysqldump converts every text column to --default-character-set on the way out (the last one
        // given wins; utf8mb4 is its default): any narrower set writes '?' for what it cannot hold.
        const charset = args.map((a, i) => /^--default[-_]character[-_]set(?:=(.*))?$/.exec(a)?.[1] ?? (/^--default[-_]character[-_]set$/.test(a) ? args[i + 1] : undefined)).filter((c): c is string => c !== undefined).at(-1);
        if (charset !== undefined && !/^utf8mb4$/i.test(charset)) found.push(`${tool} --default-character-set=${charset} converts the text to ${charset}: every character it cannot hold is written as '?' in every archive, and a restore brings the damaged text back`);
        if (args.some((a) => /^--(skip-set-charset|set-charset=(0|off|false))$/i.test(a))) found.push(`${tool} --skip-set-charset leaves SET NAMES out of the dump: a restore reads the bytes in the client's character set and can store them garbled`);
        if (comments.length > 0) found.push(`${tool} ${comments.join(" ")} leaves out the "-- Dump completed" trailer: a whole dump cannot be told from one cut short, and the restore refuses every archive`);
        return found;
    });
}

/**
 * Dumps piped into `borg create` while bash's pipefail is off: the pipeline's status is then Borg's,
 * so a dump that failed half-way ends in a "successful" archive of a truncated dump. pipefail as
 * `set` sets it, in script order (`set -o pipefail`, `set -euo pipefail`, `set +o pipefail`);
 * a script that reads PIPESTATUS checks the stages itself.
 */
export function unguardedDumps(script: string): string[] {
    if (/\bPIPESTATUS\b/.test(script)) return [];
    const found: string[] = [];
    let pipefail = false;
    for (const { stages } of pipelines(script)) {
        const argv = stages.length === 1 ? effectiveCommand(stages[0]).argv : [];
        if (argv[0] === "set") {
            for (let i = 1; i < argv.length; i++) {
                if (/^[-+][a-zA-Z]*o$/.test(argv[i]) && argv[i + 1] === "pipefail") pipefail = argv[i].startsWith("-");
            }
            continue;
        }
        const dump = stages.findIndex((stage) => stage.words.some((w) => DUMP_TOOLS.has(w.text.slice(w.text.lastIndexOf("/") + 1))));
        if (dump >= 0 && dump < stages.length - 1 && borgSubcommand(effectiveCommand(stages[stages.length - 1]).argv)?.subcommand === "create" && !pipefail) {
            const words = stages[dump].words.map((w) => w.text);
            found.push(words.find((w) => DUMP_TOOLS.has(w.slice(w.lastIndexOf("/") + 1)))!);
        }
    }
    return found;
}

/** A script runs Borg (any subcommand reads and writes Borg's own directories). */
export const runsBorg = (script: string): boolean => pipelines(script).some((p) => p.stages.some((s) => /^borg(backup)?$/.test(commandName(effectiveCommand(s).argv))));

/**
 * Where Borg keeps its own files, from its environment (Borg 1.2 helpers/fs.py; Borg 2 the same on
 * Linux): BORG_BASE_DIR (default $HOME), the cache (chunk index, file lists: BORG_CACHE_DIR, else
 * $XDG_CACHE_HOME/borg, else base/.cache/borg), the config (BORG_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/borg, else base/.config/borg), the keys (BORG_KEYS_DIR, else config/keys) and the
 * security directory (BORG_SECURITY_DIR, else config/security).
 */
export function borgDirectories(env: Readonly<Record<string, string>>, home: string): { what: string; path: string }[] {
    const set = (name: string) => (env[name] ? env[name] : undefined);
    const base = set("BORG_BASE_DIR") ?? set("HOME") ?? home;
    const config = set("BORG_CONFIG_DIR") ?? `${set("XDG_CONFIG_HOME") ?? `${base}/.config`}/borg`;
    return [
        { what: "its cache (chunk index and file lists)", path: set("BORG_CACHE_DIR") ?? `${set("XDG_CACHE_HOME") ?? `${base}/.cache`}/borg` },
        { what: "its configuration", path: config },
        { what: "its key files", path: set("BORG_KEYS_DIR") ?? `${config}/keys` },
        { what: "its security directory", path: set("BORG_SECURITY_DIR") ?? `${config}/security` },
    ];
}
