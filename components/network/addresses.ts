// IPv4 address and CIDR arithmetic on top of ipaddr.js (no hand-rolled bit twiddling).
import * as ipaddr from "ipaddr.js";

export type Cidr = [ipaddr.IPv4, number];

/** True when `text` is a dotted-quad IPv4 address ("10.0.0.1", not "10.1" or "::1"). */
export function isIpv4(text: string): boolean {
    return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** True when `text` is an IPv4 network in CIDR form whose host bits are zero ("10.0.0.0/24"). */
export function isIpv4Network(text: string): boolean {
    if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return false;
    const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
    return ipaddr.IPv4.networkAddressFromCIDR(text).toString() === address.toString() && prefix > 0;
}

export function parseNetwork(text: string): Cidr {
    return ipaddr.IPv4.parseCIDR(text);
}

export function prefixLength(network: string): number {
    return parseNetwork(network)[1];
}

/** The address is inside the network and is neither its network nor its broadcast address. */
export function isUsableHostIn(address: string, network: string): boolean {
    const ip = ipaddr.IPv4.parse(address);
    const cidr = parseNetwork(network);
    if (!ip.match(cidr)) return false;
    if (cidr[1] >= 31) return true;
    const first = ipaddr.IPv4.networkAddressFromCIDR(network).toString();
    const last = ipaddr.IPv4.broadcastAddressFromCIDR(network).toString();
    return address !== first && address !== last;
}

/** Two networks overlap when either contains the other's network address. */
export function networksOverlap(a: string, b: string): boolean {
    const [addrA, lenA] = parseNetwork(a);
    const [addrB, lenB] = parseNetwork(b);
    return addrA.match(addrB, lenB) || addrB.match(addrA, lenA);
}

export function addressInNetwork(address: string, network: string): boolean {
    return ipaddr.IPv4.parse(address).match(parseNetwork(network));
}

/** Publicly routable unicast (not RFC 1918, CGNAT, loopback, link-local, reserved...). */
export function isPublicAddress(address: string): boolean {
    return ipaddr.IPv4.parse(address).range() === "unicast";
}

const DOCUMENTATION_NETWORKS = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

/** RFC 5737 TEST-NET addresses, reserved for examples and documentation. */
export function isDocumentationAddress(address: string): boolean {
    return DOCUMENTATION_NETWORKS.some((network) => addressInNetwork(address, network));
}
