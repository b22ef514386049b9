// What the VM test reads from a booted guest, and the recovery procedure it runs, taken from the
// operations guide so the guide cannot drift from what is shown to work.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Ssh } from "./guest";

export interface GuestState {
    /** systemctl is-system-running --wait: "running", "degraded"; "starting" would mean a hang. */
    readonly system: string;
    readonly failed: string;
    /** The data disk's unlock unit (systemd-cryptsetup@elabdata). */
    readonly unlock: string;
    readonly unlockLog: string;
    /** The boot's warnings and errors (a device timeout, a dependency failure): shown when a check fails. */
    readonly warnings: string;
    /** What is mounted at the data mount point ("" when nothing is). */
    readonly mountSource: string;
    readonly mountedAt: number;
    readonly docker: string;
    readonly dockerStartedAt: number;
    readonly dockerRoot: string;
    readonly nftables: string;
    readonly timers: string;
}

const monotonic = (ssh: Ssh, unit: string) => Number(ssh.run(`systemctl show -P ActiveEnterTimestampMonotonic ${unit}`).stdout.trim() || 0);

export function stateAfterBoot(ssh: Ssh): GuestState {
    // Bounded: a boot that waits for a passphrase would stay "starting" past this.
    const system = ssh.run("timeout 240 systemctl is-system-running --wait", { timeoutMs: 300_000 }).stdout.trim();
    const docker = ssh.run("systemctl is-active docker.service").stdout.trim();
    return {
        system,
        failed: ssh.run("systemctl --failed --no-legend --plain").stdout.trim(),
        unlock: ssh.run("systemctl is-active systemd-cryptsetup@elabdata.service").stdout.trim(),
        unlockLog: ssh.run("sudo journalctl -b --no-pager -o cat -u systemd-cryptsetup@elabdata.service").stdout,
        warnings: ssh.run("sudo journalctl -b --no-pager -p warning -o short-monotonic | tail -n 40").stdout,
        mountSource: ssh.run("findmnt -n -o SOURCE --mountpoint /srv/elabftw").stdout.trim(),
        mountedAt: monotonic(ssh, "srv-elabftw.mount"),
        docker,
        dockerStartedAt: monotonic(ssh, "docker.service"),
        dockerRoot: docker === "active" ? ssh.run("sudo docker info --format '{{.DockerRootDir}}'").stdout.trim() : "",
        nftables: ssh.run("sudo nft list tables").stdout,
        timers: ssh.run("systemctl list-timers --no-legend --plain 'elabftw-*'").stdout,
    };
}

/**
 * The remote part of the recovery procedure in docs/operating.md ("Data disk locked at boot"): the
 * single-quoted command given to ssh, which reads the passphrase on standard input.
 */
export function documentedRecoveryCommand(): string {
    const guide = readFileSync(path.join(__dirname, "../../docs/operating.md"), "utf8");
    const section = guide.split(/^## /m).find((part) => part.startsWith("Data disk locked at boot"));
    const command = section && /\|\s*ssh [^']*'([^']+)'/.exec(section)?.[1];
    if (!command) throw new Error('docs/operating.md has no "Data disk locked at boot" section with an ssh \'...\' command');
    return command;
}

/** The PCR lists the data disk's vTPM keys are sealed to, one per TPM2 keyslot ("7+8", "7"), sorted. */
export function tpmBindings(ssh: Ssh, device: string): string[] {
    const json = ssh.must(`sudo cryptsetup luksDump --dump-json-metadata ${device}`);
    const tokens = Object.values((JSON.parse(json) as { tokens: Record<string, { type: string; "tpm2-pcrs"?: number[] }> }).tokens);
    return tokens.filter((t) => t.type === "systemd-tpm2").map((t) => (t["tpm2-pcrs"] ?? []).join("+")).sort();
}

/** Waits (bounded) until the vTPM keys are sealed as `expected`: the path unit runs asynchronously. */
export async function waitForBindings(ssh: Ssh, device: string, expected: readonly string[], ms = 120_000): Promise<string[]> {
    const deadline = Date.now() + ms;
    let seen = tpmBindings(ssh, device);
    while (JSON.stringify(seen) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        seen = tpmBindings(ssh, device);
    }
    return seen;
}
