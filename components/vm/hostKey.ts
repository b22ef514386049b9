// How the program pins each VM's SSH host key (docs/security.md, "SSH host keys"): the VM generates
// one ed25519 host key at first boot, the program reads its public half through the Proxmox API's
// guest-agent channel (local/read-host-key.cjs), and every SSH channel then accepts that key only.
// Pure: no Pulumi import.
import { readFileSync } from "node:fs";
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
 * ssh options of the Docker provider (`ssh://` hosts run the ssh client with these words, no shell):
 * the VM's key is the only one trusted (KnownHostsCommand prints it, the operator's known_hosts files
 * are not read, so an old or planted entry cannot widen the trust), and an unknown or other key
 * ends the connection (StrictHostKeyChecking=yes) before anything is sent.
 */
export function dockerSshOpts(address: string, hostKey: string): string[] {
    return [
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", `KnownHostsCommand=/bin/echo ${knownHostsLine(address, hostKey)}`,
        "-o", "HostKeyAlgorithms=ssh-ed25519",
        "-o", "ConnectTimeout=20",
        "-o", "ServerAliveInterval=30",
    ];
}
