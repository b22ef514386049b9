// Every packet class a guest's Proxmox firewall can tell apart, evaluated: the peers' address space
// is cut where any rule's address set starts or ends, the ports where any rule's port range does,
// so one packet per piece stands for all of them. The result is exact for what the model reads and
// says how much was evaluated ("14 endpoints x 13 ports").
import { AddressSet, describe, Interval, pieces, union } from "./ipv4";
import { Direction, guestRules, guestVerdict, ifaces, parsePorts, Proto, PveFirewall, PveVm, resolveAddresses, Tri } from "./proxmoxFirewall";

export interface Exposure {
    readonly peers: Interval;
    readonly proto: Proto;
    readonly ports: Interval;
    readonly pass: Tri;
    readonly by: string;
}

export interface Reach {
    readonly exposures: Exposure[];
    readonly endpoints: number;
    readonly ports: number;
    /** "N endpoints x M ports evaluated", for evidence. */
    readonly evidence: string;
}

const PROTOS: readonly Proto[] = ["tcp", "udp", "icmp"];

function portPieces(fw: PveFirewall, vm: PveVm, range: Interval): Interval[] {
    const cuts = new Set<number>([range[0]]);
    for (const entry of guestRules(fw, vm)) {
        if (!("rule" in entry)) continue;
        for (const [l, h] of parsePorts(entry.rule.dport) ?? []) {
            cuts.add(l);
            cuts.add(h + 1);
        }
    }
    const points = [...cuts].filter((p) => p >= range[0] && p <= range[1]).sort((a, b) => a - b);
    return points.map((p, i) => [p, i + 1 < points.length ? points[i + 1] - 1 : range[1]]);
}

function addressPartition(fw: PveFirewall, vm: PveVm, direction: Direction): AddressSet[] {
    return guestRules(fw, vm).flatMap((entry) => {
        if (!("rule" in entry)) return [];
        const set = resolveAddresses(fw, vm.vmId, direction === "in" ? entry.rule.source : entry.rule.dest);
        return set ? [set] : [];
    });
}

/** Which packets between `peers` and the guest pass its firewall in `direction` (every NIC, every protocol, `portRange`). */
export function reach(fw: PveFirewall, vm: PveVm, direction: Direction, peers: AddressSet, portRange: Interval = [1, 65535], protos: readonly Proto[] = PROTOS): Reach {
    const peerPieces = pieces(peers, addressPartition(fw, vm, direction));
    const ports = portPieces(fw, vm, portRange);
    const exposures: Exposure[] = [];
    for (const peer of peerPieces) {
        for (const proto of protos) {
            for (const portPiece of proto === "icmp" ? [[0, 0] as Interval] : ports) {
                for (const iface of ifaces(vm)) {
                    const verdict = guestVerdict(fw, vm, direction, { peer: peer[0], proto, dport: portPiece[0], iface });
                    if (verdict.pass !== "no") {
                        exposures.push({ peers: peer, proto, ports: portPiece, pass: verdict.pass, by: verdict.by });
                        break;
                    }
                }
            }
        }
    }
    return { exposures, endpoints: peerPieces.length, ports: ports.length, evidence: `${peerPieces.length} endpoints × ${ports.length} ports × ${protos.length} protocols evaluated` };
}

/** The peers that may exchange `proto`/`port` with the guest. */
export function passingPeers(reachResult: Reach, proto: Proto, port: number): AddressSet {
    return union(...reachResult.exposures.filter((e) => e.proto === proto && port >= e.ports[0] && port <= e.ports[1]).map((e) => [e.peers]));
}

/** "10.8.0.0-10.8.255.255 tcp/3306 (rule 4 "extra-1: ...")", for messages. */
export function describeExposure(e: Exposure): string {
    const ports = e.proto === "icmp" ? "icmp" : e.ports[0] === e.ports[1] ? `${e.proto}/${e.ports[0]}` : `${e.proto}/${e.ports[0]}-${e.ports[1]}`;
    return `${describe([e.peers])} ${ports}${e.pass === "maybe" ? " (maybe)" : ""} through ${e.by}`;
}
