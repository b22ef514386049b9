// The endpoints the program declares to the network team (the edge hand-off's rows: "vpnClients
// (10.8.0.0/16)", "dns (10.20.60.2, 10.20.60.3)"): where the policies learn which addresses are the
// VPN clients, the lab, the admin network and the edge firewall.
import { AddressSet, parseAddress, union } from "./ipv4";

export interface HandOffRow {
    readonly source?: string | null;
    readonly destination?: string | null;
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
