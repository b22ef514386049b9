// The network flow matrix of the paper (section 2.2, Table 1) as typed data, with what a working
// deployment needs and the paper leaves implicit. No Pulumi resources here: the Proxmox rules, the
// in-guest nftables rulesets, the edge-firewall hand-off and the tests all derive from it.
import { isIpv4, isIpv4Network } from "./addresses";

export const ENDPOINT_NAMES = [
    "vpnClients",
    "edgeFirewall",
    "web",
    "db",
    "filer",
    "syslog",
    "labSubnet",
    "adminNetwork",
    "dns",
    "ntp",
    "proxy",
    "egressNetworks",
    "backupHost",
] as const;
export type EndpointName = (typeof ENDPOINT_NAMES)[number];

export type Protocol = "tcp" | "udp";

/** The nodes, as a destination: Proxmox's `management` IP set stands for the flows toward them. */
export const PROXMOX_NODES = "proxmoxNodes";

/** The sources allowed to manage the nodes: the members of the `management` IP set. */
export function managementSources(matrix: FlowMatrix): string[] {
    const names = matrix.flows.filter((f) => f.action === "allow" && f.to.includes(PROXMOX_NODES)).flatMap((f) => f.from);
    return [...new Set(names.flatMap((name) => addressesOf(matrix, name)))];
}

export interface Endpoint {
    readonly name: EndpointName | string;
    /** Addresses (a.b.c.d) and networks (a.b.c.0/24). */
    readonly addresses: readonly string[];
    readonly description: string;
}

export interface Flow {
    /** Stable identifier: `row-3` for the paper's rows, a name for the others. */
    readonly id: string;
    /** The paper's row number (Table 1), where the flow comes from it. */
    readonly row?: number;
    readonly action: "allow" | "deny";
    /** Empty: every protocol (and then every port). */
    readonly protocols: readonly Protocol[];
    /** Destination ports; empty: every port. */
    readonly ports: readonly number[];
    readonly from: readonly string[];
    readonly to: readonly string[];
    readonly description: string;
}

export interface FlowMatrix {
    readonly endpoints: ReadonlyMap<string, Endpoint>;
    readonly flows: readonly Flow[];
}

/** The stack settings the matrix is built from. */
export interface MatrixInput {
    readonly vpnClients: string;
    readonly edgeFirewall: string;
    readonly web: string;
    readonly db: string;
    readonly filer: string;
    readonly syslog: string;
    readonly labSubnet: string;
    readonly adminNetwork: string;
    readonly dnsServers: readonly string[];
    readonly ntpServers: readonly string[];
    /** The HTTP proxy every download and web-service call goes through, when the site has one. */
    readonly proxy?: { readonly address: string; readonly port: number };
    /** Networks the VMs may reach directly on 80/443 (package mirrors, registry) when there is no proxy. */
    readonly egressNetworks: readonly string[];
    /** Where the Borg repository lives: an SSH host, or the filer (NFS). */
    readonly backup: { readonly kind: "ssh"; readonly address: string; readonly port: number } | { readonly kind: "filer" };
    readonly extraFlows: readonly Flow[];
}

const HTTP_PORTS = [80, 443];

function flow(id: string, spec: Omit<Flow, "id">): Flow {
    return { id, ...spec };
}

/** Builds the matrix. Paper rows first, in their order, then the flows a deployment needs. */
export function buildMatrix(input: MatrixInput): FlowMatrix {
    const endpoints: Endpoint[] = [
        { name: "vpnClients", addresses: [input.vpnClients], description: "VPN clients (remote users)" },
        { name: "edgeFirewall", addresses: [input.edgeFirewall], description: "edge firewall / reverse proxy" },
        { name: "web", addresses: [input.web], description: "eLabFTW VM" },
        { name: "db", addresses: [input.db], description: "MySQL VM" },
        { name: "filer", addresses: [input.filer], description: "NFS/CIFS filer" },
        { name: "syslog", addresses: [input.syslog], description: "syslog server" },
        { name: "labSubnet", addresses: [input.labSubnet], description: "the unit's user network" },
        { name: "adminNetwork", addresses: [input.adminNetwork], description: "sysadmins' workstations" },
        // Enforced by Proxmox itself: the sources of flows to it form the datacenter's `management` IP set.
        { name: PROXMOX_NODES, addresses: [], description: "the Proxmox VE nodes (GUI and SSH)" },
        { name: "dns", addresses: [...input.dnsServers], description: "DNS resolvers" },
        { name: "ntp", addresses: [...input.ntpServers], description: "NTP servers" },
        ...(input.proxy ? [{ name: "proxy", addresses: [input.proxy.address], description: "HTTP proxy" }] : []),
        ...(input.egressNetworks.length ? [{ name: "egressNetworks", addresses: [...input.egressNetworks], description: "package mirrors and registry" }] : []),
        ...(input.backup.kind === "ssh" ? [{ name: "backupHost", addresses: [input.backup.address], description: "Borg repository host" }] : []),
    ];
    const vms = ["web", "db"];
    const flows: Flow[] = [
        flow("row-1", { row: 1, action: "allow", protocols: ["tcp"], ports: [443], from: ["vpnClients"], to: ["edgeFirewall"], description: "every VPN user reaches the site through the edge firewall" }),
        flow("row-2", { row: 2, action: "allow", protocols: ["tcp"], ports: [443], from: ["edgeFirewall"], to: ["web"], description: "eLabFTW access (reverse proxy to the web VM over TLS 1.3 only: elabimg's nginx accepts no older version)" }),
        flow("row-3", { row: 3, action: "allow", protocols: ["tcp"], ports: [3306], from: ["web"], to: ["db"], description: "MySQL access (TLS only)" }),
        flow("row-4", { row: 4, action: "allow", protocols: ["tcp", "udp"], ports: [2049], from: ["web"], to: ["filer"], description: "filer access" }),
        // The paper writes 2049 toward MySQL here; its intent is that the lab reaches the database on no port.
        flow("row-5", { row: 5, action: "deny", protocols: [], ports: [], from: ["labSubnet"], to: ["db"], description: "no access to the database from the lab (paper: 2049; intent: any port)" }),
        flow("row-6", { row: 6, action: "deny", protocols: ["tcp", "udp"], ports: [2049], from: ["labSubnet"], to: ["filer"], description: "no filer access from the lab" }),
        flow("row-7", { row: 7, action: "allow", protocols: ["udp"], ports: [514], from: vms, to: ["syslog"], description: "log collection by syslog" }),
        flow("node-management", { action: "allow", protocols: ["tcp"], ports: [8006, 22], from: ["adminNetwork"], to: [PROXMOX_NODES], description: "the nodes' GUI and SSH stay reachable from the admin network once the datacenter firewall is on" }),
        flow("admin-ssh", { action: "allow", protocols: ["tcp"], ports: [22], from: ["adminNetwork"], to: vms, description: "administration over SSH from the admin network only" }),
        flow("dns", { action: "allow", protocols: ["udp", "tcp"], ports: [53], from: vms, to: ["dns"], description: "name resolution" }),
        flow("ntp", { action: "allow", protocols: ["udp"], ports: [123], from: vms, to: ["ntp"], description: "time synchronisation (TLS and logs need it)" }),
        ...(input.proxy
            ? [flow("http-proxy", { action: "allow", protocols: ["tcp"], ports: [input.proxy.port], from: vms, to: ["proxy"], description: "packages, images and web-service calls through the HTTP proxy" })]
            : []),
        ...(input.egressNetworks.length
            ? [flow("egress-http", { action: "allow", protocols: ["tcp"], ports: HTTP_PORTS, from: vms, to: ["egressNetworks"], description: "packages, images and web-service calls" })]
            : []),
        input.backup.kind === "ssh"
            ? flow("backup", { action: "allow", protocols: ["tcp"], ports: [input.backup.port], from: vms, to: ["backupHost"], description: "encrypted backups (Borg over SSH)" })
            : flow("backup", { action: "allow", protocols: ["tcp", "udp"], ports: [2049], from: ["db"], to: ["filer"], description: "encrypted backups (Borg on the filer)" }),
        ...input.extraFlows,
    ];
    return { endpoints: new Map(endpoints.map((e) => [e.name, e])), flows };
}

// ---------------------------------------------------------------------------------------------
// Extra flows from the stack config: "allow tcp adminNetwork -> db 33060 # MySQL X for the DBA"

const FLOW_SYNTAX = /^(allow|deny)\s+(tcp|udp|tcp\+udp|any)\s+(\S+)\s*->\s*(\S+)(?:\s+([0-9,-]+))?\s*(?:#\s*(.*))?$/;

/** Parses one extra flow, or returns why it is not acceptable. Endpoints are names or a.b.c.d[/n]. */
export function parseExtraFlow(text: string, index: number): Flow | string {
    if (/\p{Cc}/u.test(text)) return `${JSON.stringify(text)} holds a control character (a line break?): one flow per entry, on one line`;
    const match = FLOW_SYNTAX.exec(text.trim());
    if (!match) return `"${text}" is not of the form "<allow|deny> <tcp|udp|tcp+udp|any> <from>[,<from>] -> <to>[,<to>] [<port>[,<port>|<a>-<b>]] [# description]"`;
    const [, action, protocol, fromText, toText, portText, comment] = match;
    // The description becomes an nftables rule comment and a Proxmox rule comment: plain words only.
    if (comment && !/^[\p{L}\p{N} .,:()/_+-]{0,120}$/u.test(comment.trim())) {
        return `"${text}" has a description other than up to 120 letters, digits, spaces and . , : ( ) / _ + -`;
    }
    const sides = [fromText.split(","), toText.split(",")];
    const any = sides[0].find((name) => /\/0$/.test(name) || name === "0.0.0.0" || name === "any");
    if (action === "allow" && any) return `"${text}" allows from ${any}, that is from anywhere: name the sources`;
    for (const name of sides.flat()) {
        if (!(ENDPOINT_NAMES as readonly string[]).includes(name) && !isIpv4(name) && !isIpv4Network(name)) {
            return `"${text}" names an unknown endpoint "${name}" (known: ${ENDPOINT_NAMES.join(", ")}, or an IPv4 address/network)`;
        }
    }
    if (protocol === "any" && portText) return `"${text}" gives ports with protocol "any": name tcp or udp`;
    if (protocol !== "any" && !portText) return `"${text}" gives no port: list the ports`;
    const ports: number[] = [];
    for (const part of (portText ?? "").split(",").filter(Boolean)) {
        const [low, high = low] = part.split("-").map(Number);
        if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535 || low > high) return `"${text}" has a port out of range: ${part} (1-65535)`;
        if (high - low > 1024) return `"${text}" opens ${high - low + 1} ports at once (${part}): open fewer`;
        for (let port = low; port <= high; port++) ports.push(port);
    }
    return {
        id: `extra-${index + 1}`,
        action: action as Flow["action"],
        protocols: protocol === "any" ? [] : protocol === "tcp+udp" ? ["tcp", "udp"] : [protocol as Protocol],
        ports,
        from: sides[0],
        to: sides[1],
        description: comment?.trim() || "extra flow from the stack config",
    };
}

/** The addresses of an endpoint name or literal. */
export function addressesOf(matrix: FlowMatrix, name: string): readonly string[] {
    const endpoint = matrix.endpoints.get(name);
    if (endpoint) return endpoint.addresses;
    if (isIpv4(name) || isIpv4Network(name)) return [name];
    throw new Error(`flow names an unknown endpoint ${name}`);
}
