// The guests' nftables rulesets evaluated packet by packet, as the kernel does for a new connection
// arriving from the network (or, direction "out", one the guest opens: the output hook, the peer
// being the destination): every base chain on the input and forward hooks of every table (a packet
// passes a hook only if each of its chains lets it through; forward carries what Docker publishes,
// DNAT'd), rules in order, the first verdict wins (jump/goto followed), else the chain's policy.
// Matches read: ct state (the packet is new), ct status dnat, iifname/iif (it comes in on a NIC, not
// lo or a bridge), ip saddr/daddr (addresses, networks, ranges, { sets }, @named sets, !=; a named set
// with no elements declared is filled at run time: any address, a "maybe"), the
// protocol (tcp/udp/th dport, meta l4proto, ip protocol, icmp), ports (numbers, ranges, sets, service
// names, !=) and `ct original proto-dst`. Anything else makes the rule a "maybe" match.
import { ETC_SERVICES } from "./etcServices";
import { AddressSet, contains, Interval, parseAddress, pieces, union } from "./ipv4";
import { memoByText } from "./memo";
import { NftChain, parseRuleset } from "./nftables";
import { Proto, Tri } from "./proxmoxFirewall";

export interface NftPacket {
    readonly peer: number;
    readonly proto: Proto;
    readonly dport: number;
    /**
     * "in" (default): from the peer to the guest; "out": a connection the guest opens to the peer
     * (output hook); "container": one a container opens to the peer, forwarded from Docker's bridge
     * (forward hook, in on docker0 or a br-* network, from an address Docker assigns).
     */
    readonly direction?: "in" | "out" | "container";
}

const and = (a: Tri, b: Tri): Tri => (a === "no" || b === "no" ? "no" : a === "maybe" || b === "maybe" ? "maybe" : "yes");

/** The elements of `{ a, b }`, `a`, or a named set `@s`, as written. */
function elements(value: string, sets: Map<string, string[]>): string[] | undefined {
    return value.startsWith("@") ? sets.get(value.slice(1)) : literalElements(value);
}

const literalElements = memoByText((value: string): string[] => value.replace(/^\{|\}$/g, "").split(",").map((e) => e.trim().replace(/^"|"$/g, "")).filter(Boolean));

// Sets and port lists are read once per packet class: each distinct list is parsed once.
const addressSet = (items: readonly string[]): AddressSet | undefined => addressSetOf(items.join("\n"));
const addressSetOf = memoByText((joined: string): AddressSet | undefined => {
    const parsed = (joined === "" ? [] : joined.split("\n")).map(parseAddress);
    return parsed.every(Boolean) ? union(...parsed.map((i) => [i!])) : undefined;
});

const portSet = (items: readonly string[]): Interval[] | undefined => portSetOf(items.join("\n"));
const portSetOf = memoByText((joined: string): Interval[] | undefined => {
    const items = joined === "" ? [] : joined.split("\n");
    const out: Interval[] = [];
    for (const item of items) {
        const port = (p: string) => (/^\d+$/.test(p) ? Number(p) : ETC_SERVICES[p]);
        // A service name may hold a hyphen (http-alt): the name first, then a range.
        const range = port(item) === undefined ? /^(\w+)-(\w+)$/.exec(item) : null;
        const [l, h] = range ? [port(range[1]), port(range[2])] : [port(item), port(item)];
        if (l === undefined || h === undefined) return undefined;
        out.push([l, h]);
    }
    return out;
});

const VALUE = String.raw`(!=\s*)?(\{[^}]*\}|@\w+|"[^"]*"|\S+)`;
const EXTERNAL_NIC = (name: string) => !/^(lo|docker\d*|br-.*|veth.*|virbr\d*)$/.test(name);
/** A Docker bridge a container's packets come in on (names as written, nft's trailing `*` wildcard included). */
const DOCKER_BRIDGE = (name: string) => /^(docker[\d*]*|br-.*|\*)$/.test(name);

// Every packet class walks the same rules with the same few patterns: each is compiled once.
const compiled = new Map<string, RegExp>();
const anchored = (re: string): RegExp => {
    if (!compiled.has(re)) compiled.set(re, new RegExp(`^${re}\\s*`));
    return compiled.get(re)!;
};

/** A rule as runChain reads it: its match expressions and its verdict (accept, drop, jump x...), comments left out. */
const ruleParts = memoByText((rule: string): { matches: string; verdict: string } => {
    const text = rule.replace(/\s*comment\s+"[^"]*"/g, "").trim();
    const verdict = /\s*\b(accept|drop|reject(?: with .*)?|jump \S+|goto \S+|return)$/.exec(text);
    return { matches: verdict ? text.slice(0, verdict.index) : text, verdict: verdict ? verdict[1].replace(/^reject.*/, "drop") : "" };
});

const negate = (neg: string | undefined, t: Tri): Tri => (neg ? (t === "yes" ? "no" : t === "no" ? "yes" : "maybe") : t);

/** Does one match expression hold for the packet? Returns the rest of the rule past it. */
function matchOne(rule: string, p: NftPacket, self: number | undefined, sets: Map<string, string[]>): [Tri, string] | undefined {
    let r: RegExpExecArray | null;
    if ((r = anchored(`ct state ${VALUE}`).exec(rule))) return [negate(r[1], elements(r[2], sets)?.includes("new") ? "yes" : "no"), rule.slice(r[0].length)];
    const container = p.direction === "container";
    // A container's new connection is not DNAT'd; a published port's is (the "in" case).
    if ((r = anchored(`ct status ${VALUE}`).exec(rule))) return [negate(r[1], elements(r[2], sets)?.includes("dnat") ? (container ? "no" : "yes") : "maybe"), rule.slice(r[0].length)];
    const out = p.direction === "out" || container;
    if ((r = anchored(`(?:iifname|iif) ${VALUE}`).exec(rule))) {
        const names = elements(r[2], sets);
        if (container) return [negate(r[1], names?.some((n) => n === "docker0") ? "yes" : names?.some((n) => DOCKER_BRIDGE(n)) ? "maybe" : "no"), rule.slice(r[0].length)];
        return [p.direction === "out" ? "no" : negate(r[1], names?.some((n) => EXTERNAL_NIC(n)) ? "maybe" : "no"), rule.slice(r[0].length)];
    }
    // Leaving the guest toward a peer on the network: out through a NIC, never lo or a bridge.
    if (out && (r = anchored(`(?:oifname|oif) ${VALUE}`).exec(rule))) return [negate(r[1], elements(r[2], sets)?.some((n) => EXTERNAL_NIC(n)) ? "maybe" : "no"), rule.slice(r[0].length)];
    if ((r = anchored(`ip (saddr|daddr) ${VALUE}`).exec(rule))) {
        // A named set declared without elements is filled at run time (`add @set { ip saddr }` from the
        // packet path, `nft add element`): any address may be in it.
        const items = elements(r[3], sets);
        const set = items === undefined ? undefined : addressSet(items);
        // A container's own address is Docker's choice: only a set of every address surely holds it.
        if (container && r[1] === "saddr") return [negate(r[2], set && set.length === 1 && set[0][0] === 0 && set[0][1] === 0xffffffff ? "yes" : "maybe"), rule.slice(r[0].length)];
        const address = (r[1] === "saddr") !== out ? p.peer : self;
        return [negate(r[2], !set || address === undefined ? "maybe" : contains(set, address) ? "yes" : "no"), rule.slice(r[0].length)];
    }
    if ((r = anchored(`(?:meta l4proto|ip protocol) ${VALUE}`).exec(rule))) return [negate(r[1], elements(r[2], sets)?.some((x) => x === p.proto || x === { tcp: "6", udp: "17", icmp: "1" }[p.proto]) ? "yes" : "no"), rule.slice(r[0].length)];
    if ((r = anchored(`(tcp|udp|th) dport ${VALUE}`).exec(rule)) || (r = anchored(`(ct original proto-dst) ${VALUE}`).exec(rule))) {
        const protoOk = r[1] === "th" || r[1].startsWith("ct") ? p.proto !== "icmp" : r[1] === p.proto;
        const ports = portSet(elements(r[3], sets) ?? []);
        const portOk: Tri = !ports ? "maybe" : ports.some(([l, h]) => p.dport >= l && p.dport <= h) ? "yes" : "no";
        return [protoOk ? negate(r[2], portOk) : "no", rule.slice(r[0].length)];
    }
    if ((r = anchored(`icmp type ${VALUE}`).exec(rule))) return [p.proto === "icmp" ? "maybe" : "no", rule.slice(r[0].length)];
    if ((r = anchored(`meta nfproto ipv4|ip version 4|meta nfproto ${VALUE}`).exec(rule))) return [r[0].includes("ipv6") ? "no" : "yes", rule.slice(r[0].length)];
    if ((r = anchored(`(counter|limit rate \\S+(?: burst \\d+ \\w+)?|log(?: prefix "[^"]*"| level \\w+)*|comment "[^"]*")`).exec(rule))) return ["yes", rule.slice(r[0].length)];
    return undefined;
}

type TableSets = Map<string, Map<string, string[]>>;

function runChain(chain: NftChain, chains: readonly NftChain[], p: NftPacket, self: number | undefined, sets: TableSets, depth = 0, from = 0): { pass: Tri; by: string } {
    // The chain's end, its own or by return: back to the rule after the jump, or in a base chain its policy.
    const end = { pass: (chain.policy === "accept" ? "yes" : "no") as Tri, by: `${chain.table} chain ${chain.name}: (end of chain)` };
    const ends = (x: { by: string }) => x.by.endsWith("(end of chain)");
    for (let index = from; index < chain.rules.length; index++) {
        const rule = chain.rules[index];
        const parts = ruleParts(rule);
        let matches = parts.matches;
        let holds: Tri = "yes";
        while (matches && holds !== "no") {
            const step = matchOne(matches, p, self, sets.get(chain.table) ?? new Map());
            if (!step) { holds = and(holds, "maybe"); break; }
            holds = and(holds, step[0]);
            matches = step[1].trim();
        }
        const rest = parts.verdict;
        if (holds === "no" || !rest) continue;
        const by = `${chain.table} chain ${chain.name}: "${rule}"`;
        // A rule that may or may not match: the packet's fate is this rule's if it matches, the rest
        // of the chain's if not; certain only when both agree.
        const otherwise = () => runChain(chain, chains, p, self, sets, depth, index + 1);
        const either = (ifMatched: { pass: Tri; by: string }) => {
            if (holds === "yes") return ifMatched;
            const next = otherwise();
            // In a called chain an end goes back to the caller: it agrees only with another end.
            const agree = ifMatched.pass === next.pass && (depth === 0 || ends(ifMatched) === ends(next));
            return agree ? { pass: next.pass, by: `${ifMatched.by} or ${next.by}` } : { pass: "maybe" as Tri, by: ends(ifMatched) ? by : ifMatched.by };
        };
        const target = /^(jump|goto) (\S+)$/.exec(rest);
        if (target && depth < 8) {
            const next = chains.find((c) => c.table === chain.table && c.name === target[2]);
            if (!next) return { pass: "maybe", by };
            const inner = runChain({ ...next, policy: "accept" }, chains, p, self, sets, depth + 1);
            if (ends(inner)) {
                // Fell off the called chain: jump comes back here; goto ends this chain as its own end would.
                if (target[1] === "goto") return either(end);
                continue;
            }
            return either(inner);
        }
        if (rest === "return") return either(end);
        return either({ pass: rest === "accept" ? "yes" : "no", by });
    }
    return end;
}

/** Named sets of a ruleset, per table ("inet t"): `set name { ... elements = { a, b } }`; @name is its own table's set. */
const namedSets = memoByText((text: string): TableSets => {
    const tables: TableSets = new Map();
    const headers = [...text.matchAll(/^\s*table\s+(\w+)\s+(\S+)\s*\{/gm)];
    headers.forEach((header, i) => {
        const sets = tables.get(`${header[1]} ${header[2]}`) ?? new Map<string, string[]>();
        tables.set(`${header[1]} ${header[2]}`, sets);
        const body = text.slice(header.index! + header[0].length, headers[i + 1]?.index ?? text.length);
        for (const m of body.matchAll(/set\s+(\w+)\s*\{[^}]*?elements\s*=\s*\{([^}]*)\}/g)) sets.set(m[1], m[2].split(",").map((e) => e.trim()).filter(Boolean));
    });
    return tables;
});

/**
 * Whether a new connection from the network reaches the guest through its nftables: the input hook
 * for its own services, the forward hook for a port Docker publishes (`published`: "tcp/443").
 */
export function nftVerdict(ruleset: string, p: NftPacket, self?: number, published: readonly string[] = []): { pass: Tri; by: string } {
    const chains = parseRuleset(ruleset);
    const sets = namedSets(ruleset);
    const hook = (name: string) => {
        const base = chains.filter((c) => c.hook === name);
        if (base.length === 0) return { pass: "yes" as Tri, by: `no chain on the ${name} hook` };
        const results = base.map((c) => runChain(c, chains, p, self, sets));
        return results.find((x) => x.pass === "no") ?? results.find((x) => x.pass === "maybe") ?? results[0];
    };
    if (p.direction === "out") return hook("output");
    if (p.direction === "container") return hook("forward");
    const input = hook("input");
    if (!published.includes(`${p.proto}/${p.dport}`)) return input;
    const forward = hook("forward");
    return [input, forward].find((x) => x.pass === "yes") ?? [input, forward].find((x) => x.pass === "maybe") ?? input;
}

/** The address and port cuts of a ruleset's rules: one packet per piece stands for all. */
export function nftPartition(ruleset: string, peers: AddressSet, portRange: Interval, direction: "in" | "out" | "container" = "in"): { peers: Interval[]; ports: Interval[] } {
    const sets = namedSets(ruleset);
    const addressSets: AddressSet[] = [];
    const cuts = new Set<number>([portRange[0]]);
    for (const chain of parseRuleset(ruleset)) for (const rule of chain.rules) {
        const tableSets = sets.get(chain.table) ?? new Map();
        for (const m of rule.matchAll(new RegExp(`ip ${direction === "in" ? "saddr" : "daddr"} ${VALUE}`, "g"))) { const s = addressSet(elements(m[2], tableSets) ?? []); if (s) addressSets.push(s); }
        for (const m of rule.matchAll(new RegExp(`(?:dport|proto-dst) ${VALUE}`, "g"))) for (const [l, h] of portSet(elements(m[2], tableSets) ?? []) ?? []) { cuts.add(l); cuts.add(h + 1); }
    }
    const points = [...cuts].filter((x) => x >= portRange[0] && x <= portRange[1]).sort((a, b) => a - b);
    return { peers: pieces(peers, addressSets), ports: points.map((x, i) => [x, i + 1 < points.length ? points[i + 1] - 1 : portRange[1]] as Interval) };
}
