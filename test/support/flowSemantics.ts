// Two independent readings of "is this packet allowed?": the flow matrix's own meaning (a deny
// flow wins, then any allow flow), and an evaluator of Proxmox rule lists as pve-firewall applies
// them (first matching rule, then the policy), with aliases and IP sets resolved.
import { addressesOf, FlowMatrix, Protocol } from "../../components/network/flowMatrix";
import { addressInNetwork } from "../../components/network/addresses";

export interface Packet {
    readonly src: string;
    readonly dst: string;
    readonly proto: Protocol;
    readonly port: number;
}

const contains = (cidrOrIp: string, address: string) => (cidrOrIp.includes("/") ? addressInNetwork(address, cidrOrIp) : cidrOrIp === address);

function endpointHas(matrix: FlowMatrix, name: string, address: string): boolean {
    return addressesOf(matrix, name).some((entry) => contains(entry, address));
}

/** What the matrix says of a packet. */
export function matrixAllows(matrix: FlowMatrix, p: Packet): boolean {
    const matching = matrix.flows.filter(
        (f) =>
            f.from.some((n) => endpointHas(matrix, n, p.src)) &&
            f.to.some((n) => endpointHas(matrix, n, p.dst)) &&
            (f.protocols.length === 0 || (f.protocols.includes(p.proto) && (f.ports.length === 0 || f.ports.includes(p.port)))),
    );
    return !matching.some((f) => f.action === "deny") && matching.some((f) => f.action === "allow");
}

export interface PveRuleData {
    readonly type: string;
    readonly action: string;
    readonly source?: string;
    readonly dest?: string;
    readonly proto?: string;
    readonly dport?: string;
}

export interface PveWorld {
    readonly aliases: ReadonlyMap<string, string>;
    readonly ipsets: ReadonlyMap<string, readonly string[]>;
    /** Per VM address: its rules and its policies. */
    readonly vms: ReadonlyMap<string, { readonly rules: readonly PveRuleData[]; readonly inputPolicy: string; readonly outputPolicy: string }>;
}

function resolve(world: PveWorld, reference: string): string[] {
    return reference.split(",").flatMap((part) => {
        if (part.startsWith("+")) {
            const set = world.ipsets.get(part.slice(1));
            if (!set) throw new Error(`rule refers to unknown IP set ${part}`);
            return [...set];
        }
        const alias = world.aliases.get(part);
        if (alias) return [alias];
        if (/^\d/.test(part)) return [part];
        throw new Error(`rule refers to unknown alias ${part}`);
    });
}

function portMatches(dport: string, port: number): boolean {
    return dport.split(",").some((range) => {
        const [low, high = low] = range.split(":").map(Number);
        return port >= low && port <= high;
    });
}

/** One direction of one VM: first matching rule of that type, else the policy. */
function verdict(world: PveWorld, vmAddress: string, type: "in" | "out", p: Packet): boolean {
    const vm = world.vms.get(vmAddress)!;
    for (const rule of vm.rules) {
        if (rule.type !== type) continue;
        const peer = type === "in" ? rule.source : rule.dest;
        const peerAddress = type === "in" ? p.src : p.dst;
        if (peer !== undefined && !resolve(world, peer).some((entry) => contains(entry, peerAddress))) continue;
        if (rule.proto !== undefined && rule.proto !== p.proto) continue;
        if (rule.dport !== undefined && !portMatches(rule.dport, p.port)) continue;
        return rule.action === "ACCEPT";
    }
    return (type === "in" ? vm.inputPolicy : vm.outputPolicy) === "ACCEPT";
}

/** What the Proxmox firewall does with a packet: the sending VM's OUT rules, then the receiving VM's IN rules. */
export function proxmoxAllows(world: PveWorld, p: Packet): boolean {
    if (world.vms.has(p.src) && !verdict(world, p.src, "out", p)) return false;
    if (world.vms.has(p.dst) && !verdict(world, p.dst, "in", p)) return false;
    return true;
}

/** A representative address of each endpoint (a network's first host), for probing. */
export function representative(address: string): string {
    if (!address.includes("/")) return address;
    const [base] = address.split("/");
    const octets = base.split(".").map(Number);
    octets[3] += 7;
    return octets.join(".");
}

export const PORTS_OF_INTEREST: Readonly<Record<Protocol, readonly number[]>> = {
    tcp: [22, 53, 80, 443, 2049, 3128, 3306, 8080],
    udp: [53, 123, 514, 2049, 8080],
};
