// Stand-in for the pulumi-resource-proxmoxve plugin 8.6.0 (what @muhlba91/pulumi-proxmoxve 8.6.0
// asks for). The real one is bridged from bpg/terraform-provider-proxmox in
// github.com/muhlba91/pulumi-proxmoxve/provider, by commit only, and the Go module proxy reachable
// here refuses that module (403, see tools/pulumi-toolchain/README.md). Run by
// .toolchain/plugins/resource-proxmoxve-v8.6.0/ (tools/pulumi-toolchain/build.sh).
//
// Reproduces, without any Proxmox VE cluster (the configuration, endpoint and token included, is
// accepted and never used: no API call, in preview or otherwise):
//   - a bridged provider's state for every resource type of the package: every property of the
//     type (from the installed SDK), `null` for unset optionals;
//   - in preview of a create, output-only properties (VmLegacy ipv4Addresses, ipv6Addresses,
//     networkInterfaceNames, ...) and the Optional+Computed inputs listed below are unknown;
//   - after create: VmLegacy id = vmId (given, or the next free one from 100 in this process),
//     macAddresses from networkDevices (or generated BC:24:11:xx:xx:xx, Proxmox's prefix),
//     ipv4Addresses/ipv6Addresses/networkInterfaceNames as a VM without a guest agent reports
//     them (empty lists); PoolLegacy id = poolId; IpsetLegacy/AliasLegacy id = name; other types
//     a generated id;
//   - replacement for the inputs pulumi-proxmoxve's schema marks willReplaceOnChanges (VmLegacy
//     amdSev, IpsetLegacy cidrs, PoolLegacy poolId, FileLegacy contentType, datastoreId,
//     fileMode, nodeName, sourceFile, sourceRaw).
//   - firewall rules as bpg's schema defaults them (proxmoxtf/resource/firewall/rules.go): every
//     unset optional string of a rule is `""` (a rule without dport reads dport "", every port) and
//     enabled is true, in Check's inputs as the SDKv2 bridge puts defaults there, so in the state.
// Does not: the replacements bpg's provider decides at plan time beyond the schema (for example a
// changed cloud-init user-data file on a VM), validation of the API's rules, invokes (get* functions).
import { randomUUID } from "node:crypto";
import { serve, type Props, type TypeSpec } from "./lib/standIn";

let nextVmId = 100;

function mac(): string {
    const b = [...crypto.getRandomValues(new Uint8Array(3))].map((x) => x.toString(16).padStart(2, "0").toUpperCase());
    return `BC:24:11:${b.join(":")}`;
}

/** bpg's Default of each optional field of a firewall rule (dv* constants of rules.go). */
const RULE_DEFAULTS: Props = { comment: "", dest: "", dport: "", enabled: true, iface: "", log: "", macro: "", proto: "", securityGroup: "", source: "", sport: "" };
/** A rule sent as a plain object (not a secret or unknown as a whole). */
const isPlainObject = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v) && !("4dabf18193072939515e22adb298388d" in v);
function ruleWithDefaults(rule: Props): Props {
    const out: Props = { ...rule };
    for (const [k, v] of Object.entries(RULE_DEFAULTS)) if (out[k] === undefined || out[k] === null) out[k] = v;
    return out;
}

const generic: TypeSpec = {
    create: () => ({ id: randomUUID(), outs: {} }),
};

serve({
    name: "proxmoxve",
    version: "8.6.0",
    npmPackage: "@muhlba91/pulumi-proxmoxve",
    types: {
        "proxmoxve:index/vmLegacy:VmLegacy": {
            computed: ["bootOrders", "hotplug", "macAddresses", "name", "vga", "vmId"],
            replaceOnChanges: ["amdSev"],
            // network_device.mac_address is Optional+Computed in bpg's schema: left unset, the plan
            // keeps the MAC Proxmox generated (no diff, no change of the NIC).
            carryComputed(olds, news) {
                const before = Array.isArray(olds.networkDevices) ? (olds.networkDevices as Props[]) : [];
                if (!Array.isArray(news.networkDevices)) return news;
                const devices = (news.networkDevices as Props[]).map((d, k) =>
                    d && (d.macAddress === undefined || d.macAddress === null || d.macAddress === "") && before[k]?.macAddress ? { ...d, macAddress: before[k].macAddress } : d,
                );
                return { ...news, networkDevices: devices };
            },
            create(inputs) {
                const vmId = typeof inputs.vmId === "number" ? inputs.vmId : nextVmId++;
                const devices = Array.isArray(inputs.networkDevices) ? (inputs.networkDevices as Props[]) : [];
                const macs = devices.map((d) => (typeof d.macAddress === "string" && d.macAddress !== "" ? d.macAddress : mac()));
                return {
                    id: String(vmId),
                    outs: {
                        vmId,
                        name: inputs.name ?? `VM ${vmId}`,
                        macAddresses: macs,
                        networkDevices: devices.map((d, k) => ({ ...d, macAddress: macs[k] })),
                        ipv4Addresses: [],
                        ipv6Addresses: [],
                        networkInterfaceNames: [],
                    },
                };
            },
        },
        "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": {
            computed: ["name"],
            replaceOnChanges: ["cidrs"],
            create: (inputs) => ({ id: String(inputs.name ?? randomUUID()), outs: {} }),
        },
        "proxmoxve:firewall/aliasLegacy:AliasLegacy": {
            computed: ["name"],
            create: (inputs) => ({ id: String(inputs.name ?? randomUUID()), outs: {} }),
        },
        "proxmoxve:firewall/rulesLegacy:RulesLegacy": {
            normalize(inputs) {
                if (!Array.isArray(inputs.rules)) return inputs;
                return { ...inputs, rules: inputs.rules.map((r) => (isPlainObject(r) ? ruleWithDefaults(r) : r)) };
            },
            create: generic.create,
        },
        "proxmoxve:index/poolLegacy:PoolLegacy": {
            replaceOnChanges: ["poolId"],
            create: (inputs) => ({ id: String(inputs.poolId), outs: {} }),
        },
        "proxmoxve:index/fileLegacy:FileLegacy": {
            computed: ["contentType"],
            replaceOnChanges: ["contentType", "datastoreId", "fileMode", "nodeName", "sourceFile", "sourceRaw"],
            create(inputs) {
                const raw = inputs.sourceRaw as Props | undefined;
                const file = (inputs.sourceFile as Props | undefined)?.fileName ?? raw?.fileName ?? "file";
                const contentType = inputs.contentType ?? "snippets";
                return { id: `${inputs.datastoreId}:${contentType}/${file}`, outs: { contentType, fileName: file } };
            },
        },
        "proxmoxve:download/file:File": {
            computed: ["fileName", "overwrite", "overwriteUnmanaged", "uploadTimeout", "verify"],
            create(inputs) {
                const fileName = inputs.fileName ?? String(inputs.url ?? "file").split("/").pop();
                return {
                    id: `${inputs.datastoreId}:${inputs.contentType}/${fileName}`,
                    outs: { fileName, overwrite: inputs.overwrite ?? true, overwriteUnmanaged: inputs.overwriteUnmanaged ?? false, uploadTimeout: inputs.uploadTimeout ?? 600, verify: inputs.verify ?? true, size: 0 },
                };
            },
        },
        "*": generic,
    },
});
