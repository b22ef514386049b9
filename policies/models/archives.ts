// What an archive takes and what a restore loads, as Borg and the MySQL client read their command
// lines: `borg create`'s exclusion options and archived paths, and SQL loads that skip failing
// statements (`mysql --force`), also through a shell function that runs the client with its own
// arguments (`sql() { "${exec[@]}" mysql … "$@"; }`).
import { borgSubcommand } from "./borg";
import { effectiveCommand, pipelines } from "./shell";

/** borg create's options that leave files out of the archive (`--exclude`/`-e`, patterns, marker files, caches, nodump). */
const EXCLUDING = /^(--exclude(-from|-if-present|-caches|-nodump)?|--pattern(s-from)?|-e)(=|$)|^-e./;

/**
 * What `borg create` leaves out of an archive: exclusion options (`--exclude PATTERN`, `-e`, `--exclude-from`,
 * `--pattern -…`/`!…`, `--patterns-from`, `--exclude-if-present`, `--exclude-caches`, `--exclude-nodump`).
 * A `--pattern +…` (an inclusion) leaves nothing out.
 */
export function archiveExclusions(script: string): string[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const borg = borgSubcommand(effectiveCommand(stage).argv);
        if (borg?.subcommand !== "create") return [];
        const found: string[] = [];
        for (let i = 0; i < borg.args.length; i++) {
            const a = borg.args[i];
            if (!EXCLUDING.test(a)) continue;
            const takesValue = /^(--exclude|--exclude-from|--exclude-if-present|--pattern|--patterns-from|-e)$/.test(a);
            const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : /^-e./.test(a) ? a.slice(2) : takesValue ? borg.args[++i] ?? "" : "";
            if (/^--pattern/.test(a) && a !== "--patterns-from" && /^\+/.test(value)) continue;
            found.push(`${a.replace(/=.*$/, "")}${value ? ` ${value}` : ""}`);
        }
        return found;
    });
}

/** The paths `borg create` archives: its positional arguments after the archive (`::name` or `repo::name`). */
export function archivedPaths(script: string): string[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const borg = borgSubcommand(effectiveCommand(stage).argv);
        if (borg?.subcommand !== "create") return [];
        const positional: string[] = [];
        for (let i = 0; i < borg.args.length; i++) {
            const a = borg.args[i];
            if (/^(--exclude|--exclude-from|--exclude-if-present|--pattern|--patterns-from|-e|--compression|-C|--comment|--stdin-name|--stdin-user|--stdin-group|--stdin-mode|--chunker-params|--checkpoint-interval|--timestamp|--paths-from-command|--files-cache|--upload-ratelimit|--remote-path|--lock-wait)$/.test(a)) i++;
            else if (!a.startsWith("-")) positional.push(a);
        }
        return positional.slice(1);
    });
}

/** The arguments of a mysql/mariadb client, also behind a prefix held in a variable (`"${exec[@]}" mysql …`). */
function clientArguments(argv: readonly string[]): string[] | undefined {
    const at = argv.findIndex((a) => /^(mysql|mariadb)$/.test(a.slice(a.lastIndexOf("/") + 1)));
    return at >= 0 && argv.slice(0, at).every((a) => /^\$/.test(a)) ? argv.slice(at + 1) : undefined;
}

/** The shell functions a script defines (`name() { … }`, `function name { … }`), with their bodies (braces balanced, `${…}` included). */
function shellFunctions(script: string): [string, string][] {
    const found: [string, string][] = [];
    for (const m of script.matchAll(/(?:^|[\s;])(?:function\s+)?([A-Za-z_][\w-]*)\s*(?:\(\))?\s*\{/g)) {
        if (!/\(\)|function/.test(m[0])) continue;
        let depth = 0;
        const start = m.index! + m[0].length;
        for (let i = start - 1; i < script.length; i++) {
            if (script[i] === "{") depth++;
            else if (script[i] === "}" && --depth === 0) { found.push([m[1], script.slice(start, i)]); break; }
        }
    }
    return found;
}

/** MySQL clients that keep going past a failed statement (`--force`, `-f`, bundled `-vf`): a restore that skips what fails and still ends well. */
export function forcedLoads(script: string): string[] {
    // A shell function that runs the client with its own arguments (`sql() { mysql … "$@"; }`) is the client.
    const wrappers = new Set(shellFunctions(script)
        .filter(([, body]) => pipelines(body).some((p) => p.stages.some((s) => clientArguments(effectiveCommand(s).argv)?.some((a) => /^\$[@*]$|^\$\{[@*]\}$/.test(a)))))
        .map(([name]) => name));
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const argv = effectiveCommand(stage).argv;
        const args = wrappers.has(argv[0] ?? "") ? argv.slice(1) : clientArguments(argv);
        if (!args) return [];
        const force = args.filter((a) => /^--force(=(1|on|true))?$/i.test(a) || (/^-[A-Za-z]*f[A-Za-z]*$/.test(a) && !/^-[A-Za-z]*[pPuhDe]/.test(a)));
        return force.length > 0 ? [`${argv[0]} ${force.join(" ")}`] : [];
    });
}

/** `borg check --repair`: damaged chunks replaced by zero-filled ones and what cannot be rebuilt dropped, the run reported as a success. */
export function repairingChecks(script: string): string[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const borg = borgSubcommand(effectiveCommand(stage).argv);
        return borg?.subcommand === "check" && borg.args.includes("--repair") ? [`borg check ${borg.args.join(" ")}`.trim()] : [];
    });
}

/**
 * Edits that take `--append-only` away from a `borg serve` forced command (a sed substitution whose
 * pattern holds it and whose replacement does not, wherever the script runs, over ssh included): a
 * VM's key may then delete and compact its archives for good.
 */
export function appendOnlyRemoved(script: string): string[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const argv = effectiveCommand(stage).argv;
        if (argv[0]?.replace(/^.*\//, "") !== "sed") return [];
        return argv.slice(1).flatMap((a) => {
            const m = /^s(.)(.*?)\1(.*?)\1[gip0-9]*$/.exec(a);
            return m && /append-only/.test(m[2]) && !/append-only/.test(m[3]) ? [`sed '${a}'`] : [];
        });
    });
}
