// How the program's VM scripts read their flags (components/vm/scripts/common.sh's parse_flags:
// `--some-name V` sets $some_name) and whether an invocation's flags make a script exit early,
// before some later part of it: the guards `[ -z "$v" ] || exit`, `[ -n "$v" ] && exit`,
// `[ "$v" = X ] && exit` and their `if ...; then exit` forms, at the top level, in order.

/** The variables parse_flags sets from an argument list (`--no-systemd yes` -> no_systemd=yes). */
export function flagVariables(args: readonly string[]): Map<string, string> {
    const vars = new Map<string, string>();
    for (let i = 0; i + 1 < args.length; i += 2) if (args[i].startsWith("--")) vars.set(args[i].slice(2).replace(/-/g, "_"), args[i + 1]);
    return vars;
}

const VAR = String.raw`"?\$\{?(\w+)(?::-[^}]*)?\}?"?`;

/** Whether the guard on this line exits, for these variables (unset ones are empty); undefined when the line is no guard the model reads. */
function guardExits(line: string, vars: ReadonlyMap<string, string>): boolean | undefined {
    const value = (name: string) => vars.get(name) ?? "";
    const text = line.trim().replace(/^if\s+(.*?);\s*then\s+(exit\b[^;]*);?\s*fi$/, "$1 && $2");
    let m: RegExpExecArray | null;
    if ((m = new RegExp(String.raw`^\[\[?\s+-z\s+${VAR}\s+\]\]?\s*\|\|\s*exit\b`).exec(text))) return value(m[1]) !== "";
    if ((m = new RegExp(String.raw`^\[\[?\s+-n\s+${VAR}\s+\]\]?\s*&&\s*exit\b`).exec(text))) return value(m[1]) !== "";
    if ((m = new RegExp(String.raw`^\[\[?\s+-z\s+${VAR}\s+\]\]?\s*&&\s*exit\b`).exec(text))) return value(m[1]) === "";
    if ((m = new RegExp(String.raw`^\[\[?\s+${VAR}\s+==?\s+"?([^"\]\s]*)"?\s+\]\]?\s*&&\s*exit\b`).exec(text))) return value(m[1]) === m[2];
    if (/^exit\b/.test(text)) return true;
    return undefined;
}

/**
 * Whether the script, run with `args`, exits before its first line matching `before`, a line of its
 * own or of a here-document it writes (a boot unit's `ExecStart=`). Only unindented guards are read,
 * in order: indented lines belong to functions (usage, die) or to multi-line blocks.
 */
export function exitsBefore(script: string, args: readonly string[], before: RegExp): boolean {
    const vars = flagVariables(args);
    let heredoc: string | undefined;
    for (const line of script.split("\n")) {
        if (heredoc !== undefined) {
            if (before.test(line)) return false; // reached: the here-document is being written
            if (line.trim() === heredoc) heredoc = undefined;
            continue;
        }
        if (before.test(line)) return false;
        // Top level only: indented lines are inside functions (usage, die) or multi-line blocks.
        if (!/^\s/.test(line) && guardExits(line, vars)) return true;
        const start = /<<-?\s*['"]?(\w+)['"]?/.exec(line);
        if (start) heredoc = start[1];
    }
    return false;
}
