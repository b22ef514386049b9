// The flow matrix enforced by the Proxmox firewall, on each VM: the endpoints its rules name as the
// VM's own aliases and IP sets (the rules find them first, pve-firewall resolve_alias), one rules
// resource owning its whole list, options (enabled, DROP both ways, MAC and IP filters, logged
// drops) with its `ipfilter-net0` set. Nothing of a unit lives on the datacenter, where Proxmox
// checks Sys.Modify on / and any unit holding it could rewrite another's endpoints; only the one
// stack that owns the datacenter firewall keeps its switch and its `management` IP set there, so
// the nodes stay reachable from the admin network.
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { FlowMatrix, managementSources } from "./flowMatrix";
import { pveObjects, VmEndpoint, vmRules } from "./firewallRules";

export interface FirewalledVm {
    readonly vm: proxmoxve.VmLegacy;
    readonly vmId: number;
    readonly address: string;
    readonly node: string;
}

export interface ProxmoxFirewallArgs {
    readonly matrix: FlowMatrix;
    readonly unit: string;
    readonly vms: Readonly<Record<VmEndpoint, FirewalledVm>>;
    /** Own the datacenter firewall switch and its `management` IP set (one stack per cluster). */
    readonly manageCluster: boolean;
    /** The `management` set exists already: import it instead of creating it. */
    readonly importManagementIpset: boolean;
}

/** The datacenter IP set whose members pve-firewall lets reach the nodes' 8006 and 22 (Firewall.pm, PVEFW-HOST-IN). */
export const MANAGEMENT_IPSET = "management";

export class ProxmoxFirewall extends pulumi.ComponentResource {
    public readonly rules: Readonly<Record<VmEndpoint, proxmoxve.firewall.RulesLegacy>>;
    public readonly options: Readonly<Record<VmEndpoint, proxmoxve.firewall.OptionsLegacy>>;

    constructor(name: string, args: ProxmoxFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:firewall:ProxmoxFirewall", name, {}, opts);
        const perVm = (role: VmEndpoint) => {
            const { vm, vmId, address, node } = args.vms[role];
            const target = { nodeName: node, vmId };
            const objects = pveObjects(args.matrix, args.unit, role);
            const definitions: pulumi.Resource[] = [
                ...objects.aliases.map((a) => new proxmoxve.firewall.AliasLegacy(`${name}-${role}-alias-${a.name}`, { ...target, name: a.name, cidr: a.cidr, comment: a.comment }, { parent: this, dependsOn: [vm] })),
                ...objects.ipsets.map(
                    (s) =>
                        new proxmoxve.firewall.IpsetLegacy(
                            `${name}-${role}-ipset-${s.name}`,
                            { ...target, name: s.name, comment: s.comment, cidrs: s.cidrs.map((cidr) => ({ name: cidr })) },
                            { parent: this, dependsOn: [vm] },
                        ),
                ),
            ];
            // With ipfilter on, the VM may only send from the addresses of this set.
            const ipfilter = new proxmoxve.firewall.IpsetLegacy(
                `${name}-${role}-ipfilter`,
                { ...target, name: "ipfilter-net0", comment: "the only source address net0 may use", cidrs: [{ name: address }] },
                { parent: this, dependsOn: [vm] },
            );
            const rules = new proxmoxve.firewall.RulesLegacy(
                `${name}-${role}-rules`,
                { ...target, rules: vmRules(args.matrix, args.unit, role).map((rule) => ({ ...rule })) },
                { parent: this, dependsOn: [vm, ...definitions] },
            );
            // Switched on last, once its rules exist.
            const options = new proxmoxve.firewall.OptionsLegacy(
                `${name}-${role}-options`,
                {
                    ...target,
                    enabled: true,
                    inputPolicy: "DROP",
                    outputPolicy: "DROP",
                    macfilter: true,
                    ipfilter: true,
                    dhcp: false,
                    ndp: false,
                    radv: false,
                    logLevelIn: "info",
                    logLevelOut: "info",
                },
                { parent: this, dependsOn: [rules, ipfilter] },
            );
            return { rules, options };
        };
        const web = perVm("web");
        const db = perVm("db");
        this.rules = { web: web.rules, db: db.rules };
        this.options = { web: web.options, db: db.options };

        if (args.manageCluster) {
            // Proxmox lets this set reach the nodes' GUI (8006) and SSH once the datacenter firewall is on:
            // the sources of the matrix's flows toward the nodes. Never lose it:
            // - retained on destroy: the provider's delete of the datacenter firewall does nothing (bpg
            //   firewallDelete), so the firewall stays on with input DROP, and only this set still opens the nodes;
            // - members ignored after creation: the provider can only change them by replacing the set,
            //   and its create adopts an existing set without adding entries (bpg ipSetCreate), so a
            //   replacement would never apply them anyway. Changing adminNetwork is a pvesh procedure
            //   (docs/deploying.md: "The datacenter firewall").
            const management = new proxmoxve.firewall.IpsetLegacy(
                `${name}-management`,
                { name: MANAGEMENT_IPSET, comment: "node-management: Proxmox GUI and SSH", cidrs: managementSources(args.matrix).map((cidr) => ({ name: cidr })) },
                { parent: this, retainOnDelete: true, ignoreChanges: ["cidrs"], ...(args.importManagementIpset ? { import: `cluster/${MANAGEMENT_IPSET}` } : {}) },
            );
            new proxmoxve.cluster.FirewallLegacy(
                `${name}-datacenter`,
                { enabled: true, ebtables: true, inputPolicy: "DROP", outputPolicy: "ACCEPT", logRatelimit: { enabled: true, burst: 10, rate: "5/second" } },
                // retainOnDelete says in the graph what the provider does anyway: the switch stays on.
                { parent: this, retainOnDelete: true, dependsOn: [management, web.options, db.options] },
            );
        }
        this.registerOutputs({});
    }
}
