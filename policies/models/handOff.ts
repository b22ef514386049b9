// The endpoints the program declares to the network team (the edge hand-off's rows: "vpnClients
// (10.8.0.0/16)", "dns (10.20.60.2, 10.20.60.3)"): where the policies learn which addresses are the
// VPN clients, the lab, the admin network and the edge firewall.
import { ALL, AddressSet, describe, isEmpty, parseAddress, PRIVATE, subtract, union } from "./ipv4";

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
export function cellAddresses(cell: string): AddressSet | undefined {
    let set: AddressSet = [];
    let known = false;
    const rest = cell.replace(/(\w+) \(([^)]*)\)/g, (_, _name: string, list: string) => {
        for (const a of list.split(",")) {
            const interval = parseAddress(a.trim());
            if (interval) set = union(set, [interval]);
        }
        known = true;
        return "";
    });
    for (const token of rest.split(/[,\s]+/).filter(Boolean)) {
        if (/^(any|all|\*|internet|everyone|0\/0)$/i.test(token)) return ALL;
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
