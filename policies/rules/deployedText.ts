// Every place the program writes something a VM will run, as shell text with where it comes from:
// remote commands (create, update, delete), files installed with install-file.sh (scripts, units,
// cron files, environment files; other files are data and may hold secrets), and each VM's
// cloud-init user-data (runcmd, bootcmd, write_files). Units and cron files are turned into the
// shell commands systemd and cron run, their environment into `export` lines.
import { PolicyResource } from "@pulumi/policy";
import { cloudConfig, cronText, isCronWithUserField, kindOfPath, TextKind, unitText } from "../models/programText";
import { commandHost, ofType, TYPES, vmAddress } from "./common";

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
function snippetHost(snippet: PolicyResource, resources: readonly PolicyResource[]): string | undefined {
    const vm = ofType(resources, TYPES.vm).find((v) => v.dependencies.some((d) => d.urn === snippet.urn));
    return vm ? vmAddress(vm) : undefined;
}

export function deployedScripts(resources: readonly PolicyResource[]): DeployedScript[] {
    const scripts: DeployedScript[] = [];
    for (const c of ofType(resources, TYPES.command)) {
        const host = commandHost(c);
        for (const field of ["create", "update", "delete"]) {
            if (typeof c.props[field] === "string") scripts.push({ resource: c, host, where: `its ${field} command`, runByPulumi: true, script: c.props[field] });
        }
        const path = installedPath(c);
        const kind = path ? kindOfPath(path) : "data";
        // Only code is read: the content of data files is often a secret (unknown in a preview).
        if (path && kind !== "data" && typeof c.props.stdin === "string") {
            const script = asShell(kind, path, c.props.stdin);
            if (script !== undefined) scripts.push({ resource: c, host, where: path, runByPulumi: false, script });
        }
    }
    for (const snippet of ofType(resources, TYPES.snippet)) {
        const config = cloudConfig(String(snippet.props.sourceRaw?.data ?? ""));
        if (!config) continue;
        const host = snippetHost(snippet, resources);
        if (config.commands.length > 0) scripts.push({ resource: snippet, host, where: "cloud-init runcmd/bootcmd", runByPulumi: false, script: config.commands.join("\n") });
        for (const file of config.files) {
            const script = asShell(kindOfPath(file.path), file.path, file.content);
            if (script !== undefined) scripts.push({ resource: snippet, host, where: `cloud-init write_files ${file.path}`, runByPulumi: false, script });
        }
    }
    return scripts;
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
