// Ways a secret leaves the place it is kept, read as the software that moves it reads the text:
// - the shell expands an environment variable into the argument list of the process it starts, which
//   every local account reads (ps, /proc/<pid>/cmdline); builtins start no process;
// - ssh sends the variables its SendEnv patterns match (ssh_config(5): wildcards, every line adds),
//   sshd keeps those its AcceptEnv patterns match (sshd_config(5), the same): the session's processes
//   on the VM, root's first, then read them;
// - `docker commit` turns a container, its environment in the image config and its writable layer,
//   into an image (which `docker push` then publishes); `docker export` writes out its filesystem;
// - `docker inspect` prints a container's configuration, its environment included, unless its
//   --format selects fields that hold none; `docker exec … env` prints the environment too;
// - `ssh HOST cat FILE > local` copies a file of the VM onto the workstation.
import { commandName, effectiveCommand, pipelines } from "./shell";
import { isSecretName } from "./secrets";
import { BUILTINS, SECRET_FILE } from "./secretScan";

/** Environment variables the workstation, CI runner or VMs hold secrets in, to try patterns against. */
const SECRET_VARIABLES = ["PULUMI_CONFIG_PASSPHRASE", "PROXMOX_VE_API_TOKEN", "PROXMOX_VE_PASSWORD", "AWS_SECRET_ACCESS_KEY", "BORG_PASSPHRASE", "MYSQL_PWD", "DB_PASSWORD", "SECRET_KEY", "GITHUB_TOKEN"];

/** The variables some script or environment file assigns a path to (`BACKUP_SSH_KEY=/srv/…`): references, not secrets. */
export function pathVariables(scripts: readonly string[]): Set<string> {
    const names = new Set<string>();
    for (const script of scripts) {
        for (const stage of pipelines(script).flatMap((p) => p.stages)) {
            for (const { name, value } of stage.assigns) if (value.text.startsWith("/")) names.add(name);
            const argv = effectiveCommand(stage).argv;
            if (/^(export|readonly|declare|local)$/.test(commandName(argv))) for (const a of argv.slice(1)) if (/^[A-Za-z_][A-Za-z0-9_]*=\//.test(a)) names.add(a.slice(0, a.indexOf("=")));
        }
    }
    return names;
}

/**
 * Variables named for a secret (upper-case: the environment's) expanded into an external command's
 * arguments; `paths` names those known to hold a file's path instead.
 */
export function envSecretArguments(script: string, paths: ReadonlySet<string> = new Set()): string[] {
    const found: string[] = [];
    for (const stage of pipelines(script).flatMap((p) => p.stages)) {
        const argv = effectiveCommand(stage).argv;
        const tool = commandName(argv);
        if (argv.length === 0 || BUILTINS.test(tool)) continue;
        const shellScript = /^(ba|da|z|k)?sh$/.test(tool) ? argv.indexOf("-c") + 1 : 0;
        for (const [i, word] of argv.entries()) {
            if (i === 0 || (shellScript > 0 && i === shellScript)) continue;
            for (const m of word.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g)) if (isSecretName(m[1]) && !paths.has(m[1])) found.push(`${tool} … $${m[1]}`);
        }
    }
    return [...new Set(found)];
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);

/** The environment patterns (SendEnv, AcceptEnv values) that let a secret variable through, each with what it matches. */
export function secretPassingPatterns(patterns: readonly string[]): string[] {
    return patterns
        .flatMap((value) => value.split(/\s+/))
        .filter((p) => p !== "" && !p.startsWith("-"))
        .map((p) => [p, SECRET_VARIABLES.filter((v) => globToRegExp(p).test(v))] as const)
        .filter(([p, names]) => names.length > 0 || isSecretName(p.replace(/[*?]/g, "")))
        .map(([p, names]) => `${p}${names.length ? ` (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""})` : ""}`);
}

/** Every value of a keyword in ssh or sshd configuration texts (global part), for the keywords that add up. */
export function accumulatedValues(texts: readonly string[], keyword: string): string[] {
    const values: string[] = [];
    for (const text of texts) {
        for (const raw of text.split("\n")) {
            const line = raw.replace(/#.*$/, "").trim();
            if (/^match\s/i.test(line)) break;
            const m = /^(\w+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
            if (m && m[1].toLowerCase() === keyword.toLowerCase()) values.push(m[2].trim());
        }
    }
    return values;
}

/** The `-o SendEnv=…` / `-o SetEnv=…` values of an ssh argument list (or a list of ssh options). */
export function sshSentEnvironment(words: readonly string[]): { sendEnv: string[]; setEnv: string[] } {
    const options = words.flatMap((w, i) => (w === "-o" ? [words[i + 1] ?? ""] : w.startsWith("-o") && w.length > 2 ? [w.slice(2)] : []));
    const pick = (name: string) => options.map((o) => new RegExp(`^${name}\\s*[= ]\\s*(.*)$`, "i").exec(o)?.[1]).filter((v): v is string => v !== undefined);
    return { sendEnv: pick("SendEnv"), setEnv: pick("SetEnv") };
}

/** A docker command that turns a running container, its environment and files, into something that can leave (an image, a tar). */
export function imageExport(argv: readonly string[]): string | undefined {
    if (commandName(argv) !== "docker") return undefined;
    const words = argv.slice(1).filter((a) => !a.startsWith("-"));
    const verb = /^(container|image)$/.test(words[0] ?? "") ? words[1] : words[0];
    if (verb === "commit") return "docker commit (the container's environment, DB_PASSWORD and SECRET_KEY, lands in the image's config, its writable layer in the image)";
    if (verb === "export") return "docker export (the container's filesystem, its writable layer with the sessions and work files, written out)";
    return undefined;
}

/** A docker command that prints a container's environment. */
export function environmentPrint(argv: readonly string[]): string | undefined {
    if (commandName(argv) !== "docker") return undefined;
    const words = argv.slice(1);
    const verbAt = words.findIndex((w) => !w.startsWith("-"));
    const verb = words[verbAt] === "container" ? words[verbAt + 1] : words[verbAt];
    if (verb === "inspect") {
        const formatAt = words.findIndex((w) => w === "--format" || w === "-f" || /^--format=/.test(w));
        const format = formatAt < 0 ? undefined : words[formatAt].startsWith("--format=") ? words[formatAt].slice(9) : words[formatAt + 1];
        if (format === undefined || /\.Config\.Env|\{\{\s*(json\s+)?\.(Config)?\s*\}\}|\{\{\s*json\s+\.\s*\}\}/.test(format)) return `docker inspect${format ? ` --format '${format}'` : ""} (prints the container's environment)`;
    }
    if (verb === "exec" && words.slice(verbAt + 1).some((w) => /^(env|printenv)$/.test(w))) return "docker exec … env (prints the container's environment)";
    return undefined;
}

/** A secret file by its name, or one of the SSH host private keys. */
const isSecretFile = (path: string) => SECRET_FILE.test(path.slice(path.lastIndexOf("/") + 1)) || /\/ssh_host_[a-z0-9]+_key$/.test(path);

/** An ssh stage that reads a secret file on the remote host, its output kept in a local file. */
export function remoteSecretCopies(script: string): string[] {
    const found: string[] = [];
    for (const { stages } of pipelines(script)) {
        const at = stages.findIndex((s) => /^(ssh|scp)$/.test(commandName(effectiveCommand(s).argv)));
        if (at < 0) continue;
        const argv = effectiveCommand(stages[at]).argv;
        const secretPath = argv.slice(1).flatMap((a) => a.split(/\s+/)).map((a) => a.replace(/^[^:/]*:(?=\/)/, "")).find((a) => a.startsWith("/") && isSecretFile(a));
        if (!secretPath) continue;
        const kept = commandName(argv) === "scp" || stages.slice(at).some((s) => s.redirects.some((r) => (r.fd === 1 || r.fd === "&") && r.op.startsWith(">") && !/^\/dev\/null$/.test(r.target)) || commandName(effectiveCommand(s).argv) === "tee");
        if (kept) found.push(`${commandName(argv)} … ${secretPath}`);
    }
    return found;
}

/** Whether a path holds the VM's SSH host private keys (/etc/ssh/ssh_host_*_key, or a folder above them). */
const holdsHostKeys = (path: string) => /^\/etc\/?$|^\/etc\/ssh\/?$|^\/etc\/ssh\/ssh_host_[a-z0-9]+_key$|^\/$/.test(path.replace(/\/\*$/, ""));

/**
 * How the VM's SSH host private keys leave it: etckeeper pushing /etc's repository (PUSH_REMOTE in
 * etckeeper.conf, after every commit), `git push` from /etc, or a copy of /etc or /etc/ssh to
 * another host (rsync, scp, tar into ssh or curl). Whoever holds that copy answers as the VM.
 */
export function hostKeyExports(script: string, etckeeperConf?: string): string[] {
    const found: string[] = [];
    const remote = etckeeperConf && /^\s*PUSH_REMOTE\s*=\s*["']?([^"'\s#]+)/m.exec(etckeeperConf)?.[1];
    if (remote) found.push(`etckeeper's PUSH_REMOTE="${remote}" (every commit of /etc pushed)`);
    for (const { stages } of pipelines(script)) {
        for (const [i, stage] of stages.entries()) {
            const argv = effectiveCommand(stage).argv;
            const name = commandName(argv);
            const words = argv.slice(1).filter((a) => !a.startsWith("-"));
            if (name === "git" && argv.some((a, k) => argv[k - 1] === "-C" && holdsHostKeys(a)) && words.includes("push")) found.push(argv.join(" "));
            if (/^(rsync|scp)$/.test(name) && words.some(holdsHostKeys) && words.some((w) => /^[^/]*:/.test(w))) found.push(argv.join(" "));
            if (name === "tar" && words.some(holdsHostKeys) && stages.slice(i + 1).some((s) => /^(ssh|curl|nc|socat)$/.test(commandName(effectiveCommand(s).argv)))) found.push(stages.map((s) => effectiveCommand(s).argv.join(" ")).join(" | "));
        }
    }
    return found;
}
