// The flow matrix rendered for the places that enforce it, as plain data: Proxmox VM rule lists
// (with the aliases and IP sets they refer to), nftables rulesets for inside the VMs, and the
// table the network team applies on the edge firewall. No Pulumi resources here.
import { addressesOf, Flow, FlowMatrix, Protocol } from "./flowMatrix";
import { isIpv4 } from "./addresses";

export type VmEndpoint = "web" | "db";

export interface PveRule {
    readonly type: "in" | "out";
    readonly action: "ACCEPT" | "DROP";
    readonly source?: string;
    readonly dest?: string;
    readonly proto?: Protocol;
    readonly dport?: string;
    readonly comment: string;
    readonly log: "nolog" | "info";
}

export interface PveObjects {
    /** Single addresses, referred to by name. */
    readonly aliases: readonly { readonly name: string; readonly cidr: string; readonly comment: string }[];
    /** Several addresses or networks, referred to as +name. */
    readonly ipsets: readonly { readonly name: string; readonly cidrs: readonly string[]; readonly comment: string }[];
}

/** Proxmox object name of an endpoint: the unit's prefix, then the endpoint in kebab case. */
export function pveObjectName(unit: string, endpoint: string): string {
    return `${unit}-${endpoint.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

const isSingleHost = (addresses: readonly string[]) => addresses.length === 1 && (isIpv4(addresses[0]) || addresses[0].endsWith("/32"));

/** Flows a VM enforces: those it is the source or the destination of. */
export function flowsOf(matrix: FlowMatrix, vm: VmEndpoint): Flow[] {
    return matrix.flows.filter((f) => f.from.includes(vm) || f.to.includes(vm));
}

/** Aliases and IP sets for every endpoint a VM's rules name. */
export function pveObjects(matrix: FlowMatrix, unit: string, vm: VmEndpoint): PveObjects {
    const named = new Set<string>();
    for (const f of flowsOf(matrix, vm)) for (const n of [...f.from, ...f.to]) if (matrix.endpoints.has(n)) named.add(n);
    const aliases: { name: string; cidr: string; comment: string }[] = [];
    const ipsets: { name: string; cidrs: string[]; comment: string }[] = [];
    for (const name of [...named].sort()) {
        const endpoint = matrix.endpoints.get(name)!;
        if (isSingleHost(endpoint.addresses)) aliases.push({ name: pveObjectName(unit, name), cidr: endpoint.addresses[0], comment: endpoint.description });
        else ipsets.push({ name: pveObjectName(unit, name), cidrs: [...endpoint.addresses], comment: endpoint.description });
    }
    return { aliases, ipsets };
}

/** How a rule refers to an endpoint: its alias, +its IP set, or the literal address. */
export function pveReference(matrix: FlowMatrix, unit: string, name: string): string {
    const endpoint = matrix.endpoints.get(name);
    if (!endpoint) return addressesOf(matrix, name).join(",");
    return isSingleHost(endpoint.addresses) ? pveObjectName(unit, name) : `+${pveObjectName(unit, name)}`;
}

/** Ports as ranges: [80, 443] -> "80,443"; [8000..8010] -> "8000:8010" (Proxmox) or "8000-8010" (nftables). */
export function portRanges(ports: readonly number[], separator: ":" | "-"): string[] {
    const sorted = [...new Set(ports)].sort((a, b) => a - b);
    const ranges: string[] = [];
    for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
        ranges.push(i === j ? String(sorted[i]) : `${sorted[i]}${separator}${sorted[j]}`);
        i = j + 1;
    }
    return ranges;
}

export function flowLabel(f: Flow): string {
    return `${f.row ? `row ${f.row}` : f.id}: ${f.description}`;
}

/** One rule per (flow, peer, protocol); explicit denies first, then allows; the policies drop the rest. */
export function vmRules(matrix: FlowMatrix, unit: string, vm: VmEndpoint): PveRule[] {
    const rules: PveRule[] = [];
    const ordered = [...flowsOf(matrix, vm)].sort((a, b) => Number(a.action === "allow") - Number(b.action === "allow"));
    for (const f of ordered) {
        const action = f.action === "allow" ? "ACCEPT" : "DROP";
        const log = f.action === "allow" ? "nolog" : "info";
        const protocols: (Protocol | undefined)[] = f.protocols.length ? [...f.protocols] : [undefined];
        const dport = f.ports.length ? portRanges(f.ports, ":").join(",") : undefined;
        const sides: { type: "in" | "out"; peers: readonly string[] }[] = [
            ...(f.to.includes(vm) ? [{ type: "in" as const, peers: f.from }] : []),
            ...(f.from.includes(vm) ? [{ type: "out" as const, peers: f.to }] : []),
        ];
        for (const { type, peers } of sides) {
            for (const peer of peers.filter((p) => p !== vm)) {
                for (const proto of protocols) {
                    const reference = pveReference(matrix, unit, peer);
                    rules.push({
                        type,
                        action,
                        ...(type === "in" ? { source: reference } : { dest: reference }),
                        ...(proto ? { proto } : {}),
                        ...(proto && dport ? { dport } : {}),
                        comment: flowLabel(f),
                        log,
                    });
                }
            }
        }
    }
    return rules;
}

// ---------------------------------------------------------------------------------------------
// nftables inside the VMs: the same flows, for the host (input/output) and for Docker's published
// ports and containers (forward). Only the table `inet elabftw` is replaced; Docker's stay.

function nftAddresses(matrix: FlowMatrix, name: string): string {
    const addresses = addressesOf(matrix, name);
    return addresses.length === 1 ? addresses[0] : `{ ${addresses.join(", ")} }`;
}

function nftPorts(ports: readonly number[]): string {
    const ranges = portRanges(ports, "-");
    return ranges.length === 1 ? ranges[0] : `{ ${ranges.join(", ")} }`;
}

/** The nftables matches and verdict of one flow toward or from a peer, without the chain-specific part. */
function nftMatches(f: Flow, direction: "saddr" | "daddr", peerAddresses: string, portMatch: (proto: Protocol, ports: string) => string): string[] {
    const verdict = f.action === "allow" ? "accept" : "drop";
    const comment = `comment "${flowLabel(f).replace(/"/g, "'").slice(0, 120)}"`;
    if (f.protocols.length === 0) return [`ip ${direction} ${peerAddresses} ${verdict} ${comment}`];
    return f.protocols.map((proto) => `ip ${direction} ${peerAddresses} ${f.ports.length ? portMatch(proto, nftPorts(f.ports)) : `meta l4proto ${proto}`} ${verdict} ${comment}`);
}

/**
 * The VM's ruleset. `publishedPorts` are the ports its containers publish: only flows toward them
 * are also allowed through the forward chain, where Docker's DNAT sends them.
 */
export function nftablesRuleset(matrix: FlowMatrix, vm: VmEndpoint, vmName: string, publishedPorts: readonly number[]): string {
    const ordered = [...flowsOf(matrix, vm)].sort((a, b) => Number(a.action === "allow") - Number(b.action === "allow"));
    const input: string[] = [];
    const output: string[] = [];
    const forward: string[] = [];
    for (const f of ordered) {
        if (f.to.includes(vm)) {
            for (const peer of f.from.filter((p) => p !== vm)) {
                const peerAddresses = nftAddresses(matrix, peer);
                input.push(...nftMatches(f, "saddr", peerAddresses, (proto, ports) => `${proto} dport ${ports}`));
                // Published container ports arrive DNATed: match the port the client asked for.
                if (f.ports.length === 0 || f.ports.some((port) => publishedPorts.includes(port))) {
                    forward.push(...nftMatches(f, "saddr", peerAddresses, (proto, ports) => `ct status dnat meta l4proto ${proto} ct original proto-dst ${ports}`));
                }
            }
        }
        if (f.from.includes(vm)) {
            for (const peer of f.to.filter((p) => p !== vm)) {
                const peerAddresses = nftAddresses(matrix, peer);
                output.push(...nftMatches(f, "daddr", peerAddresses, (proto, ports) => `${proto} dport ${ports}`));
                // What the containers send leaves through Docker's bridge.
                forward.push(...nftMatches(f, "daddr", peerAddresses, (proto, ports) => `${proto} dport ${ports}`).map((rule) => `iifname "docker0" ${rule}`));
            }
        }
    }
    const chain = (name: string, hook: string, loopback: string | undefined, rules: string[]) =>
        [
            `    chain ${name} {`,
            `        type filter hook ${hook} priority filter; policy drop;`,
            "        ct state established,related accept",
            "        ct state invalid drop",
            ...(loopback ? [`        ${loopback} accept`] : []),
            ...rules.map((rule) => `        ${rule}`),
            `        limit rate 10/second log prefix "elabftw-${name}-drop " level info`,
            "    }",
        ].join("\n");
    return [
        "#!/usr/sbin/nft -f",
        `# Managed by elabftw-onprem: the flow matrix for ${vmName}. Only this table is replaced; Docker's stay.`,
        "table inet elabftw",
        "delete table inet elabftw",
        "table inet elabftw {",
        chain("input", "input", 'iifname "lo"', input),
        chain("forward", "forward", undefined, forward),
        // The host reaches its own published ports through Docker's DNAT onto docker0.
        chain("output", "output", 'oifname { "lo", "docker0" }', output),
        "}",
        "",
    ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The hand-off to the network team: the paper's columns, every flow, then the NAT of outgoing
// web-service calls to the unit's dedicated address, then the final deny.

export interface EdgeRule {
    readonly num: string;
    readonly source: string;
    readonly sourcePort: string;
    readonly destination: string;
    readonly destinationPort: string;
    readonly action: string;
    readonly description: string;
}

function describeEndpoints(matrix: FlowMatrix, names: readonly string[]): string {
    return names
        .map((name) => {
            const addresses = matrix.endpoints.has(name) ? addressesOf(matrix, name) : [];
            return addresses.length ? `${name} (${addresses.join(", ")})` : name;
        })
        .join(", ");
}

export function edgeRules(matrix: FlowMatrix, egressPublicAddress: string): EdgeRule[] {
    const rows: EdgeRule[] = matrix.flows.map((f) => ({
        num: f.row ? String(f.row) : f.id,
        source: describeEndpoints(matrix, f.from),
        sourcePort: "any",
        destination: describeEndpoints(matrix, f.to),
        destinationPort: f.protocols.length ? `${portRanges(f.ports, "-").join(",") || "any"} ${f.protocols.map((p) => p.toUpperCase()).join("/")}` : "any",
        action: f.action,
        description: f.description,
    }));
    const outgoing = matrix.endpoints.has("proxy") ? ["proxy"] : ["web", "db"];
    rows.push({
        num: "nat",
        source: describeEndpoints(matrix, outgoing),
        sourcePort: "any",
        destination: "Internet",
        destinationPort: "80,443 TCP",
        action: `allow, source NAT to ${egressPublicAddress}`,
        description: "outgoing web-service calls of the unit leave from its dedicated external address",
    });
    rows.push({ num: "8", source: "any", sourcePort: "any", destination: "any", destinationPort: "any", action: "deny", description: "everything else" });
    return rows;
}

export function edgeRulesMarkdown(rows: readonly EdgeRule[]): string {
    const cell = (text: string) => text.replace(/\|/g, "\\|");
    return [
        "| Num | Source address | Source port | Destination address | Destination port | Action | Description |",
        "|---|---|---|---|---|---|---|",
        ...rows.map((r) => `| ${[r.num, r.source, r.sourcePort, r.destination, r.destinationPort, r.action, r.description].map(cell).join(" | ")} |`),
    ].join("\n");
}
