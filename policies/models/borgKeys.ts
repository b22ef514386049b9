// What opens a Borg repository, read as Borg reads it (Borg 1.4 docs, "Environment Variables" and
// "borg init"):
// - the passphrase is BORG_PASSPHRASE, else the output of BORG_PASSCOMMAND (split into words, no
//   shell; trailing newlines stripped), else BORG_PASSPHRASE_FD; an empty output is an empty
//   passphrase, which seals the key with nothing;
// - a keyfile-mode repository keeps its key only in BORG_KEYS_DIR on the machine that created it:
//   without `borg key export` to somewhere else, losing that machine loses every archive.
import { commandName, effectiveCommand, pipelines, SimpleCommand, Word } from "./shell";

/** The files BORG_PASSCOMMAND reads (`cat F`, `head … F`, `tr … <F`…), its variables resolved from `env` (literal values). */
export function passphraseFiles(env: readonly { name: string; value: Word }[]): string[] {
    const known = new Map(env.filter((e) => e.value.literal).map((e) => [e.name, e.value.text]));
    const resolve = (text: string) => text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => known.get(name) ?? m);
    return env
        .filter((e) => e.name === "BORG_PASSCOMMAND")
        .flatMap((e) => {
            const words = resolve(e.value.text).trim().split(/\s+/);
            if (!/^(cat|head|tail|tr|sed)$/.test(words[0]?.replace(/^.*\//, "") ?? "")) return [];
            return words.slice(1).map((w) => w.replace(/^<\s*/, "")).filter((w) => w.startsWith("/"));
        });
}

/** Why a passphrase file gives Borg no secret: a device that reads empty or constant. */
export function emptyPassphraseSource(path: string): string | undefined {
    if (/^\/dev\/(null|zero|full)$/.test(path)) return `${path} reads ${path === "/dev/null" ? "nothing" : "the same bytes everywhere"}: the repository key is sealed by an empty or public passphrase`;
    if (/^\/(proc|sys)\//.test(path)) return `${path} is kernel state anyone on the VM reads, not a secret`;
    return undefined;
}

/** Whether a keyfile-mode repository is created (the key then lives only on the VM). */
export const keyfileMode = (mode: string | undefined): boolean => mode !== undefined && /^keyfile(-|$)/.test(mode);

/** The case label a line of `text` runs under (`key-export)`), or undefined when it runs unconditionally. */
function caseLabel(text: string, at: number): string | undefined {
    const before = text.slice(0, at);
    if (!/\bcase\b[\s\S]*\bin\b/.test(before)) return undefined;
    return [...before.matchAll(/^\s*\(?([^\s()#;]+)\)\s*/gm)].at(-1)?.[1];
}

/**
 * Whether `script` exports a repository key when it runs: `borg key export` itself, or a script it
 * runs (inline with `bash -c`, or installed and called by name) whose case branch for the action it
 * is given runs it (`elabftw-backup.sh key-export`). A branch for another action does not count.
 */
export function exportsKey(script: string, installed: ReadonlyMap<string, string>): boolean {
    const exports = (text: string) => [...text.matchAll(/borg(backup)?\s+key\s+export\b/g)].map((m) => caseLabel(text, m.index!));
    if (exports(script).some((label) => label === undefined)) return true;
    return pipelines(script).some((p) => p.stages.some((stage) => {
        const argv = effectiveCommand(stage).argv;
        const inline = argv.findIndex((_, i) => i > 0 && argv[i - 1] === "-c");
        const names = new Set(argv.map((w) => w.slice(w.lastIndexOf("/") + 1)));
        const body = inline > 0 ? argv[inline] : [...installed].find(([path]) => names.has(path.slice(path.lastIndexOf("/") + 1)))?.[1];
        if (!body) return false;
        const words = argv.filter((_, i) => i !== inline);
        return exports(body).some((label) => label === undefined || label.split("|").some((l) => l === "*" || words.includes(l)));
    }));
}

/**
 * Where `borg key change-passphrase` (also `borgbackup`, Borg 1.0's `borg change-passphrase`) takes
 * the new passphrase from: the file its BORG_NEW_PASSPHRASE reads (`$(cat FILE)`, FILE as written,
 * variables unresolved), "" when it is another value (generated, typed, a literal), undefined when
 * the command does not change the passphrase.
 */
export function newPassphraseSource(stage: SimpleCommand): string | undefined {
    const { env, argv } = effectiveCommand(stage);
    if (!/^borg(backup)?$/.test(commandName(argv))) return undefined;
    const words = argv.slice(1).filter((a) => !a.startsWith("-"));
    if (!((words[0] === "key" && words[1] === "change-passphrase") || words[0] === "change-passphrase")) return undefined;
    return /^\$\(\s*cat\s+"?([^"\s)]+)"?\s*\)$/.exec(env.get("BORG_NEW_PASSPHRASE")?.text.trim() ?? "")?.[1] ?? "";
}
