// The Proxmox firewall of a stack, read from its resources as the provider holds them (aliases, IP
// sets and security groups of the datacenter or of one guest, each guest's rule list, options and
// NICs, the datacenter switch), for the firewall model. No Pulumi import: plain {type, props}.
import { IpsetEntry, PveFirewall, PveVm, RuleProps } from "./proxmoxFirewall";

export const PVE_TYPES = {
    vm: "proxmoxve:index/vmLegacy:VmLegacy",
    rules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
    options: "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
    ipset: "proxmoxve:firewall/ipsetLegacy:IpsetLegacy",
    alias: "proxmoxve:firewall/aliasLegacy:AliasLegacy",
    group: "proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy",
    datacenter: "proxmoxve:cluster/firewallLegacy:FirewallLegacy",
} as const;

export interface ResourceLike {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, any>;
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** The guest's address and prefix from its cloud-init IP configuration ("10.20.30.11/24"). */
export function vmCidr(vm: ResourceLike): string | undefined {
    const address = vm.props.initialization?.ipConfigs?.[0]?.ipv4?.address;
    return typeof address === "string" && address.includes(".") ? address : undefined;
}

const RULE_FIELDS = ["type", "action", "source", "dest", "proto", "dport", "sport", "macro", "securityGroup", "enabled", "iface", "comment"] as const;

/**
 * A rule as a plain object: the policy engine hands properties behind a proxy that builds a new
 * proxy on every read, and the firewall model reads each field once per packet class. Every field
 * the model reads is read here once (an unknown one still stops the policy, as a later read would).
 */
const plainRule = (rule: RuleProps): RuleProps => Object.fromEntries(RULE_FIELDS.map((field) => [field, rule[field]]));
const plainEntry = (entry: IpsetEntry): IpsetEntry => ({ name: entry.name, nomatch: entry.nomatch });

export function firewallFromResources(resources: readonly ResourceLike[]): PveFirewall {
    const of = (type: string) => resources.filter((r) => r.type === type);
    const vms: PveVm[] = of(PVE_TYPES.vm).map((vm) => {
        const vmId = vm.props.vmId as number;
        const options = of(PVE_TYPES.options).find((o) => o.props.vmId === vmId);
        return {
            vmId,
            name: vm.name,
            address: vmCidr(vm)?.split("/")[0],
            nics: list<{ firewall?: boolean | null }>(vm.props.networkDevices).map((nic) => nic.firewall === true),
            options: options ? { enabled: options.props.enabled, inputPolicy: options.props.inputPolicy, outputPolicy: options.props.outputPolicy, ipfilter: options.props.ipfilter } : undefined,
            rules: of(PVE_TYPES.rules)
                .filter((r) => r.props.vmId === vmId)
                .flatMap((r) => list<RuleProps>(r.props.rules).map(plainRule)),
        };
    });
    const datacenter = of(PVE_TYPES.datacenter)[0];
    return {
        datacenter: datacenter ? { enabled: datacenter.props.enabled, inputPolicy: datacenter.props.inputPolicy, outputPolicy: datacenter.props.outputPolicy } : undefined,
        aliases: of(PVE_TYPES.alias).map((a) => ({ name: String(a.props.name ?? ""), cidr: String(a.props.cidr ?? ""), vmId: a.props.vmId })),
        ipsets: of(PVE_TYPES.ipset).map((s) => ({ name: String(s.props.name ?? ""), cidrs: list<IpsetEntry>(s.props.cidrs).map(plainEntry), vmId: s.props.vmId })),
        groups: of(PVE_TYPES.group).map((g) => ({ name: String(g.props.name ?? ""), rules: list<RuleProps>(g.props.rules).map(plainRule) })),
        vms,
    };
}
