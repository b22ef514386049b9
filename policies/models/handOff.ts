// The endpoints the program declares to the network team (the edge hand-off's rows: "vpnClients
// (10.8.0.0/16)", "dns (10.20.60.2, 10.20.60.3)"): where the policies learn which addresses are the
// VPN clients, the lab, the admin network and the edge firewall.
import { ALL, AddressSet, covers, describe, intersect, isEmpty, parseAddress, PRIVATE, subtract, union } from "./ipv4";

export interface HandOffRow {
    readonly num?: string | null;
    readonly source?: string | null;
    readonly destination?: string | null;
    readonly destinationPort?: string | null;
    readonly action?: string | null;
}

/** Endpoint name -> addresses, from every cell of the form `name (a, b/n)`. */
export function declaredEndpoints(rows: readonly HandOffRow[]): Map<string, AddressSet> {
    const endpoints = new Map<string, AddressSet>();
    for (const cell of rows.flatMap((r) => [r.source, r.destination])) {
        for (const match of String(cell ?? "").matchAll(/(\w+) \(([^)]*)\)/g)) {
            const intervals = match[2].split(",").map((a) => parseAddress(a.trim()));
            if (intervals.every((i) => i !== undefined)) endpoints.set(match[1], union(endpoints.get(match[1]) ?? [], intervals as [number, number][]));
        }
    }
    return endpoints;
}

/**
 * The addresses a cell stands for, as the network team reads it: `name (a, b/n)` groups, bare
 * addresses and networks, and the words for everyone (`any`, `all`, `*`, `Internet`, `0/0`).
 * Bare endpoint names without addresses stand for the unit's own hosts (undefined: not decided).
 */
const EVERYONE = /^(any|all|\*|internet|everyone|0\/0|0\.0\.0\.0\/0)$/i;

export function cellAddresses(cell: string): AddressSet | undefined {
    let set: AddressSet = [];
    let known = false;
    let everyone = false;
    // A group's list may hold a word for everyone too ("Internet (any)"): the group is everyone.
    const rest = cell.replace(/(\w+) \(([^)]*)\)/g, (_, _name: string, list: string) => {
        for (const a of list.split(",")) {
            if (EVERYONE.test(a.trim())) everyone = true;
            const interval = parseAddress(a.trim());
            if (interval) set = union(set, [interval]);
        }
        known = true;
        return "";
    });
    if (everyone) return ALL;
    for (const token of rest.split(/[,\s]+/).filter(Boolean)) {
        if (EVERYONE.test(token)) return ALL;
        const interval = parseAddress(token);
        if (interval) {
            set = union(set, [interval]);
            known = true;
        }
    }
    return known ? set : undefined;
}

export interface InboundFromOutside {
    readonly row: string;
    readonly from: string;
    readonly to: string;
    readonly port: string;
}

/**
 * Rows, in order, that let addresses outside the unit's private networks in: an allowing row whose
 * source holds a public address (or "any") and whose destination is not the Internet alone (the
 * unit's outgoing calls). Only the VPN clients may reach the unit from outside, and they come from
 * private addresses (the VPN concentrator's pool).
 */
export function inboundFromOutside(rows: readonly HandOffRow[]): InboundFromOutside[] {
    const found: InboundFromOutside[] = [];
    for (const row of rows) {
        if (!/^\s*(allow|accept|permit|pass)/i.test(String(row.action ?? ""))) continue;
        if (/^\s*internet\s*$/i.test(String(row.destination ?? ""))) continue;
        const source = cellAddresses(String(row.source ?? "any"));
        if (!source) continue;
        const outside = subtract(source, PRIVATE);
        if (isEmpty(outside)) continue;
        found.push({ row: String(row.num ?? "?"), from: describe(outside), to: String(row.destination ?? "any"), port: String(row.destinationPort ?? "any") });
    }
    return found;
}

export type FlowProto = "tcp" | "udp" | "icmp";

/** The hand-off's name for the Proxmox nodes (components/network/flowMatrix.ts's PROXMOX_NODES). */
export const PROXMOX_NODES_ENDPOINT = "proxmoxNodes";

/** Who the matrix lets reach the Proxmox nodes (their GUI and SSH). */
export const nodeAdministrators = (flows: readonly MatrixFlow[]): AddressSet => union(...flows.filter((f) => f.toNames.includes(PROXMOX_NODES_ENDPOINT)).map((f) => f.from));

/** One allowing row of the hand-off as packets: who to whom, on which protocols and ports. */
export interface MatrixFlow {
    readonly row: string;
    readonly from: AddressSet;
    readonly to: AddressSet;
    /** The destination cell's endpoint names ("proxmoxNodes" has no addresses of its own). */
    readonly toNames: readonly string[];
    readonly protos: readonly FlowProto[];
    readonly ports: readonly (readonly [number, number])[];
}

/** "443 TCP", "80,443 TCP", "2049 TCP/UDP", "1000-2000 UDP", "any": the protocols and ports of a row. */
export function parsePortCell(cell: string): { protos: FlowProto[]; ports: [number, number][] } | undefined {
    const text = cell.trim();
    if (/^(any|\*)?$/i.test(text)) return { protos: ["tcp", "udp", "icmp"], ports: [[1, 65535]] };
    const match = /^([\d,\s-]+|any)\s+([A-Za-z/+]+)$/i.exec(text);
    if (!match) return undefined;
    const protos = match[2].toLowerCase().split(/[/+]/).filter((p): p is FlowProto => p === "tcp" || p === "udp" || p === "icmp");
    const ports = /^any$/i.test(match[1]) ? [[1, 65535] as [number, number]] : match[1].split(",").map((p) => p.trim().split("-").map(Number)).map(([l, h]) => [l, h ?? l] as [number, number]);
    return ports.every(([l, h]) => Number.isInteger(l) && Number.isInteger(h)) ? { protos, ports } : undefined;
}

/** The allowing rows of the hand-off whose cells the model reads (the nat row's "Internet" is the edge's NAT, not a flow). */
export function matrixFlows(rows: readonly HandOffRow[], action: "allow" | "deny" = "allow"): MatrixFlow[] {
    return rows.flatMap((row) => {
        if (!new RegExp(`^\\s*${action}\\b`, "i").test(String(row.action ?? "")) || /source NAT/i.test(String(row.action))) return [];
        const from = cellAddresses(String(row.source ?? ""));
        const to = cellAddresses(String(row.destination ?? "")) ?? [];
        const ports = parsePortCell(String(row.destinationPort ?? "any"));
        if (!from || !ports) return [];
        const toNames = [...String(row.destination ?? "").replace(/\([^)]*\)/g, "").matchAll(/(?:^|,\s*)(\w+)/g)].map((m) => m[1]);
        return [{ row: String(row.num ?? "?"), from, to, toNames, ...ports }];
    });
}

/** The peers a flow allows for one packet class: on `proto`, every port of `ports` (peers are the other end). */
export function allowedPeers(flows: readonly MatrixFlow[], self: AddressSet, direction: "in" | "out", proto: FlowProto, ports: readonly [number, number]): AddressSet {
    const covering = flows.filter((f) => f.protos.includes(proto) && (proto === "icmp" || f.ports.some(([l, h]) => l <= ports[0] && ports[1] <= h)));
    const mine = covering.filter((f) => covers(direction === "out" ? f.from : f.to, self));
    return union(...mine.map((f) => (direction === "out" ? f.to : f.from)));
}

/** The endpoints the matrix's floor is stated on. */
export interface MatrixEndpoints {
    readonly lab: AddressSet;
    readonly vpn: AddressSet;
    readonly admin: AddressSet;
    readonly edge: AddressSet;
    readonly web: AddressSet;
    readonly db: AddressSet;
    readonly filer: AddressSet;
}

type FlowPackets = Pick<MatrixFlow, "row" | "from" | "to" | "protos" | "ports">;

const meets = (a: AddressSet, b: AddressSet) => !isEmpty(intersect(a, b));

/**
 * Allowing flows that break the paper's matrix whatever else the hand-off says (the DB VM's floor is
 * lawTowardDb's): row 6, the lab reaches the filer on no port; rows 1-2, users reach eLabFTW only
 * through the edge firewall, and the edge reaches the web VM on 443 alone (it forwards what any VPN
 * user sends); admin-ssh, SSH to the web VM from the admin network only (toward the DB VM every port is lawTowardDb's).
 */
export function matrixFloorBreaches(flows: readonly FlowPackets[], e: MatrixEndpoints): { row: string; rule: string }[] {
    const found: { row: string; rule: string }[] = [];
    const ssh = (f: FlowPackets) => f.protos.includes("tcp") && f.ports.some(([l, h]) => l <= 22 && 22 <= h);
    const beyond443 = (f: FlowPackets) => f.protos.some((p) => p !== "tcp") || f.ports.some(([l, h]) => l !== 443 || h !== 443);
    for (const f of flows) {
        if (meets(f.to, e.filer) && meets(f.from, e.lab)) found.push({ row: f.row, rule: `lets the lab (${describe(intersect(f.from, e.lab))}) reach the filer: row 6, the lab reaches the filer on no port` });
        if (meets(f.to, e.web) && meets(f.from, union(e.vpn, e.lab))) found.push({ row: f.row, rule: `lets ${describe(intersect(f.from, union(e.vpn, e.lab)))} reach the web VM directly: rows 1-2, users reach eLabFTW through the edge firewall only` });
        if (meets(f.to, e.web) && meets(f.from, e.edge) && beyond443(f)) found.push({ row: f.row, rule: "lets the edge firewall reach the web VM beyond 443/tcp: row 2, and the edge forwards whatever any VPN user sends" });
        // Row 1: the users reach the edge on HTTPS alone; any other port the edge serves them is clear text or another service.
        if (meets(f.to, e.edge) && meets(f.from, union(e.vpn, e.lab)) && beyond443(f)) found.push({ row: f.row, rule: `lets ${describe(intersect(f.from, union(e.vpn, e.lab)))} reach the edge firewall beyond 443/tcp: row 1, users reach eLabFTW over HTTPS only (a plain HTTP port carries session cookies and SAML responses in clear)` });
        const outsideAdmins = subtract(f.from, e.admin);
        if (meets(f.to, e.web) && ssh(f) && !isEmpty(outsideAdmins)) found.push({ row: f.row, rule: `opens SSH to the web VM from ${describe(outsideAdmins)}: administration over SSH from the admin network only` });
    }
    return found;
}

/**
 * The paper's denying rows the network team must apply, since no firewall of the program can: row 6
 * (the lab never reaches the filer, which is not a VM of the program) and row 5 (the lab never
 * reaches the database, the edge's half of it). Each is missing unless a deny row covers its lab
 * sources, its destination and its packets (2049 TCP and UDP for the filer, every port for the DB):
 * row 8's deny-all does; an allow before it is matrixFloorBreaches' finding.
 */
export function missingDenials(rows: readonly HandOffRow[], e: Pick<MatrixEndpoints, "lab" | "filer" | "db">): string[] {
    const denials = matrixFlows(rows, "deny");
    const denied = (to: AddressSet, protos: readonly FlowProto[], port: readonly [number, number]) =>
        protos.every((p) => denials.some((d) => covers(d.from, e.lab) && covers(d.to, to) && d.protos.includes(p) && (p === "icmp" || d.ports.some(([l, h]) => l <= port[0] && port[1] <= h))));
    if (isEmpty(e.lab)) return [];
    const missing: string[] = [];
    if (!isEmpty(e.filer) && !denied(e.filer, ["tcp", "udp"], [2049, 2049])) missing.push(`row 6: the lab (${describe(e.lab)}) denied the filer (${describe(e.filer)}) on 2049 TCP/UDP`);
    if (!isEmpty(e.db) && !denied(e.db, ["tcp", "udp"], [1, 65535])) missing.push(`row 5: the lab (${describe(e.lab)}) denied the database VM (${describe(e.db)}) on every port`);
    return missing;
}

/**
 * Reverse-proxy settings, in the hand-off's text, that make the edge accept whatever certificate the
 * web VM's address presents (each as the proxy reads it): nginx `proxy_ssl_verify off` (its
 * default when absent), HAProxy `verify none`, Apache `SSLProxyVerify none` and `SSLProxyCheckPeer*
 * off`, Traefik's `insecureSkipVerify`, curl's `-k`/`--insecure`.
 */
export function backendVerificationOff(text: string): string[] {
    const patterns = [/proxy_ssl_verify\s+off/i, /\bverify\s+none\b/i, /SSLProxyVerify\s+none/i, /SSLProxyCheckPeer(Name|CN|Expire)\s+off/i, /insecureSkipVerify\s*[:=]\s*true/i, /(^|\s)(-k|--insecure)(\s|$)/];
    return patterns.flatMap((p) => (p.exec(text)?.[0] ? [p.exec(text)![0].trim()] : []));
}
