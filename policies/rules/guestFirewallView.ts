// The second layer of the flow matrix: each guest's own nftables ruleset (what the program loads in
// the VM), evaluated on its own against the same statements as the Proxmox firewall. Defence in
// depth: either layer alone must keep every forbidden packet out.
import { PolicyResource } from "@pulumi/policy";
import { ALL, AddressSet, covers, describe, Interval, INTERNET, setOf, subtract, toInt, union } from "../models/ipv4";
import { parseRuleset } from "../models/nftables";
import { nftPartition, nftVerdict } from "../models/nftEval";
import { Proto } from "../models/proxmoxFirewall";
import { commandHost, dockerHostAddress, knownOrUndefined, ofType, TYPES } from "./common";
import { forbiddenTowardDb, matrixAllows, StackNetwork } from "./firewallView";

export interface GuestFinding {
    readonly vmName: string;
    readonly resource: PolicyResource;
    readonly statement: string;
    readonly exposures: string[];
    readonly evidence: string;
}

/** The rulesets loaded on a host: commands whose stdin is an nftables ruleset with base chains. */
function rulesetsOn(address: string, resources: readonly PolicyResource[]): { resource: PolicyResource; text: string }[] {
    return ofType(resources, TYPES.command)
        .filter((c) => commandHost(c) === address)
        .flatMap((c) => {
            const text = knownOrUndefined(() => c.props.stdin);
            return typeof text === "string" && parseRuleset(text).some((chain) => chain.hook) ? [{ resource: c, text }] : [];
        });
}

function publishedOn(address: string, resources: readonly PolicyResource[]): string[] {
    return ofType(resources, TYPES.container)
        .filter((c) => dockerHostAddress(c) === address)
        .flatMap((c) => ((knownOrUndefined(() => c.props.ports) ?? []) as { external?: number; internal?: number; protocol?: string }[]).map((p) => `${p.protocol ?? "tcp"}/${p.external ?? p.internal}`));
}

function evaluate(text: string, self: number, published: string[], peers: AddressSet, range: Interval, protos: readonly Proto[]): { exposures: string[]; evidence: string } {
    const part = nftPartition(text, peers, range);
    const exposures: string[] = [];
    for (const peer of part.peers) {
        for (const proto of protos) {
            for (const ports of proto === "icmp" ? [[0, 0] as Interval] : part.ports) {
                const verdict = nftVerdict(text, { peer: peer[0], proto, dport: ports[0] }, self, published);
                if (verdict.pass === "no") continue;
                const portText = proto === "icmp" ? "icmp" : ports[0] === ports[1] ? `${proto}/${ports[0]}` : `${proto}/${ports[0]}-${ports[1]}`;
                exposures.push(`${describe([peer])} ${portText}${verdict.pass === "maybe" ? " (maybe)" : ""} through ${verdict.by}`);
            }
        }
    }
    return { exposures, evidence: `${part.peers.length} endpoints × ${part.ports.length} ports × ${protos.length} protocols evaluated` };
}

/** The no-access statements, each evaluated on each guest's nftables alone. */
export function guestLayerFindings(net: StackNetwork, resources: readonly PolicyResource[]): GuestFinding[] {
    const findings: GuestFinding[] = [];
    const statements = (vm: NonNullable<StackNetwork["db"]>) => [
        ...(vm === net.db ? [{ statement: `no packet from ${forbiddenTowardDb(net).label} reaches ${vm.name} on any port`, peers: forbiddenTowardDb(net).set, range: [1, 65535] as Interval, protos: ["tcp", "udp", "icmp"] as Proto[] }] : []),
        ...(vm === net.web ? [{ statement: `HTTPS reaches ${vm.name} only from the edge firewall`, peers: subtract(ALL, net.endpoints.get("edgeFirewall") ?? []), range: [443, 443] as Interval, protos: ["tcp"] as Proto[] }] : []),
        { statement: `no packet from the Internet reaches ${vm.name} on any port`, peers: INTERNET, range: [1, 65535] as Interval, protos: ["tcp", "udp", "icmp"] as Proto[] },
    ];
    for (const vm of net.fw.vms) {
        if (!vm.address) continue;
        const published = publishedOn(vm.address, resources);
        for (const { resource, text } of rulesetsOn(vm.address, resources)) {
            for (const s of statements(vm)) {
                const result = evaluate(text, toInt(vm.address), published, s.peers, s.range, s.protos);
                findings.push({ vmName: vm.name, resource, statement: s.statement, ...result });
            }
        }
    }
    return findings;
}

/**
 * What each guest's nftables lets through beyond the flow matrix, on its own: new connections the
 * guest opens (output hook) and its containers open (forward hook, from Docker's bridge), and the
 * connections it accepts from the unit's networks (input, and forward for published ports). The
 * Internet, and HTTPS toward the web VM, are the no-access statements' (guestLayerFindings).
 */
export function guestBeyondMatrix(net: StackNetwork, resources: readonly PolicyResource[]): GuestFinding[] {
    const findings: GuestFinding[] = [];
    if (net.flows.length === 0) return findings;
    for (const vm of net.fw.vms) {
        if (!vm.address) continue;
        const self = toInt(vm.address);
        const selfSet = setOf(vm.address);
        const published = publishedOn(vm.address, resources);
        for (const { resource, text } of rulesetsOn(vm.address, resources)) {
            for (const direction of ["out", "container", "in"] as const) {
                // Inbound, the peers cnrs-no-access-from-outside decides on are left to it (the Internet;
                // the VPN, the lab and the outside toward the database), as for the Proxmox layer.
                const outside = vm === net.db ? union(INTERNET, forbiddenTowardDb(net).set) : INTERNET;
                const peers = direction === "in" ? subtract(subtract(ALL, selfSet), outside) : subtract(ALL, selfSet);
                const part = nftPartition(text, peers, [1, 65535], direction);
                const exposures: string[] = [];
                for (const peer of part.peers) {
                    for (const proto of ["tcp", "udp", "icmp"] as Proto[]) {
                        for (const ports of proto === "icmp" ? [[0, 0] as Interval] : part.ports) {
                            if (direction === "in" && vm === net.web && proto === "tcp" && ports[0] === 443 && ports[1] === 443) continue;
                            const verdict = nftVerdict(text, { peer: peer[0], proto, dport: ports[0], direction }, self, direction === "in" ? published : []);
                            if (verdict.pass === "no" || covers(matrixAllows(net, vm, direction === "in" ? "in" : "out", proto, ports), [peer])) continue;
                            const portText = proto === "icmp" ? "icmp" : ports[0] === ports[1] ? `${proto}/${ports[0]}` : `${proto}/${ports[0]}-${ports[1]}`;
                            exposures.push(`${describe([peer])} ${portText}${verdict.pass === "maybe" ? " (maybe)" : ""} through ${verdict.by}`);
                        }
                    }
                }
                const statement = direction === "in" ? `${vm.name} accepts connections only along the flow matrix` : direction === "out" ? `${vm.name} opens connections only along the flow matrix` : `${vm.name}'s containers open connections only along the flow matrix`;
                findings.push({ vmName: vm.name, resource, statement, exposures, evidence: `${part.peers.length} endpoints × ${part.ports.length} ports × 3 protocols evaluated` });
            }
        }
    }
    return findings;
}
