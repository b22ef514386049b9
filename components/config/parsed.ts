// The values as zod parsed them, and what several checks and the builder derive from them.
import { z } from "zod";
import { buildMatrix, Flow, FlowMatrix, parseExtraFlow } from "../network/flowMatrix";
import { KEYS, KeyName } from "./keys";
import { BackupTarget } from "./types";

export type Parsed = { [K in KeyName]: z.output<(typeof KEYS)[K]["schema"]> };

/** Records a problem; `fix` replaces the key's generic fix when the problem needs its own. */
export type Report = (key: KeyName, message: string, fix?: string) => void;

export function parseBackupTarget(target: string): BackupTarget {
    const ssh = /^ssh:\/\/([^@]+)@([^:/]+)(?::(\d+))?(\/.*)$/.exec(target);
    return ssh ? { kind: "ssh", user: ssh[1], host: ssh[2], port: Number(ssh[3] ?? 22), path: ssh[4] } : { kind: "filer", path: target };
}

export function parseProxy(url: string): { address: string; port: number } {
    const { hostname, port } = new URL(url);
    return { address: hostname, port: Number(port || 80) };
}

export function extraFlows(texts: readonly string[]): Flow[] {
    return texts.map((text, index) => parseExtraFlow(text, index) as Flow);
}

/** Every key matrixOf reads: a check that builds the matrix runs only when all of them are valid. */
export const MATRIX_KEYS = ["vpnClientRange", "edgeFirewallAddress", "webAddress", "dbAddress", "filerAddress", "syslogAddress", "labSubnet", "adminNetwork", "dnsServers", "ntpServers", "httpProxy", "egressNetworks", "backupTarget", "extraFlows"] as const;

export function matrixOf(c: Parsed): FlowMatrix {
    const backup = parseBackupTarget(c.backupTarget);
    return buildMatrix({
        vpnClients: c.vpnClientRange,
        edgeFirewall: c.edgeFirewallAddress,
        web: c.webAddress,
        db: c.dbAddress,
        filer: c.filerAddress,
        syslog: c.syslogAddress,
        labSubnet: c.labSubnet,
        adminNetwork: c.adminNetwork,
        dnsServers: c.dnsServers,
        ntpServers: c.ntpServers,
        proxy: c.httpProxy ? parseProxy(c.httpProxy) : undefined,
        egressNetworks: c.egressNetworks,
        backup: backup.kind === "ssh" ? { kind: "ssh", address: backup.host, port: backup.port } : { kind: "filer" },
        extraFlows: extraFlows(c.extraFlows),
    });
}

/** A check that spans several keys; it runs only when each key it reads is valid on its own. */
export interface CrossCheck {
    readonly reads: readonly KeyName[];
    readonly check: (c: Parsed, problem: Report) => void;
}

export function placements(datastores: readonly string[]): Map<string, string[]> {
    const placed = new Map<string, string[]>();
    for (const entry of datastores) {
        const [id, kinds] = entry.split("=");
        for (const kind of kinds.split(",").map((k) => k.trim())) placed.set(kind, [...(placed.get(kind) ?? []), id]);
    }
    return placed;
}
