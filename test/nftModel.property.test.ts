// Over 300 lines on purpose: the ruleset generator, the kernel probes and their comparison with the model read as one.
// The policy pack's nftables model (policies/models/nftEval.ts) against the kernel, property-based:
// random rulesets within the syntax the model claims to read (an inet table with one or two input
// base chains, policy drop or accept; accept, drop, jump, goto and return; regular chains; ct
// state, iifname/iif, ip saddr/daddr as addresses, networks, ranges, { sets }, @named sets (one
// line or several) and !=; tcp/udp/th dport, meta l4proto, ip protocol, ct original proto-dst with
// numbers, service names, ranges, sets and !=; sometimes a second table, inet or ip, with its own
// input chain and sets of the same names) are loaded with the real `nft -f` in a target network
// namespace, then probed by TCP and UDP, new connections with source ports never used before, from
// a source namespace holding the probes' addresses: for each rule, a packet it names (an interval's
// first or last address and port), the same with the port just outside, and with the address just
// outside. Where the model says "yes" the packet must pass (TCP handshake, UDP echo), where it says
// "no" it must be dropped (timeout); "maybe" only in a ruleset holding one of the expressions the
// model does not claim to read (UNCLAIMED), which some rulesets get on purpose. Seeded: the seed is
// printed, NFT_PROP_SEED=<seed> replays a run, NFT_PROP_RULESETS=<n> changes how many rulesets.
// Namespace addresses only.
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { nftVerdict } from "../policies/models/nftEval";
import { Interval, parseAddress, toAddress, toInt } from "../policies/models/ipv4";
import { inNetns, ip, Netns, Probe, probe, setAddresses } from "./support/netns";

const SEED = Number(process.env.NFT_PROP_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RULESETS = Number(process.env.NFT_PROP_RULESETS ?? 40);
/** NFT_PROP_COVERAGE=1: also count the rules some probe reaches and matches (model-only, about 10 s more). */
const COVERAGE = process.env.NFT_PROP_COVERAGE === "1";
const TIMEOUT_MS = 300;
/** A probe the model passes but that timed out is tried again with this timeout: a busy machine, not a drop. */
const RETRY_TIMEOUT_MS = 2000;
const PREFIX = `np${process.pid % 100000}`;
const [SOURCE, TARGET] = [`${PREFIX}-src`, `${PREFIX}-dst`];
const TARGET_ADDRESS = "192.0.2.10";

// ---- a seeded generator (mulberry32) ----

type Rand = () => number;
function mulberry32(seed: number): Rand {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = Math.imul(state ^ (state >>> 15), state | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
}

class Pick {
    constructor(private readonly rand: Rand) {}
    int(low: number, high: number): number {
        return low + Math.floor(this.rand() * (high - low + 1));
    }
    chance(p: number): boolean {
        return this.rand() < p;
    }
    one<T>(items: readonly T[]): T {
        return items[this.int(0, items.length - 1)];
    }
    weighted<T>(options: readonly (readonly [number, () => T])[]): T {
        let x = this.rand() * options.reduce((n, [w]) => n + w, 0);
        for (const [w, make] of options) if ((x -= w) < 0) return make();
        return options[options.length - 1][1]();
    }
    shuffle<T>(items: readonly T[]): T[] {
        const out = [...items];
        for (let i = out.length - 1; i > 0; i--) {
            const j = this.int(0, i);
            [out[i], out[j]] = [out[j], out[i]];
        }
        return out;
    }
}

// ---- random rulesets ----

/** Where the generated addresses live: private, documentation and public networks, never the target's 192.0.2.0/24. */
const ZONES = ["10.1.0.0/20", "172.16.5.0/24", "192.168.7.0/24", "198.51.100.0/24", "147.210.0.0/20"].map((z) => parseAddress(z)!);
const FORBIDDEN = ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "192.0.2.0/24", "224.0.0.0/3"].map((z) => parseAddress(z)!);
const PORT_POOL = [22, 53, 80, 123, 443, 3306, 8080, 1000, 1010, 1020, 1030];
/** Service names nft resolves through /etc/services (netbase), with their ports. */
const SERVICES: Readonly<Record<string, number>> = { ssh: 22, domain: 53, http: 80, www: 80, ntp: 123, https: 443, mysql: 3306, "http-alt": 8080 };
/**
 * Expressions the model does not claim to read (a "maybe" is its right answer), true or false for
 * the probes; iifname "eth0" among them: the model cannot know which name the network's NIC has.
 */
const UNCLAIMED = ["ip ttl != 0", "ip length > 1000", "meta mark 0", "meta mark 1", "pkttype host", "fib daddr type local", "ip dscp cs0", 'iifname "eth0"', 'iifname != "eth0"'];

/** Per rule, the source address intervals and destination port intervals its matches name (none: any), its chain and the chain it jumps or goes to. */
interface RuleTarget {
    readonly addresses: readonly Interval[];
    readonly ports: readonly Interval[];
    readonly chain: string;
    readonly to?: string;
}

interface Generated {
    readonly text: string;
    /** The unclaimed expressions in it. */
    readonly unclaimed: readonly string[];
    readonly rules: readonly RuleTarget[];
}

const overlaps = (a: Interval, b: Interval) => a[0] <= b[1] + 1 && b[0] <= a[1] + 1;

function generate(pick: Pick): Generated {
    const unclaimed: string[] = [];
    const seen: Interval[] = [];
    const rules: RuleTarget[] = [];
    const withUnclaimed = pick.chance(0.3);

    /** 1-3 elements, none overlapping or touching another (nft refuses overlaps in a set). */
    const disjoint = (make: () => [string, Interval], count: number): [string, Interval][] => {
        const out: [string, Interval][] = [];
        for (let tries = 0; out.length < count && tries < 20; tries++) {
            const e = make();
            if (!out.some(([, i]) => overlaps(i, e[1]))) out.push(e);
        }
        return out;
    };

    /** One address, a network or a range, often near one met before so that rules overlap. */
    const addressElement = (): [string, Interval] => {
        const anchorFrom = seen.length > 0 && pick.chance(0.5) ? pick.one(seen) : pick.one(ZONES);
        const anchor = pick.int(anchorFrom[0], anchorFrom[1]) + pick.int(-2, 2);
        const made = pick.weighted<[string, Interval]>([
            [1, () => [toAddress(anchor), [anchor, anchor]]],
            [1.2, () => {
                const bits = pick.int(20, 31);
                const size = 2 ** (32 - bits);
                const low = Math.floor(anchor / size) * size;
                // Now and then with host bits set: nft masks them, as the model does.
                return [`${toAddress(pick.chance(0.15) ? anchor : low)}/${bits}`, [low, low + size - 1]];
            }],
            [1, () => {
                const high = anchor + pick.int(1, 300);
                return [`${toAddress(anchor)}-${toAddress(high)}`, [anchor, high]];
            }],
        ]);
        seen.push(made[1]);
        return made;
    };

    /** A port number, a service name or a range. */
    const portElement = (): [string, Interval] => {
        const anchor = pick.one(PORT_POOL);
        return pick.weighted<[string, Interval]>([
            [1, () => [String(anchor), [anchor, anchor]]],
            [0.6, () => {
                const name = pick.one(Object.keys(SERVICES));
                return [name, [SERVICES[name], SERVICES[name]]];
            }],
            [1, () => {
                const [low, high] = pick.chance(0.5) ? [anchor, anchor + pick.int(1, 40)] : [Math.max(1, anchor - pick.int(1, 40)), anchor];
                return [`${low}-${high}`, [low, high]];
            }],
        ]);
    };

    /** A value: one element, an anonymous set, or a named set of the table; with != now and then. */
    const value = (element: () => [string, Interval], named: ReadonlyMap<string, readonly Interval[]>, record: Interval[]): string => {
        const negate = pick.chance(0.2) ? "!= " : "";
        return negate + pick.weighted([
            [3, () => {
                const [text, interval] = element();
                record.push(interval);
                return text;
            }],
            [1.2, () => {
                const elements = disjoint(element, pick.int(2, 3));
                record.push(...elements.map(([, i]) => i));
                return `{ ${elements.map(([t]) => t).join(", ")} }`;
            }],
            ...(named.size > 0 ? [[1, () => {
                const name = pick.one([...named.keys()]);
                record.push(...named.get(name)!);
                return `@${name}`;
            }] as const] : []),
        ]);
    };

    const table = (family: string, name: string): string => {
        // Set names repeat from table to table: each table's @a0 is its own.
        const declare = (setName: string, type: string, elements: [string, Interval][]) => {
            const items = `elements = { ${elements.map(([t]) => t).join(", ")} }`;
            return pick.chance(0.5)
                ? `    set ${setName} { type ${type}; flags interval; ${items} }`
                : `    set ${setName} {\n        type ${type}\n        flags interval\n        ${items}\n    }`;
        };
        const addressSets = new Map(Array.from({ length: pick.int(0, 2) }, (_, i) => [`a${i}`, disjoint(addressElement, pick.int(1, 3))] as const));
        const portSets = new Map(Array.from({ length: pick.int(0, 1) }, (_, i) => [`p${i}`, disjoint(portElement, pick.int(1, 3))] as const));
        const intervals = (sets: Map<string, [string, Interval][]>) => new Map([...sets].map(([n, elements]) => [n, elements.map(([, i]) => i)]));
        const [addressSetIntervals, portSetIntervals] = [intervals(addressSets), intervals(portSets)];
        const declarations = [...[...addressSets].map(([n, e]) => declare(n, "ipv4_addr", e)), ...[...portSets].map(([n, e]) => declare(n, "inet_service", e))];
        const regular = Array.from({ length: pick.one([0, 1, 2, 2, 3, 3]) }, (_, i) => `c${i}`);

        const rule = (chain: string, verdicts: readonly (readonly [number, () => string])[]): [string, number] => {
            const addresses: Interval[] = [];
            const ports: Interval[] = [];
            const portMatch = (): string => value(portElement, portSetIntervals, ports);
            const l4 = (): string => pick.weighted([
                [5, () => `${pick.one(["tcp", "udp", "th"])} dport ${portMatch()}`],
                [1.5, () => `meta l4proto ${pick.chance(0.25) ? "!= " : ""}${pick.one(["tcp", "udp", "{ tcp, udp }"])}${pick.chance(0.5) ? ` th dport ${portMatch()}` : ""}`],
                [0.7, () => `ip protocol ${pick.one(["tcp", "udp"])}`],
                [0.7, () => {
                    const proto = pick.one(["tcp", "udp"]);
                    return `meta l4proto ${proto} ${proto} dport ${portMatch()}`;
                }],
                [0.5, () => {
                    // ct original proto-dst takes numbers, not service names.
                    const p = pick.one(PORT_POOL);
                    const [text, interval] = pick.chance(0.5) ? [String(p), [p, p] as Interval] : [`${p}-${p + 5}`, [p, p + 5] as Interval];
                    ports.push(interval);
                    return `meta l4proto ${pick.one(["tcp", "udp"])} ct original proto-dst ${pick.chance(0.25) ? "!= " : ""}${text}`;
                }],
            ]);
            // Jumps and gotos match more broadly, so that packets reach the chains behind them (and their ends).
            const verdict = pick.weighted(verdicts);
            const often = (p: number) => pick.chance(/^(jump|goto) /.test(verdict) ? p / 2 : p);
            const clauses: string[] = [];
            if (often(0.2)) clauses.push(pick.one(["ct state new", "ct state established,related", "ct state != new", "ct state { new, established }", "ct state invalid", "ct state != established", "ct state new,untracked"]));
            if (often(0.08)) clauses.push(pick.one(['iifname "lo"', 'iifname != "lo"', 'iif "lo"', 'iif != "lo"', 'iifname { "lo", "docker0" }']));
            if (often(0.55)) clauses.push(`ip saddr ${value(addressElement, addressSetIntervals, addresses)}`);
            if (often(0.1)) clauses.push(pick.one([`ip daddr ${TARGET_ADDRESS}`, `ip daddr != ${TARGET_ADDRESS}`, "ip daddr 192.0.2.0/24", "ip daddr 192.0.2.11", `ip daddr { 192.0.2.1, ${TARGET_ADDRESS} }`, "ip daddr != 192.0.2.64/26"]));
            if (often(0.6)) clauses.push(l4());
            // A rule matching every packet ends its chain for all probes: now and then only.
            if (clauses.length === 0 && !/^(jump|goto) /.test(verdict) && pick.chance(0.75)) clauses.push(`ip saddr ${value(addressElement, addressSetIntervals, addresses)}`);
            if (withUnclaimed && pick.chance(0.25)) {
                const expression = pick.one(UNCLAIMED);
                unclaimed.push(expression);
                clauses.push(expression);
            }
            const statement = pick.shuffle(clauses);
            if (pick.chance(0.15)) statement.push("counter");
            statement.push(verdict);
            if (pick.chance(0.1)) statement.push(`comment "${pick.one(["note", "a; b", "x"])}"`);
            const to = /^(?:jump|goto) (\w+)$/.exec(verdict)?.[1];
            rules.push({ addresses, ports, chain: `${name} ${chain}`, ...(to ? { to: `${name} ${to}` } : {}) });
            return [statement.join(" "), clauses.length];
        };
        // Base chains accept more than they drop: a drop hides every later chain and table from the packet.
        const chainVerdicts = (later: readonly string[], base: boolean) => [
            [base ? 6 : 2.5, () => "accept"],
            [2.5, () => "drop"],
            [base ? 0.7 : 2, () => "return"],
            ...(later.length > 0 ? [[base ? 2 : 1.5, () => `jump ${pick.one(later)}`], [base ? 0.6 : 2, () => `goto ${pick.one(later)}`]] as const : []),
        ] as const;
        // Narrower rules first, as people write them: fewer rules hidden behind a broad one.
        const body = (chain: string, count: number, verdicts: readonly (readonly [number, () => string])[]) =>
            Array.from({ length: count }, () => rule(chain, verdicts)).sort((a, b) => b[1] - a[1]).map(([text]) => `        ${text}`);
        // A regular chain jumps or goes only to a later one: nft refuses loops.
        const chains = regular.map((c, i) => [`    chain ${c} {`, ...body(c, pick.int(1, 4), chainVerdicts(regular.slice(i + 1), false)), "    }"].join("\n"));
        const baseChains = Array.from({ length: pick.chance(0.2) ? 2 : 1 }, (_, i) => [
            `    chain input${i || ""} {`,
            `        type filter hook input priority ${pick.one(["filter", "0", "-5", "filter + 10"])}; policy ${pick.chance(0.55) ? "drop" : "accept"};`,
            ...body(`input${i || ""}`, pick.int(2, 6), chainVerdicts(regular, true)),
            "    }",
        ].join("\n"));
        return [`table ${family} ${name} {`, ...declarations, ...chains, ...baseChains, "}"].join("\n");
    };

    const tables = [table("inet", "t0"), ...(pick.chance(0.35) ? [table(pick.one(["inet", "ip"]), "t1")] : [])];
    return { text: tables.join("\n") + "\n", unclaimed, rules };
}

type Packet = Omit<Probe, "dst" | "sport" | "handshake"> & { readonly src: string };

/**
 * The probes of a ruleset: for each rule, a packet it names by address and port (an interval's
 * first or last address and port), one with the port just outside, and one with the address just
 * outside, each by TCP and UDP; and a few from addresses and to ports no rule names.
 */
function packetsOf(pick: Pick, g: Generated): Packet[] {
    const usable = (n: number) => n > 0 && n < 0xffffffff && !FORBIDDEN.some(([l, h]) => n >= l && n <= h);
    const somewhere = () => {
        const zone = pick.one(ZONES);
        return pick.int(zone[0], zone[1]);
    };
    const edge = (intervals: readonly Interval[], inside: boolean, ok: (n: number) => boolean): number | undefined => {
        if (intervals.length === 0) return undefined;
        const [low, high] = pick.one(intervals);
        const candidates = (inside ? [low, high] : [low - 1, high + 1]).filter(ok);
        return candidates.length > 0 ? pick.one(candidates) : undefined;
    };
    const packets = new Map<string, Packet>();
    const add = (source: number | undefined, port: number | undefined, protos: readonly ("tcp" | "udp")[] = ["tcp", "udp"]) => {
        if (source === undefined || port === undefined) return;
        for (const proto of protos) packets.set(`${source} ${proto} ${port}`, { src: toAddress(source), proto, port });
    };
    const validPort = (n: number) => n >= 1 && n <= 65535;
    for (const rule of g.rules) {
        // In a chain jumped or gone to, what the rule leaves open is taken from a rule leading there, so that the packet gets there.
        const from = pick.one([...g.rules.filter((r) => r.to === rule.chain), undefined]);
        const addresses = rule.addresses.length > 0 ? rule.addresses : from?.addresses ?? [];
        const ports = rule.ports.length > 0 ? rule.ports : from?.ports ?? [];
        const [sourceIn, portIn] = [edge(addresses, true, usable) ?? somewhere(), edge(ports, true, validPort) ?? pick.one(PORT_POOL)];
        add(sourceIn, portIn);
        add(sourceIn, edge(ports, false, validPort));
        add(edge(addresses, false, usable), portIn);
    }
    for (let i = 0; i < 3; i++) add(somewhere(), pick.int(1, 9999));
    return [...packets.values()];
}

// ---- the kernel's side ----

interface Case {
    readonly index: number;
    readonly generated: Generated;
    readonly packets: readonly Packet[];
}

const namespaces = new Netns();
let cases: Case[];
let nextSport = 20000;

before(async () => {
    console.log(`nft model property test: seed ${SEED} (replay with NFT_PROP_SEED=${SEED}), ${RULESETS} rulesets`);
    const pick = new Pick(mulberry32(SEED));
    cases = Array.from({ length: RULESETS }, (_, index) => {
        const generated = generate(pick);
        return { index, generated, packets: packetsOf(pick, generated) };
    });

    namespaces.add(SOURCE);
    namespaces.add(TARGET);
    ip("-n", SOURCE, "link", "add", `${PREFIX}s`, "type", "veth", "peer", "name", `${PREFIX}t`, "netns", TARGET);
    // The target's NIC is eth0, as a guest's: the model reads iifname "lo" as never the network.
    namespaces.host(SOURCE, `${PREFIX}s`, []);
    namespaces.host(TARGET, `${PREFIX}t`, [TARGET_ADDRESS]);
    // About 220 ports for 40 rulesets, a TCP and a UDP socket each: under the usual 1024 descriptors.
    const listening = [...new Set(cases.flatMap((c) => c.packets.map((p) => p.port)))];
    await namespaces.startProbeServer(TARGET, { tcp: listening, udp: listening });
});

after(() => namespaces.cleanup());

/** The ruleset in the target's kernel, and the case's source addresses on the source's eth0. */
function load(text: string, packets: readonly Packet[]): void {
    const result = spawnSync("nsenter", inNetns(TARGET, ["nft", "-f", "-"]), { input: `flush ruleset\n${text}`, encoding: "utf8" });
    assert.equal(result.status, 0, `nft -f refused a generated ruleset (seed ${SEED}):\n${text}\n${result.stderr}`);
    setAddresses(SOURCE, [...new Set(packets.map((p) => p.src))]);
}

/** Every probe with a source port of its own: no probe ever meets the conntrack entry of an earlier one. */
function kernel(packets: readonly Packet[], timeoutMs: number): string[] {
    const outcomes = probe(SOURCE, packets.map((p) => ({ ...p, dst: TARGET_ADDRESS, sport: nextSport++, handshake: true })), timeoutMs);
    return outcomes.map((o) => (o === "open" ? "pass" : o === "timeout" ? "drop" : o));
}

/**
 * How many of the ruleset's rules some probe reaches and matches: with the rule's verdict made
 * accept, or drop, the model's verdict on that probe changes (the others test its "no match" side).
 */
function matched(text: string, packets: readonly Packet[], verdicts: readonly { pass: string }[]): [number, number] {
    const lines = text.split("\n");
    const rules = lines.flatMap((line, i) => (/^ {8}/.test(line) && !/^\s+(type|flags|elements) /.test(line) ? [i] : []));
    const used = rules.filter((i) =>
        ["accept", "drop"].some((verdict) => {
            const changed = lines.map((line, j) => (j === i ? line.replace(/ (accept|drop|return|jump \w+|goto \w+)( comment "[^"]*")?$/, ` ${verdict}$2`) : line)).join("\n");
            return packets.some((p, k) => nftVerdict(changed, { peer: toInt(p.src), proto: p.proto, dport: p.port }, toInt(TARGET_ADDRESS)).pass !== verdicts[k].pass);
        }),
    );
    return [used.length, rules.length];
}

describe("the nftables model against the kernel, on random rulesets", () => {
    it("the two namespaces carry traffic when no ruleset is loaded (control)", () => {
        const packets = cases[0].packets.slice(0, 4);
        load("", packets);
        assert.deepEqual(kernel(packets, TIMEOUT_MS), packets.map(() => "pass"));
    });

    it("passes what the model says yes to and drops what it says no to; maybe only outside its claimed syntax", () => {
        const started = Date.now();
        const counts = { probes: 0, yes: 0, no: 0, maybe: 0, maybeUnclaimed: 0, retried: 0, unclaimedRulesets: 0, rules: 0, matched: 0 };
        const failures: string[] = [];
        for (const c of cases) {
            const { text, unclaimed } = c.generated;
            if (unclaimed.length > 0) counts.unclaimedRulesets++;
            load(text, c.packets);
            const probes = c.packets;
            const verdicts = probes.map((p) => nftVerdict(text, { peer: toInt(p.src), proto: p.proto, dport: p.port }, toInt(TARGET_ADDRESS)));
            const outcomes = kernel(probes, TIMEOUT_MS);
            const slow = outcomes.flatMap((o, i) => (o === "drop" && verdicts[i].pass === "yes" ? [i] : []));
            if (slow.length > 0) {
                counts.retried += slow.length;
                kernel(slow.map((i) => probes[i]), RETRY_TIMEOUT_MS).forEach((o, k) => (outcomes[slow[k]] = o));
            }
            if (COVERAGE) {
                const [used, all] = matched(text, probes, verdicts);
                counts.matched += used;
                counts.rules += all;
            }
            const wrong: string[] = [];
            probes.forEach((p, i) => {
                const { pass, by } = verdicts[i];
                counts.probes++;
                counts[pass]++;
                const packet = `${p.src} -> ${TARGET_ADDRESS} ${p.proto}/${p.port}`;
                if (pass === "maybe") {
                    // Only a ruleset holding an expression outside the claim may leave the model unsure.
                    if (unclaimed.length > 0) counts.maybeUnclaimed++;
                    else wrong.push(`${packet}: the model says maybe (by ${by}) though every expression is in its claimed syntax; kernel: ${outcomes[i]}`);
                } else if (outcomes[i] !== (pass === "yes" ? "pass" : "drop")) {
                    wrong.push(`${packet}: the model says ${pass} (by ${by}); kernel: ${outcomes[i]}`);
                }
            });
            if (wrong.length > 0) failures.push(`seed ${SEED}, ruleset #${c.index}${unclaimed.length > 0 ? ` (unclaimed: ${unclaimed.join(", ")})` : ""}:\n${text}${wrong.join("\n")}\n`);
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        console.log(`nft model property test: seed ${SEED}, ${cases.length} rulesets (${counts.unclaimedRulesets} with unclaimed expressions), ${counts.probes} probes in ${seconds} s: model yes ${counts.yes}, no ${counts.no}, maybe ${counts.maybe} (${counts.maybeUnclaimed} in rulesets with unclaimed expressions)${COVERAGE ? `; ${counts.matched} of the ${counts.rules} rules reached and matched by some probe` : ""}; ${counts.retried} slow probes tried again`);
        if (failures.length > 0) console.log(failures.join("\n"));
        assert.equal(failures.length, 0, `${failures.length} of ${cases.length} rulesets disagree with the kernel (seed ${SEED}, replay with NFT_PROP_SEED=${SEED}):\n${failures.slice(0, 3).join("\n")}`);
        // Not vacuous: both verdicts were met.
        assert.ok(counts.yes > 0 && counts.no > 0, JSON.stringify(counts));
    });
});
