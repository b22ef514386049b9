// What the Proxmox VE firewall does with a packet, as pve-firewall compiles a guest's rules: the
// rule list in order, first match wins, else the direction's policy; disabled rules skipped; a
// security group's rules inlined where it is referenced; aliases and IP sets resolved guest scope
// first, then datacenter (`dc/` and `guest/` prefixes honoured); IP set entries with `!`/nomatch
// excluded, the most specific entry winning; macros and /etc/services names expanded; port lists
// and ranges (a:b); `iface` restricting a rule to one NIC. Values come as the bridged provider
// gives them: an unset property is undefined, null or "" and means "any" (proto, dport, source).
// What this model cannot read (an unknown macro, alias or service name) matches "maybe", and a
// verdict that depends on it is "maybe": the policies count it as a packet that may pass.
import { ETC_SERVICES } from "./etcServices";
import { AddressSet, ALL, parseAddress, subtract, union, contains } from "./ipv4";
import { memoByText } from "./memo";
import { MACROS } from "./pveMacros";

export type Proto = "tcp" | "udp" | "icmp";
export type Tri = "yes" | "no" | "maybe";
export type Direction = "in" | "out";

export interface Packet {
    /** The remote side: the source of an "in" packet, the destination of an "out" one. */
    readonly peer: number;
    readonly proto: Proto;
    readonly dport: number;
    /** The guest's NIC (net0...). */
    readonly iface: string;
}

/** A rule as the provider hands it over: every field may be missing, null or "". */
export interface RuleProps {
    readonly type?: string | null;
    readonly action?: string | null;
    readonly source?: string | null;
    readonly dest?: string | null;
    readonly proto?: string | null;
    readonly dport?: string | null;
    readonly sport?: string | null;
    readonly macro?: string | null;
    readonly securityGroup?: string | null;
    readonly enabled?: boolean | null;
    readonly iface?: string | null;
    readonly comment?: string | null;
}

export interface IpsetEntry {
    readonly name: string;
    readonly nomatch?: boolean | null;
}

export interface PveVm {
    readonly vmId: number;
    readonly name: string;
    readonly address?: string;
    /** Each NIC's `firewall` flag, in order (net0, net1...). */
    readonly nics: readonly boolean[];
    readonly options?: { readonly enabled?: boolean | null; readonly inputPolicy?: string | null; readonly outputPolicy?: string | null; readonly ipfilter?: boolean | null };
    readonly rules: readonly RuleProps[];
}

export interface PveFirewall {
    readonly datacenter?: { readonly enabled?: boolean | null; readonly inputPolicy?: string | null; readonly outputPolicy?: string | null };
    readonly aliases: readonly { readonly name: string; readonly cidr: string; readonly vmId?: number | null }[];
    readonly ipsets: readonly { readonly name: string; readonly cidrs: readonly IpsetEntry[]; readonly vmId?: number | null }[];
    readonly groups: readonly { readonly name: string; readonly rules: readonly RuleProps[] }[];
    readonly vms: readonly PveVm[];
}

const blank = (v: unknown): boolean => v === undefined || v === null || v === "";

/** Proxmox's defaults: a guest firewall is off unless enabled; input DROP, output ACCEPT. */
export function vmPolicy(vm: PveVm, direction: Direction): "ACCEPT" | "DROP" | "REJECT" {
    const value = direction === "in" ? vm.options?.inputPolicy : vm.options?.outputPolicy;
    if (blank(value)) return direction === "in" ? "DROP" : "ACCEPT";
    return String(value).toUpperCase() as "ACCEPT" | "DROP" | "REJECT";
}

export const datacenterInputPolicy = (fw: PveFirewall) => (blank(fw.datacenter?.inputPolicy) ? "DROP" : String(fw.datacenter!.inputPolicy).toUpperCase());

/** The set an IP set stands for: entries from the least to the most specific, nomatch ones removing. */
export function ipsetAddresses(entries: readonly IpsetEntry[]): AddressSet | undefined {
    const parsed = entries.map((e) => {
        const negated = e.name.trim().startsWith("!");
        return { interval: parseAddress(e.name.trim().replace(/^!/, "")), nomatch: negated || e.nomatch === true };
    });
    if (parsed.some((p) => !p.interval)) return undefined;
    let set: AddressSet = [];
    for (const p of parsed.sort((a, b) => b.interval![1] - b.interval![0] - (a.interval![1] - a.interval![0]))) {
        set = p.nomatch ? subtract(set, [p.interval!]) : union(set, [p.interval!]);
    }
    return set;
}

/**
 * The source addresses a guest's NIC may send from, as pve-firewall filters them: with the guest
 * firewall on and the NIC filtered, an `ipfilter-net<N>` set of the guest (or the `ipfilter` option,
 * which then allows the guest's own configured address) drops every other source. Otherwise any
 * address passes: the guest can pose as another (the admin network, the other VM) toward its peers.
 * undefined: an entry the model cannot read (an alias name, say).
 */
export function sendableSources(fw: PveFirewall, vm: PveVm, nic = 0): AddressSet | undefined {
    if (vm.options?.enabled !== true || vm.nics[nic] !== true) return ALL;
    const set = fw.ipsets.find((s) => s.name === `ipfilter-net${nic}` && s.vmId === vm.vmId);
    const own: AddressSet = vm.address && parseAddress(vm.address) ? [parseAddress(vm.address)!] : [];
    if (set) {
        const listed = ipsetAddresses(set.cidrs);
        return listed && union(listed, own);
    }
    return vm.options.ipfilter === true ? own : ALL;
}

const resolved = new WeakMap<PveFirewall, Map<string, AddressSet | undefined>>();

/** The addresses a source/dest field stands for in this guest's rules; undefined: the model cannot tell. */
export function resolveAddresses(fw: PveFirewall, vmId: number, reference: string | null | undefined): AddressSet | undefined {
    if (blank(reference)) return ALL;
    // Evaluating a guest asks the same few references once per packet class: each is read once per firewall.
    const seen = resolved.get(fw) ?? new Map<string, AddressSet | undefined>();
    resolved.set(fw, seen);
    const key = `${vmId} ${reference}`;
    if (!seen.has(key)) seen.set(key, resolveAddressesOf(fw, vmId, reference!));
    return seen.get(key);
}

function resolveAddressesOf(fw: PveFirewall, vmId: number, reference: string): AddressSet | undefined {
    const text = String(reference).trim();
    const scoped = (name: string) => {
        const m = /^(dc|guest)\/(.+)$/.exec(name);
        return m ? { scope: m[1], name: m[2] } : { scope: undefined, name };
    };
    const inScope = (scope: string | undefined, owner: number | null | undefined) =>
        scope === "dc" ? blank(owner) : scope === "guest" ? owner === vmId : owner === vmId || blank(owner);
    const byScope = <T extends { vmId?: number | null }>(items: T[]) => items.find((a) => a.vmId === vmId) ?? items[0];
    if (text.startsWith("+")) {
        const { scope, name } = scoped(text.slice(1));
        const set = byScope(fw.ipsets.filter((s) => s.name === name && inScope(scope, s.vmId)));
        return set ? ipsetAddresses(set.cidrs) : undefined;
    }
    const parts = text.split(",").map((p) => p.trim());
    const sets = parts.map((part): AddressSet | undefined => {
        const literal = parseAddress(part);
        if (literal) return [literal];
        const { scope, name } = scoped(part);
        const alias = byScope(fw.aliases.filter((a) => a.name.toLowerCase() === name.toLowerCase() && inScope(scope, a.vmId)));
        const interval = alias ? parseAddress(alias.cidr) : undefined;
        return interval ? [interval] : undefined;
    });
    return sets.every((s) => s !== undefined) ? union(...(sets as AddressSet[])) : undefined;
}

/** Destination port spec -> ranges; undefined when a name is not a service Proxmox knows. */
export function parsePorts(spec: string | null | undefined): [number, number][] | undefined {
    return blank(spec) ? [[0, 65535]] : portSpec(String(spec));
}

const portSpec = memoByText((spec: string): [number, number][] | undefined => {
    const ranges: [number, number][] = [];
    for (const item of String(spec).split(",").map((s) => s.trim())) {
        const range = /^(\d+):(\d+)$/.exec(item);
        if (range) ranges.push([Number(range[1]), Number(range[2])]);
        else if (/^\d+$/.test(item)) ranges.push([Number(item), Number(item)]);
        else if (item in ETC_SERVICES) ranges.push([ETC_SERVICES[item], ETC_SERVICES[item]]);
        else return undefined;
    }
    return ranges;
});

const PROTOCOL_NUMBERS: Record<string, Proto> = { "6": "tcp", "17": "udp", "1": "icmp" };

function protoMatch(proto: string | null | undefined, packet: Packet): Tri {
    if (blank(proto)) return "yes";
    const name = String(proto).toLowerCase();
    return (PROTOCOL_NUMBERS[name] ?? name) === packet.proto ? "yes" : "no";
}

const and = (...values: Tri[]): Tri => (values.includes("no") ? "no" : values.includes("maybe") ? "maybe" : "yes");

/** Does one (macro-free, group-free) rule match the packet? */
function ruleMatches(fw: PveFirewall, vm: PveVm, rule: RuleProps, direction: Direction, packet: Packet): Tri {
    const peer = resolveAddresses(fw, vm.vmId, direction === "in" ? rule.source : rule.dest);
    const peerMatch: Tri = peer === undefined ? "maybe" : contains(peer, packet.peer) ? "yes" : "no";
    // The guest's own side: a rule naming another address for the guest never matches its traffic.
    const own = resolveAddresses(fw, vm.vmId, direction === "in" ? rule.dest : rule.source);
    const guest = vm.address ? parseAddress(vm.address) : undefined;
    const ownMatch: Tri = own === undefined || !guest ? "maybe" : contains(own, guest[0]) ? "yes" : "no";
    let portMatch: Tri = "yes";
    if (!blank(rule.dport)) {
        const ports = parsePorts(rule.dport);
        if (packet.proto === "icmp") portMatch = ports ? "no" : "maybe"; // an ICMP type name: the model does not follow ICMP types
        else portMatch = ports === undefined ? "maybe" : ports.some(([l, h]) => packet.dport >= l && packet.dport <= h) ? "yes" : "no";
        if (blank(rule.proto)) portMatch = and(portMatch, "maybe"); // Proxmox wants a protocol with a port
    }
    const sportMatch: Tri = blank(rule.sport) ? "yes" : parsePorts(rule.sport) ? "yes" : "maybe"; // the sender picks its source port
    return and(peerMatch, ownMatch, protoMatch(rule.proto, packet), portMatch, sportMatch);
}

export interface ExpandedRule {
    readonly rule: RuleProps;
    /** "rule 3", "rule 2 > group web-in rule 1", with the comment. */
    readonly label: string;
}

/** The guest's rules in evaluation order: security groups inlined, macros expanded, disabled rules dropped. */
export function expandRules(fw: PveFirewall, rules: readonly RuleProps[], prefix = ""): (ExpandedRule | { unknown: string; label: string; action: string })[] {
    const out: (ExpandedRule | { unknown: string; label: string; action: string })[] = [];
    rules.forEach((rule, i): void => {
        if (rule.enabled === false) return;
        const label = `${prefix}rule ${i + 1}${blank(rule.comment) ? "" : ` "${rule.comment}"`}`;
        if (!blank(rule.securityGroup) || String(rule.type ?? "").toLowerCase() === "group") {
            const name = String(rule.securityGroup ?? rule.action ?? "");
            const group = fw.groups.find((g) => g.name === name);
            if (!group) {
                out.push({ unknown: `security group ${name}`, label, action: "ACCEPT" });
                return;
            }
            const inherited = group.rules.map((r) => (blank(rule.iface) ? r : { ...r, iface: rule.iface }));
            out.push(...expandRules(fw, inherited, `${label} > group ${name} `));
            return;
        }
        if (!blank(rule.macro)) {
            const macro = MACROS[String(rule.macro).toLowerCase()];
            if (!macro) {
                out.push({ unknown: `macro ${rule.macro}`, label, action: String(rule.action ?? "") });
                return;
            }
            for (const m of macro) out.push({ rule: { ...rule, macro: null, proto: m.proto, dport: m.dport ?? rule.dport }, label: `${label} (macro ${rule.macro})` });
            return;
        }
        out.push({ rule, label });
    });
    return out;
}

export interface Verdict {
    readonly pass: Tri;
    /** The rule that decided, or the policy. */
    readonly by: string;
}

const expanded = new WeakMap<PveFirewall, WeakMap<readonly RuleProps[], ReturnType<typeof expandRules>>>();

/** expandRules of a guest's own list, kept per firewall: every packet class walks the same list. */
export function guestRules(fw: PveFirewall, vm: PveVm): ReturnType<typeof expandRules> {
    const byList = expanded.get(fw) ?? new WeakMap<readonly RuleProps[], ReturnType<typeof expandRules>>();
    expanded.set(fw, byList);
    if (!byList.has(vm.rules)) byList.set(vm.rules, expandRules(fw, vm.rules));
    return byList.get(vm.rules)!;
}

/** One direction of one guest: first matching rule of that type, else the policy. */
export function guestVerdict(fw: PveFirewall, vm: PveVm, direction: Direction, packet: Packet): Verdict {
    let maybeAccept: string | undefined;
    let maybeDrop = false;
    for (const entry of guestRules(fw, vm)) {
        const type = "rule" in entry ? String(entry.rule.type ?? "").toLowerCase() : direction;
        if (type !== direction) continue;
        const rule: RuleProps = "rule" in entry ? entry.rule : { action: entry.action };
        if ("rule" in entry && !blank(rule.iface) && rule.iface !== packet.iface) continue;
        const match = "rule" in entry ? ruleMatches(fw, vm, rule, direction, packet) : "maybe";
        if (match === "no") continue;
        const accept = String(rule.action ?? "").toUpperCase() === "ACCEPT";
        const known = ["ACCEPT", "DROP", "REJECT"].includes(String(rule.action ?? "").toUpperCase());
        if (match === "yes" && known) {
            if (accept) return { pass: maybeDrop ? "maybe" : "yes", by: entry.label };
            return { pass: maybeAccept ? "maybe" : "no", by: maybeAccept ?? entry.label };
        }
        if (accept || !known) maybeAccept ??= `${entry.label}${"unknown" in entry ? ` (${entry.unknown}, unknown to the model)` : ""}`;
        else maybeDrop = true;
    }
    const policyAccepts = vmPolicy(vm, direction) === "ACCEPT";
    const by = `the ${direction === "in" ? "input" : "output"} policy ${vmPolicy(vm, direction)}`;
    if (policyAccepts) return { pass: maybeDrop ? "maybe" : "yes", by };
    return maybeAccept ? { pass: "maybe", by: maybeAccept } : { pass: "no", by };
}

/** The guest's NICs a packet may use: net0... */
export const ifaces = (vm: PveVm): string[] => (vm.nics.length ? vm.nics : [true]).map((_, i) => `net${i}`);
