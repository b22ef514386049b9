// The Proxmox VE privileges each resource type of the program needs, as the provider (bpg, through
// @muhlba91/pulumi-proxmoxve) calls the API to create, read, update and delete it. Each grant names
// the permission declaration it comes from, so a reviewer can check it against Proxmox's source.
// The API role in docs/deploying.md is derived from this table (test/privileges.test.ts).

/** Proxmox VE releases the role is written for: 9 renamed VM.Monitor into VM.GuestAgent.* (pve-access-control 9.0.2). */
export const PVE_VERSIONS = ["8.4", "9"] as const;
export type PveVersion = (typeof PVE_VERSIONS)[number];

export interface Grant {
    /** One privilege, or one per release when a release renamed it. */
    readonly privilege: string | Readonly<Record<PveVersion, string>>;
    /** The ACL path the API checks (the role is granted on /, which covers them all). */
    readonly path: string;
    readonly why: string;
    /** Where Proxmox declares the check: repository and file. */
    readonly source: string;
}

const QEMU = "qemu-server src/PVE/API2/Qemu.pm";
const AGENT = "qemu-server src/PVE/API2/Qemu/Agent.pm";
const STORAGE_STATUS = "pve-storage src/PVE/API2/Storage/Status.pm";
const STORAGE_CONTENT = "pve-storage src/PVE/API2/Storage/Content.pm";
const FIREWALL = "pve-firewall src/PVE/Firewall.pm (rules_modify_permissions, rules_audit_permissions)";
const FIREWALL_VM = "pve-firewall src/PVE/API2/Firewall/VM.pm";

const vmFirewallObject: readonly Grant[] = [
    { privilege: "VM.Config.Network", path: "/vms/{vmid}", why: "write the VM's firewall rules, options or IP sets", source: `${FIREWALL}, ${FIREWALL_VM}` },
    { privilege: "VM.Audit", path: "/vms/{vmid}", why: "read them back on refresh", source: `${FIREWALL}, ${FIREWALL_VM}` },
];
const clusterFirewallObject: readonly Grant[] = [
    { privilege: "Sys.Modify", path: "/", why: "write datacenter firewall options, aliases and IP sets", source: `${FIREWALL}, pve-firewall src/PVE/API2/Firewall/Cluster.pm` },
    { privilege: "Sys.Audit", path: "/", why: "read them back on refresh", source: `${FIREWALL}, pve-firewall src/PVE/API2/Firewall/Cluster.pm` },
];
/** A file the provider lists and deletes through the API (snippets are written over SSH, not through the API). */
const storageFile: readonly Grant[] = [
    { privilege: "Datastore.Audit", path: "/storage/{storage}", why: "list the storage's content on refresh", source: `${STORAGE_CONTENT} (index)` },
    { privilege: "Datastore.Allocate", path: "/storage/{storage}", why: "delete the file on replace or destroy", source: `${STORAGE_CONTENT} (delete)` },
];

/** Resource type token -> what the provider needs on the cluster for it. */
export const PRIVILEGES: Readonly<Record<string, readonly Grant[]>> = {
    "proxmoxve:index/poolLegacy:PoolLegacy": [
        { privilege: "Pool.Allocate", path: "/pool/{poolid}", why: "create, update and delete the unit's pool", source: "pve-manager PVE/API2/Pool.pm (create_pool)" },
        { privilege: "Pool.Audit", path: "/pool/{poolid}", why: "read the pool on refresh", source: "pve-manager PVE/API2/Pool.pm (read_pool)" },
    ],
    "proxmoxve:index/vmLegacy:VmLegacy": [
        { privilege: "VM.Allocate", path: "/vms/{vmid} or /pool/{pool}", why: "create and destroy the VM", source: `${QEMU} (create_vm)` },
        { privilege: "VM.Audit", path: "/vms/{vmid}", why: "read its configuration and status", source: QEMU },
        { privilege: "VM.Config.Disk", path: "/vms/{vmid}", why: "OS and data disks, EFI disk, TPM state", source: QEMU },
        { privilege: "VM.Config.CDROM", path: "/vms/{vmid}", why: "the cloud-init drive is a CD-ROM", source: `${QEMU} (check_drive_perms)` },
        { privilege: "VM.Config.Cloudinit", path: "/vms/{vmid}", why: "cloud-init settings and snippets (cicustom)", source: QEMU },
        { privilege: "VM.Config.CPU", path: "/vms/{vmid}", why: "cores and CPU type", source: QEMU },
        { privilege: "VM.Config.Memory", path: "/vms/{vmid}", why: "memory", source: QEMU },
        { privilege: "VM.Config.Network", path: "/vms/{vmid}", why: "the NIC with firewall=1", source: QEMU },
        { privilege: "VM.Config.HWType", path: "/vms/{vmid}", why: "OVMF, q35, SCSI controller, serial console", source: QEMU },
        { privilege: "VM.Config.Options", path: "/vms/{vmid}", why: "name, tags, description, onboot, protection, agent", source: QEMU },
        { privilege: "VM.PowerMgmt", path: "/vms/{vmid}", why: "start after creation, stop before destroy", source: QEMU },
        {
            privilege: { "8.4": "VM.Monitor", "9": "VM.GuestAgent.Audit" },
            path: "/vms/{vmid}",
            why: "the provider reads the guest agent's network interfaces on every refresh",
            source: `${AGENT} (network-get-interfaces)`,
        },
        {
            privilege: { "8.4": "VM.Monitor", "9": "VM.GuestAgent.FileRead" },
            path: "/vms/{vmid}",
            why: "the program reads the VM's SSH host key through the guest agent before its first SSH connection (vm/hostKey.ts)",
            source: `${AGENT} (file-read)`,
        },
        { privilege: "Datastore.AllocateSpace", path: "/storage/{storage}", why: "allocate the VM's volumes, import the cloud image", source: `${QEMU}, pve-storage src/PVE/Storage.pm (check_volume_access)` },
        { privilege: "Datastore.Audit", path: "/storage/{storage}", why: "the provider lists the node's storages", source: `${STORAGE_STATUS} (index)` },
        { privilege: "SDN.Use", path: "/sdn/zones/{zone}/{bridge}", why: "attach the NIC to the bridge or VLAN", source: `${QEMU} (create_vm: "SDN.Use on any used bridge/vlan")` },
    ],
    "proxmoxve:index/fileLegacy:FileLegacy": storageFile,
    "proxmoxve:download/file:File": [
        { privilege: "Datastore.AllocateTemplate", path: "/storage/{storage}", why: "download-url into the import storage", source: `${STORAGE_STATUS} (download_url)` },
        { privilege: "Sys.Audit", path: "/", why: "download-url probes the node's network (or Sys.AccessNetwork on /nodes/{node})", source: `${STORAGE_STATUS} (download_url)` },
        { privilege: "Sys.Modify", path: "/", why: "as Sys.Audit: both are required together", source: `${STORAGE_STATUS} (download_url)` },
        ...storageFile,
    ],
    "proxmoxve:index/haresourceLegacy:HaresourceLegacy": [
        { privilege: "Sys.Console", path: "/", why: "create, update and delete HA resources", source: "pve-ha-manager src/PVE/API2/HA/Resources.pm" },
        { privilege: "Sys.Audit", path: "/", why: "read them back", source: "pve-ha-manager src/PVE/API2/HA/Resources.pm" },
    ],
    "proxmoxve:firewall/aliasLegacy:AliasLegacy": clusterFirewallObject,
    "proxmoxve:cluster/firewallLegacy:FirewallLegacy": clusterFirewallObject,
    "proxmoxve:firewall/rulesLegacy:RulesLegacy": vmFirewallObject,
    "proxmoxve:firewall/optionsLegacy:OptionsLegacy": vmFirewallObject,
    // Both scopes: the unit's cluster IP sets and each VM's ipfilter-net0.
    "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": [...clusterFirewallObject, ...vmFirewallObject],
};

function privilegeOn(grant: Grant, version: PveVersion): string {
    return typeof grant.privilege === "string" ? grant.privilege : grant.privilege[version];
}

/** The role's privileges for the Proxmox resource types a program creates; an unknown type is an error. */
export function rolePrivileges(types: Iterable<string>, version: PveVersion): string[] {
    const privileges = new Set<string>();
    for (const type of types) {
        if (!type.startsWith("proxmoxve:") || type.startsWith("pulumi:providers:")) continue;
        const grants = PRIVILEGES[type];
        if (!grants) throw new Error(`no privileges known for ${type}: add it to components/vm/privileges.ts`);
        for (const grant of grants) privileges.add(privilegeOn(grant, version));
    }
    return [...privileges].sort();
}
