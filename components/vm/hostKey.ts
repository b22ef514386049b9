// How the program pins each VM's SSH host key (docs/security.md, "SSH host keys"): the VM generates
// one ed25519 host key at first boot, the program reads its public half through the Proxmox API's
// guest-agent channel (local/read-host-key.cjs), and every SSH channel then accepts that key only.
// Pure: no Pulumi import.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { shellQuote } from "./remoteScript";

/** The only host key the VMs keep (cloud-init generates it; sshd offers no other). */
export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub";
/** cloud-init writes it at the end of the first boot, after it generated the host keys. */
export const FIRST_BOOT_DONE_FILE = "/var/lib/cloud/instance/boot-finished";

/** The workstation command that prints a VM's host key; its settings and the API token come on stdin. */
export function readHostKeyCommand(): string {
    const script = readFileSync(path.join(__dirname, "local", "read-host-key.cjs"), "utf8");
    return ["node", "-e", script].map(shellQuote).join(" ");
}

/** One known_hosts line: the VM's address (port 22) and its key, nothing else. */
export function knownHostsLine(address: string, hostKey: string): string {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) throw new Error(`not an IPv4 address: ${address}`);
    if (!/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/.test(hostKey)) throw new Error("not an ssh-ed25519 public key line");
    return `${address} ${hostKey}`;
}

/**
 * Where the workstation keeps a VM's pinned key, as ssh reads it: `${HOME}` is expanded by ssh
 * itself (OpenSSH 8.4 and later), so the Docker provider's configuration is the same string on every
 * workstation and known before the VM exists (the engine previews the containers in a stack's first
 * preview). The program writes the file once it has read the key (writePinnedKnownHosts).
 */
export function pinnedKnownHostsFile(project: string, stack: string, vm: string): string {
    for (const [what, value] of Object.entries({ project, stack, vm })) {
        if (!/^[A-Za-z0-9._-]+$/.test(value)) throw new Error(`cannot name a known_hosts file after the ${what} "${value}"`);
    }
    return `\${HOME}/.local/state/elabftw-onprem/known_hosts/${project}.${stack}.${vm}`;
}

/** The file pinnedKnownHostsFile names, for this process (its HOME is the one ssh will see). */
function expandHome(file: string, home = process.env.HOME): string {
    if (!home || !home.startsWith("/") || /\s/.test(home)) {
        throw new Error(`HOME is "${home ?? ""}": the VMs' pinned SSH host keys are kept under $HOME/.local/state/elabftw-onprem; run pulumi with HOME set to an absolute path without spaces`);
    }
    return file.replace("${HOME}", home);
}

/** Writes the VM's known_hosts line, replacing what was there (a VM rebuilt with a new key). */
export function writePinnedKnownHosts(file: string, line: string, home = process.env.HOME): void {
    const target = expandHome(file, home);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const staged = `${target}.${process.pid}`;
    writeFileSync(staged, `${line}\n`, { mode: 0o600 });
    renameSync(staged, target);
}

/**
 * ssh options of the Docker provider (`ssh://` hosts run the ssh client with these words, no shell):
 * the VM's key is the only one trusted (the stack's own known_hosts file, never the operator's
 * ~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts, so an old or planted entry cannot widen the trust),
 * and an unknown or other key ends the connection (StrictHostKeyChecking=yes) before anything is sent.
 */
export function dockerSshOpts(knownHostsFile: string): string[] {
    return [
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${knownHostsFile}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "HostKeyAlgorithms=ssh-ed25519",
        "-o", "ConnectTimeout=20",
        "-o", "ServerAliveInterval=30",
    ];
}
