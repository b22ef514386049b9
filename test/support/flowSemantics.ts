// Two independent readings of "is this packet allowed?": the flow matrix's own meaning (a deny
// flow wins, then any allow flow), and the policy pack's Proxmox firewall model (first matching
// rule, then the policy, aliases and IP sets resolved), so tests and pack share one meaning.
import { addressesOf, FlowMatrix, Protocol } from "../../components/network/flowMatrix";
import { addressInNetwork } from "../../components/network/addresses";
import { toInt } from "../../policies/models/ipv4";
import { guestVerdict, PveFirewall } from "../../policies/models/proxmoxFirewall";

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

/** Aliases (name -> CIDR) and IP sets (name -> CIDRs) of one scope: the datacenter, or one VM. */
export interface PveObjectsOf {
    readonly aliases: ReadonlyMap<string, string>;
    readonly ipsets: ReadonlyMap<string, readonly string[]>;
}

export interface PveWorld extends PveObjectsOf {
    /** Per VM address: its rules, its policies and its own aliases and IP sets (found before the datacenter's). */
    readonly vms: ReadonlyMap<string, { readonly rules: readonly PveRuleData[]; readonly inputPolicy: string; readonly outputPolicy: string; readonly own?: PveObjectsOf }>;
}

/** The world as the pack's Proxmox firewall model reads it: tests and pack share one meaning. */
function packFirewall(world: PveWorld): PveFirewall {
    const vms = [...world.vms].map(([address, vm], i) => ({ vmId: i + 1, name: address, address, nics: [true], options: { enabled: true, inputPolicy: vm.inputPolicy, outputPolicy: vm.outputPolicy }, rules: vm.rules }));
    const scopes: [PveObjectsOf, number | undefined][] = [[world, undefined], ...[...world.vms.values()].map((vm, i): [PveObjectsOf, number] => [vm.own ?? { aliases: new Map(), ipsets: new Map() }, i + 1])];
    return {
        aliases: scopes.flatMap(([o, vmId]) => [...o.aliases].map(([name, cidr]) => ({ name, cidr, vmId }))),
        ipsets: scopes.flatMap(([o, vmId]) => [...o.ipsets].map(([name, cidrs]) => ({ name, cidrs: cidrs.map((c) => ({ name: c })), vmId }))),
        groups: [],
        vms,
    };
}

function verdict(fw: PveFirewall, vmAddress: string, type: "in" | "out", p: Packet): boolean {
    const vm = fw.vms.find((v) => v.address === vmAddress)!;
    const result = guestVerdict(fw, vm, type, { peer: toInt(type === "in" ? p.src : p.dst), proto: p.proto, dport: p.port, iface: "net0" });
    if (result.pass === "maybe") throw new Error(`the model cannot decide ${JSON.stringify(p)}: ${result.by}`);
    return result.pass === "yes";
}

/** What the Proxmox firewall does with a packet: the sending VM's OUT rules, then the receiving VM's IN rules. */
export function proxmoxAllows(world: PveWorld, p: Packet): boolean {
    const fw = packFirewall(world);
    if (world.vms.has(p.src) && !verdict(fw, p.src, "out", p)) return false;
    if (world.vms.has(p.dst) && !verdict(fw, p.dst, "in", p)) return false;
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
