// The stack's network as the firewall policies see it: the Proxmox firewall model, which VM is the
// database's and which the web application's, the server subnet, and the endpoints the program
// declares to the network team. Also the evidence the dossier shows for the firewall requirements.
import { AddressSet, ALL, covers, describe, INTERNET, intersect, setOf, subtract, union } from "../models/ipv4";
import { allowedPeers, declaredEndpoints, FlowProto, HandOffRow, MatrixFlow, matrixFlows, nodeAdministrators } from "../models/handOff";
import { ipsetAddresses, PveFirewall, PveVm, RuleProps } from "../models/proxmoxFirewall";
import { firewallFromResources, ResourceLike, vmCidr } from "../models/pveResources";
import { describeExposure, Exposure, reach, Reach } from "../models/reachability";
import { isApplicationContainer, isDatabaseContainer, TYPES } from "./common";

const DB_PORT = 3306;

export interface StackNetwork {
    readonly fw: PveFirewall;
    readonly db?: PveVm;
    readonly web?: PveVm;
    readonly serverSubnets: AddressSet;
    readonly endpoints: Map<string, AddressSet>;
    /** The hand-off's allowing rows as packets (empty when the stack hands nothing off). */
    readonly flows: readonly MatrixFlow[];
}

const dockerHost = (r: ResourceLike & { provider?: { props: Record<string, any> } }) => /^ssh:\/\/[^@]+@([^:/]+)/.exec(String(r.provider?.props?.host ?? ""))?.[1];

export function stackNetwork(resources: readonly (ResourceLike & { provider?: { props: Record<string, any> } })[]): StackNetwork {
    const fw = firewallFromResources(resources);
    const containers = resources.filter((r) => r.type === TYPES.container);
    const vmOf = (test: (props: Record<string, any>) => boolean) => {
        const address = containers.filter((c) => test(c.props)).map(dockerHost)[0];
        return fw.vms.find((vm) => vm.address !== undefined && vm.address === address);
    };
    const serverSubnets = union(...resources.filter((r) => r.type === TYPES.vm).flatMap((vm) => (vmCidr(vm) ? [setOf(vmCidr(vm)!)] : [])));
    const rows = resources.filter((r) => r.type === TYPES.edgeHandOff).flatMap((h) => (Array.isArray(h.props.rules) ? (h.props.rules as HandOffRow[]) : []));
    const [db, web] = [vmOf(isDatabaseContainer), vmOf(isApplicationContainer)];
    // Both on one VM is cnrs-two-vms' finding; there is then no DB VM to reason about.
    return { fw, db: db === web ? undefined : db, web, serverSubnets, endpoints: declaredEndpoints(rows), flows: matrixFlows(rows) };
}

/** Who must never reach the DB VM: the VPN clients, the lab, and everything outside the server and admin networks. */
export function forbiddenTowardDb(net: StackNetwork): { set: AddressSet; label: string } {
    const named = ["vpnClients", "labSubnet"].flatMap((n) => (net.endpoints.has(n) ? [net.endpoints.get(n)!] : []));
    const set = union(subtract(ALL, union(net.serverSubnets, net.endpoints.get("adminNetwork") ?? [])), ...named);
    return { set, label: "the VPN clients, the lab subnet and every address outside the server and admin networks" };
}

export interface FirewallFinding {
    readonly vm: PveVm;
    readonly statement: string;
    readonly reach: Reach;
    readonly exposures: Exposure[];
}

/** The statements of cnrs-no-access-from-outside, each evaluated on the Proxmox firewall model. */
export function outsideAccessFindings(net: StackNetwork): FirewallFinding[] {
    const findings: FirewallFinding[] = [];
    if (net.db) {
        const forbidden = forbiddenTowardDb(net);
        const r = reach(net.fw, net.db, "in", forbidden.set);
        findings.push({ vm: net.db, statement: `no packet from ${forbidden.label} reaches ${net.db.name} on any port`, reach: r, exposures: r.exposures });
    }
    if (net.web) {
        const edge = net.endpoints.get("edgeFirewall") ?? [];
        const r = reach(net.fw, net.web, "in", subtract(ALL, edge), [443, 443], ["tcp"]);
        findings.push({ vm: net.web, statement: `HTTPS reaches ${net.web.name} only from the edge firewall (${describe(edge) || "not declared"})`, reach: r, exposures: r.exposures });
    }
    for (const vm of net.fw.vms) {
        const r = reach(net.fw, vm, "in", INTERNET);
        findings.push({ vm, statement: `no packet from the Internet reaches ${vm.name} on any port`, reach: r, exposures: r.exposures });
    }
    return findings;
}

/** Plain-language evidence for the dossier: each statement, and how much was evaluated to hold it. */
export function outsideAccessEvidence(resources: Parameters<typeof stackNetwork>[0]): string[] {
    return outsideAccessFindings(stackNetwork(resources)).map(
        (f) => `${f.exposures.length === 0 ? "holds" : "BROKEN"}: ${f.statement} (${f.reach.evidence})`,
    );
}

/**
 * The paper's matrix toward the database, whatever the hand-off adds (extraFlows): row 3 lets the
 * eLabFTW VM reach MySQL (3306/tcp) and row 8 denies the rest; the program adds only the admin
 * network (SSH, and a DBA's extra ports through extraFlows). So: 3306/tcp from the web VM or the
 * admin network, anything else from the admin network alone.
 */
export function lawTowardDb(net: StackNetwork, proto: string, ports: readonly [number, number]): AddressSet {
    const admins = net.endpoints.get("adminNetwork") ?? [];
    const mysqlOnly = proto === "tcp" && ports[0] === DB_PORT && ports[1] === DB_PORT;
    return mysqlOnly && net.web?.address ? union(admins, setOf(net.web.address)) : admins;
}

/** Who may open `proto`/`ports` toward (in) or from (out) a VM: the hand-off's rows, and toward the database the paper's floor too. */
export function matrixAllows(net: StackNetwork, vm: PveVm, direction: "in" | "out", proto: FlowProto, ports: readonly [number, number]): AddressSet {
    const allowed = allowedPeers(net.flows, setOf(vm.address!), direction, proto, ports);
    return direction === "in" && vm === net.db ? intersect(allowed, lawTowardDb(net, proto, ports)) : allowed;
}

/**
 * What a VM's Proxmox rules let through beyond the flow matrix, each direction: packet classes no
 * allowing row of the hand-off covers. Inbound, the peers cnrs-no-access-from-outside decides on
 * are left to it (the Internet; the VPN and lab toward the DB VM; HTTPS toward the web VM).
 */
export function beyondMatrix(net: StackNetwork, vm: PveVm, direction: "in" | "out"): Exposure[] {
    return segmentation(net, vm, direction).exposures;
}

/** beyondMatrix, with how much of the packet space was evaluated (the dossier's evidence). */
export function segmentation(net: StackNetwork, vm: PveVm, direction: "in" | "out"): { exposures: Exposure[]; evidence: string } {
    if (!vm.address || net.flows.length === 0) return { exposures: [], evidence: "nothing to evaluate (no flow matrix handed off)" };
    const self = setOf(vm.address);
    let peers = subtract(ALL, self);
    if (direction === "in") {
        peers = subtract(peers, INTERNET);
        if (vm === net.db) peers = subtract(peers, forbiddenTowardDb(net).set);
    }
    const r = reach(net.fw, vm, direction, peers);
    const exposures = r.exposures.filter((e) => {
        // Inbound, what the model cannot read (an unknown alias, macro or group) is cnrs-no-access-from-outside's "maybe".
        if (direction === "in" && e.pass === "maybe") return false;
        if (direction === "in" && vm === net.web && e.proto === "tcp" && e.ports[0] <= 443 && 443 <= e.ports[1] && e.ports[0] === e.ports[1]) return false;
        return !covers(matrixAllows(net, vm, direction, e.proto, e.ports), [e.peers]);
    });
    return { exposures, evidence: r.evidence };
}


/**
 * Who may reach the Proxmox nodes beyond the matrix's node administrators: the datacenter's
 * `management` IP set (Proxmox accepts the GUI, API and SSH from its members whatever the rules say)
 * and the datacenter's own rules (cluster scope: they filter the nodes), evaluated on the model.
 */
export function nodeAccessBeyondMatrix(net: StackNetwork, datacenterRules: readonly RuleProps[]): { via: string; peers: string }[] {
    if (net.flows.length === 0) return [];
    const admins = nodeAdministrators(net.flows);
    const found: { via: string; peers: string }[] = [];
    for (const set of net.fw.ipsets.filter((s) => s.name === "management" && (s.vmId === undefined || s.vmId === null))) {
        const members = ipsetAddresses(set.cidrs) ?? ALL;
        const extra = subtract(members, admins);
        if (extra.length > 0) found.push({ via: "the datacenter's management IP set", peers: describe(extra) });
    }
    if (datacenterRules.length > 0) {
        const nodes: PveVm = { vmId: -1, name: "the Proxmox nodes", nics: [], options: { enabled: true, inputPolicy: "DROP", outputPolicy: "ACCEPT" }, rules: datacenterRules };
        for (const e of reach(net.fw, nodes, "in", subtract(ALL, admins)).exposures.slice(0, 3)) found.push({ via: "the datacenter's rules", peers: describeExposure(e) });
    }
    return found;
}
