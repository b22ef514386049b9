// IPv4 address sets as sorted, disjoint integer intervals: what a firewall's address matches stand
// for, so that "does this rule cover that network" and "do these networks add up to the whole
// Internet" are answered by arithmetic rather than by comparing strings. Parsing goes through
// ipaddr.js; the interval arithmetic is ours (a few lines no library offers on 32-bit ranges).
import * as ipaddr from "ipaddr.js";
import { memoByText } from "./memo";

/** Inclusive [low, high] over 0..2^32-1. */
export type Interval = readonly [number, number];
export type AddressSet = readonly Interval[];

export const ALL: AddressSet = [[0, 0xffffffff]];
export const NONE: AddressSet = [];

export function toInt(address: string): number {
    return ipaddr.IPv4.parse(address).toByteArray().reduce((n, byte) => n * 256 + byte, 0);
}

export function toAddress(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * One address, a network (a.b.c.d/n, host bits ignored as the kernel does) or a range (a-b), as
 * Proxmox and nftables accept them; undefined when the text is none of these.
 */
// Frozen: the memo shares each interval among its callers.
export const parseAddress = memoByText((text: string) => {
    const interval = parseAddressText(text);
    return interval && (Object.freeze(interval) as Interval);
});

function parseAddressText(text: string): Interval | undefined {
    const value = text.trim();
    try {
        const range = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(value);
        if (range) {
            const [low, high] = [toInt(range[1]), toInt(range[2])];
            return low <= high ? [low, high] : undefined;
        }
        if (value.includes("/")) {
            const [address, bits] = ipaddr.IPv4.parseCIDR(value);
            const size = 2 ** (32 - bits);
            const low = Math.floor(toInt(address.toString()) / size) * size;
            return [low, low + size - 1];
        }
        if (!ipaddr.IPv4.isValidFourPartDecimal(value)) return undefined;
        const n = toInt(value);
        return [n, n];
    } catch {
        return undefined;
    }
}

export function setOf(...texts: string[]): AddressSet {
    return union(...texts.map((t) => {
        const interval = parseAddress(t);
        if (!interval) throw new Error(`not an IPv4 address, network or range: ${t}`);
        return [interval];
    }));
}

export function union(...sets: AddressSet[]): AddressSet {
    const sorted = sets.flat().sort((a, b) => a[0] - b[0]);
    const out: [number, number][] = [];
    for (const [low, high] of sorted) {
        const last = out[out.length - 1];
        if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
        else out.push([low, high]);
    }
    return out;
}

export function subtract(from: AddressSet, remove: AddressSet): AddressSet {
    let current: [number, number][] = from.map(([l, h]) => [l, h]);
    for (const [rl, rh] of remove) {
        current = current.flatMap(([l, h]): [number, number][] => {
            if (rh < l || rl > h) return [[l, h]];
            return [...(rl > l ? [[l, rl - 1] as [number, number]] : []), ...(rh < h ? [[rh + 1, h] as [number, number]] : [])];
        });
    }
    return current;
}

export const intersect = (a: AddressSet, b: AddressSet): AddressSet => subtract(a, subtract(ALL, b));
export const contains = (set: AddressSet, n: number) => set.some(([l, h]) => n >= l && n <= h);
export const isEmpty = (set: AddressSet) => set.length === 0;
export const covers = (set: AddressSet, part: AddressSet) => isEmpty(subtract(part, set));
export const size = (set: AddressSet) => set.reduce((n, [l, h]) => n + h - l + 1, 0);

/** Addresses that are not on the Internet: RFC 1918, loopback, link-local, CGNAT, multicast, reserved, documentation. */
export const NOT_INTERNET = setOf(
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
);
export const INTERNET = subtract(ALL, NOT_INTERNET);
export const PRIVATE = setOf("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16");

/** "a.b.c.d/n" or "a-b" for each interval: for messages. */
export function describe(set: AddressSet, limit = 4): string {
    const parts = set.map(([l, h]) => (l === h ? toAddress(l) : `${toAddress(l)}-${toAddress(h)}`));
    return parts.length > limit ? `${parts.slice(0, limit).join(", ")} and ${parts.length - limit} more ranges` : parts.join(", ");
}

/**
 * `region` cut into pieces on which every set of `partition` is constant: checking one address per
 * piece checks every address of the region (each set holds all of a piece or none of it).
 */
export function pieces(region: AddressSet, partition: readonly AddressSet[]): Interval[] {
    const cuts = new Set<number>();
    for (const [l, h] of [...region, ...partition.flat()]) {
        cuts.add(l);
        if (h < 0xffffffff) cuts.add(h + 1);
    }
    const points = [...cuts].sort((a, b) => a - b);
    return points.flatMap((p, i): Interval[] => {
        if (!contains(region, p)) return [];
        const end = i + 1 < points.length ? points[i + 1] - 1 : 0xffffffff;
        return [[p, end]];
    });
}
