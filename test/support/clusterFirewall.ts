// What the datacenter firewall of a cluster lets reach its nodes, and what the program's cluster-level
// resources leave behind after `pulumi up` and `pulumi destroy`, as Proxmox and the provider behave:
// - pve-firewall (src/PVE/Firewall.pm, PVEFW-HOST-IN): with the datacenter firewall off every packet
//   reaches the node; on, the members of the `management` IP set reach 8006, 22, 3128, 5900-5999
//   and 60000-60050, the cluster's own network is always added to that set, other packets meet the
//   input policy (no host or datacenter rules here: the program writes none);
// - bpg: deleting `cluster.FirewallLegacy` does nothing (firewallDelete), deleting an IP set removes
//   it, creating an IP set that exists adopts it without adding entries (ipSetCreate);
// - Pulumi: a resource with retainOnDelete is left on the cluster by a destroy.
import { CapturedResource } from "../../tools/offline/mockEngine";
import { addressInNetwork } from "../../components/network/addresses";

export interface ClusterFirewall {
    enabled: boolean;
    inputPolicy: string;
    readonly ipsets: Map<string, string[]>;
    /** The cluster's own network (corosync/local_network), which pve-firewall always lets in. */
    readonly localNetwork: string;
}

const MANAGEMENT_PORTS = [8006, 22, 3128, ...range(5900, 5999), ...range(60000, 60050)];
function range(low: number, high: number): number[] {
    return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}

/** Does a TCP packet from `source` reach `port` on a node? */
export function nodeAccepts(cluster: ClusterFirewall, source: string, port: number): boolean {
    if (!cluster.enabled) return true;
    const management = [...(cluster.ipsets.get("management") ?? []), cluster.localNetwork];
    const inSet = management.some((cidr) => (cidr.includes("/") ? addressInNetwork(source, cidr) : cidr === source));
    if (inSet && MANAGEMENT_PORTS.includes(port)) return true;
    return cluster.inputPolicy === "ACCEPT";
}

const FIREWALL = "proxmoxve:cluster/firewallLegacy:FirewallLegacy";
const IPSET = "proxmoxve:firewall/ipsetLegacy:IpsetLegacy";
const clusterLevel = (r: CapturedResource) => (r.type === FIREWALL || r.type === IPSET) && r.inputs.vmId === undefined;

/** `pulumi up` of a stack's graph: its cluster-level firewall resources applied to the cluster. */
export function up(cluster: ClusterFirewall, resources: readonly CapturedResource[]): void {
    for (const r of resources.filter(clusterLevel)) {
        if (r.type === FIREWALL) {
            cluster.enabled = r.inputs.enabled === true;
            cluster.inputPolicy = r.inputs.inputPolicy ?? "DROP";
        } else if (!cluster.ipsets.has(r.inputs.name)) {
            cluster.ipsets.set(r.inputs.name, r.inputs.cidrs.map((c: { name: string }) => c.name));
        }
    }
}

/** `pulumi destroy` of that stack: what the provider deletes, unless Pulumi retains it. */
export function destroy(cluster: ClusterFirewall, resources: readonly CapturedResource[]): void {
    for (const r of resources.filter(clusterLevel)) {
        if (r.retainOnDelete || r.type === FIREWALL) continue;
        cluster.ipsets.delete(r.inputs.name);
    }
}
