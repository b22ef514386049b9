// Every place the program writes something a machine will run, as shell text with where it comes
// from: remote and local commands (create, update, delete, and their stdin when they run a shell that
// reads its script there), files installed with install-file.sh (scripts, units, cron files,
// environment files; other files are data and may hold secrets), files a script writes itself (a
// here-document into `cat >FILE`, `echo ... >FILE`), each VM's cloud-init user-data (runcmd, bootcmd,
// write_files, or a user-data that is itself a script), and containers' commands and health checks.
// Units and cron files are turned into the shell commands systemd and cron run, their environment
// into `export` lines.
import { PolicyResource } from "@pulumi/policy";
import { cloudConfig, cronText, filesWrittenBy, isCronWithUserField, kindOfPath, TextKind, unitText } from "../models/programText";
import { memoByObject } from "../models/memo";
import { commandName, effectiveCommand, pipelines } from "../models/shell";
import { commandHost, dockerHostAddress, knownOrUndefined, ofType, TYPES, vmAddress } from "./common";

export interface DeployedScript {
    readonly resource: PolicyResource;
    /** The VM that runs it (its address), when known. */
    readonly host: string | undefined;
    /** Where it is written, for messages: "its create command", "/etc/cron.d/x", "cloud-init runcmd". */
    readonly where: string;
    /** Run by Pulumi as a remote command (as opposed to installed for later). */
    readonly runByPulumi: boolean;
    readonly script: string;
}

const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

function asShell(kind: TextKind, path: string, content: string): string | undefined {
    if (kind === "shell" || kind === "env") return content;
    if (kind === "unit") {
        const unit = unitText(content);
        return [...unit.commands, ...unit.environment.map((e) => `export ${quote(e)}`)].join("\n");
    }
    if (kind === "cron") {
        const cron = cronText(content, isCronWithUserField(path));
        return [...cron.commands, ...cron.environment.map((e) => `export ${quote(e)}`)].join("\n");
    }
    return undefined;
}

/** The file a command installs with install-file.sh, if it does. */
export function installedPath(command: PolicyResource): string | undefined {
    return /install-file\.sh'? --path (\S+) /.exec(String(command.props.create ?? ""))?.[1];
}

/** The VM whose cloud-init reads this snippet: the VM depends on it (its file id is unknown in a preview). */
export function snippetHost(snippet: PolicyResource, resources: readonly PolicyResource[]): string | undefined {
    const vm = ofType(resources, TYPES.vm).find((v) => v.dependencies.some((d) => d.urn === snippet.urn));
    return vm ? vmAddress(vm) : undefined;
}

/** A script whose last command is a shell with no script of its own reads its script from stdin (`bash -s`, `sudo sh`). */
function runsStdin(script: string): boolean {
    const last = pipelines(script).at(-1)?.stages.at(-1);
    const argv = last ? effectiveCommand(last).argv : [];
    return /^(ba|da|z|k)?sh$/.test(commandName(argv)) && !argv.slice(1).some((a) => !a.startsWith("-") || a === "-c");
}

const shellWords = (words: readonly unknown[]) => words.map((w) => quote(String(w))).join(" ");

/** Every policy reads the same scripts: parsed once per evaluated stack (the resources array). Callers must not mutate the result. */
export const deployedScripts = memoByObject(deployedScriptsOf);

function deployedScriptsOf(resources: readonly PolicyResource[]): DeployedScript[] {
    const scripts: DeployedScript[] = [];
    // A script's own files: what it writes that a machine will run in turn (one level down, and theirs).
    const push = (entry: DeployedScript, depth = 0) => {
        scripts.push(entry);
        if (depth > 2) return;
        for (const file of filesWrittenBy(entry.script)) {
            const script = asShell(kindOfPath(file.path, file.content), file.path, file.content);
            if (script !== undefined) push({ ...entry, where: `${file.path} (written by ${entry.where})`, runByPulumi: false, script }, depth + 1);
        }
    };
    for (const c of [...ofType(resources, TYPES.command), ...ofType(resources, TYPES.localCommand)]) {
        const host: string | undefined = c.type === TYPES.command ? commandHost(c) : "the workstation";
        const stdin = knownOrUndefined(() => c.props.stdin);
        for (const field of ["create", "update", "delete"]) {
            if (typeof c.props[field] !== "string") continue;
            push({ resource: c, host, where: `its ${field} command`, runByPulumi: true, script: c.props[field] });
            if (typeof stdin === "string" && runsStdin(c.props[field])) push({ resource: c, host, where: `the script its ${field} command reads on stdin`, runByPulumi: true, script: stdin });
        }
        const path = installedPath(c);
        const kind = path && typeof stdin === "string" ? kindOfPath(path, stdin) : "data";
        // Only code is read: the content of data files is often a secret (unknown in a preview).
        if (path && kind !== "data" && typeof stdin === "string") {
            const script = asShell(kind, path, stdin);
            if (script !== undefined) push({ resource: c, host, where: path, runByPulumi: false, script });
        }
    }
    for (const snippet of ofType(resources, TYPES.snippet)) {
        const data = String(snippet.props.sourceRaw?.data ?? "");
        const host = snippetHost(snippet, resources);
        if (kindOfPath("", data) === "shell") push({ resource: snippet, host, where: "cloud-init user-data script", runByPulumi: false, script: data });
        const config = cloudConfig(data);
        if (!config) continue;
        if (config.commands.length > 0) push({ resource: snippet, host, where: "cloud-init runcmd/bootcmd", runByPulumi: false, script: config.commands.join("\n") });
        for (const file of config.files) {
            const script = asShell(kindOfPath(file.path, file.content), file.path, file.content);
            if (script !== undefined) push({ resource: snippet, host, where: `cloud-init write_files ${file.path}`, runByPulumi: false, script });
        }
    }
    for (const container of ofType(resources, TYPES.container)) {
        const host = dockerHostAddress(container);
        const argv = [...(knownOrUndefined(() => container.props.entrypoint) ?? []), ...(knownOrUndefined(() => container.props.command) ?? [])];
        if (argv.length > 0) push({ resource: container, host, where: "its command", runByPulumi: false, script: shellWords(argv) });
        const test: unknown[] = knownOrUndefined(() => container.props.healthcheck?.tests) ?? [];
        if (test[0] === "CMD-SHELL") push({ resource: container, host, where: "its health check", runByPulumi: false, script: String(test[1] ?? "") });
        else if (test[0] === "CMD") push({ resource: container, host, where: "its health check", runByPulumi: false, script: shellWords(test.slice(1)) });
    }
    return scripts;
}

/** The command lines (argv) of every script the deployment runs or installs on the host at `address`. */
export function commandLinesOn(address: string | undefined, resources: readonly PolicyResource[]): string[][] {
    return deployedScripts(resources).filter((d) => d.host === address).flatMap((d) => pipelines(d.script).flatMap((p) => p.stages).map((stage) => effectiveCommand(stage).argv));
}

/** The files a VM's cloud-init writes (write_files), by path. */
export function cloudInitFiles(vm: PolicyResource, resources: readonly PolicyResource[]): Map<string, string> {
    const files = new Map<string, string>();
    for (const snippet of ofType(resources, TYPES.snippet)) {
        if (snippetHost(snippet, resources) !== vmAddress(vm)) continue;
        for (const file of cloudConfig(String(snippet.props.sourceRaw?.data ?? ""))?.files ?? []) files.set(file.path, file.content);
    }
    return files;
}

/** The packages a VM's cloud-init installs. */
export function cloudInitPackages(vm: PolicyResource, resources: readonly PolicyResource[]): string[] {
    return ofType(resources, TYPES.snippet)
        .filter((s) => snippetHost(s, resources) === vmAddress(vm))
        .flatMap((s) => cloudConfig(String(s.props.sourceRaw?.data ?? ""))?.packages ?? []);
}

/**
 * Every file the deployment puts on a VM, with the texts written to each path in the order found:
 * cloud-init write_files, install-file.sh (content known), and what its scripts write themselves
 * (`printf … | install /dev/stdin FILE`, here-documents). Data files holding secrets are skipped
 * when their content is unknown (a preview).
 */
export function vmFileTexts(vm: PolicyResource, resources: readonly PolicyResource[]): Map<string, string[]> {
    return fileTextsMemo(resources)(vm);
}

const fileTextsMemo = memoByObject((resources: readonly PolicyResource[]) => memoByObject((vm: PolicyResource) => vmFileTextsOf(vm, resources)));

function vmFileTextsOf(vm: PolicyResource, resources: readonly PolicyResource[]): Map<string, string[]> {
    const address = vmAddress(vm);
    const files = new Map<string, string[]>();
    const add = (path: string, text: string) => files.set(path, [...(files.get(path) ?? []), text]);
    for (const [path, text] of cloudInitFiles(vm, resources)) add(path, text);
    for (const c of ofType(resources, TYPES.command).filter((c) => commandHost(c) === address)) {
        const path = installedPath(c);
        const stdin = knownOrUndefined(() => c.props.stdin);
        if (path && typeof stdin === "string") add(path, stdin);
    }
    for (const s of deployedScripts(resources).filter((d) => d.host === address)) {
        for (const file of filesWrittenBy(s.script)) add(file.path, file.content);
    }
    return files;
}

/** The packages a VM gets: its cloud-init `packages`, and every `apt`/`apt-get`/`aptitude install` the deployment runs there. */
export function installedPackages(vm: PolicyResource, resources: readonly PolicyResource[]): string[] {
    const snippets = resources.filter((r) => r.type === TYPES.snippet && snippetHost(r, resources) === vmAddress(vm));
    return [
        ...snippets.flatMap((snippet) => cloudConfig(String(knownOrUndefined(() => snippet.props.sourceRaw?.data) ?? ""))?.packages ?? []),
        ...deployedScripts(resources).filter((d) => d.host === vmAddress(vm)).flatMap((d) => pipelines(d.script).flatMap((p) => p.stages).flatMap((stage) => {
            const argv = effectiveCommand(stage).argv;
            return /^(apt|apt-get|aptitude)$/.test(commandName(argv)) && argv.includes("install") ? argv.slice(argv.indexOf("install") + 1).filter((a) => !a.startsWith("-")) : [];
        })),
    ];
}
