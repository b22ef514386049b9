// The Proxmox VE privileges each resource type of the program needs, as the provider (bpg, through
// @muhlba91/pulumi-proxmoxve) calls the API to create, read, update and delete it. Each grant names
// the permission declaration it comes from, so a reviewer can check it against Proxmox's source.
// `npm run proxmox-acl` derives a stack's API user, roles and ACL from this table and the stack's
// resources; docs/deploying.md shows its output for the example stack (test/privileges.test.ts).

/** Proxmox VE releases the role is written for: 9 renamed VM.Monitor into VM.GuestAgent.* (pve-access-control 9.0.2). */
export const PVE_VERSIONS = ["8.4", "9"] as const;
export type PveVersion = (typeof PVE_VERSIONS)[number];

/** A resource's inputs as the provider receives them (SDK names). */
export type Inputs = Readonly<Record<string, any>>;

export interface Grant {
    /** One privilege, or one per release when a release renamed it. */
    readonly privilege: string | Readonly<Record<PveVersion, string>>;
    /** The ACL path the API checks, as Proxmox's source writes it. */
    readonly path: string;
    /** That path for one resource, from its inputs: where the stack's ACL grants the privilege. */
    readonly on: (inputs: Inputs) => readonly string[];
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

const unique = (paths: Iterable<string>) => [...new Set(paths)];
const ROOT = () => ["/"];
const VM = (i: Inputs) => [`/vms/${i.vmId}`];
const POOL = (i: Inputs) => [`/pool/${i.poolId}`];
const OWN_STORAGE = (i: Inputs) => [`/storage/${i.datastoreId}`];
/** Every storage a VM allocates a volume on: its disks, EFI vars, TPM state and cloud-init drive. */
const VM_VOLUMES = (i: Inputs) =>
    unique([...(i.disks ?? []), i.efiDisk, i.tpmState, i.initialization].filter((d) => d?.datastoreId).map((d) => `/storage/${d.datastoreId}`));
/** The storage of an imported volume given by id (`<storage>:import/<file>`); a downloaded image's storage is the download's. */
const IMPORT_SOURCES = (i: Inputs) =>
    unique((i.disks ?? []).map((d: Inputs) => /^([A-Za-z][\w.-]*):import\//.exec(String(d.importFrom ?? ""))?.[1]).filter(Boolean).map((s: string) => `/storage/${s}`));
/** qemu-server checks a plain bridge in the `localnetwork` zone, on the VLAN's own path when tagged (pve-guest-common GuestHelpers.pm, check_vnet_access). */
const BRIDGES = (i: Inputs) => unique((i.networkDevices ?? []).map((n: Inputs) => `/sdn/zones/localnetwork/${n.bridge}${n.vlanId ? `/${n.vlanId}` : ""}`));
/** Firewall objects live on a VM when they name one, on the datacenter otherwise. */
const ON_VM_FIREWALL = (i: Inputs) => (i.vmId === undefined || i.vmId === null ? [] : VM(i));
const ON_CLUSTER_FIREWALL = (i: Inputs) => (i.vmId === undefined || i.vmId === null ? ROOT() : []);

const vmFirewallObject: readonly Grant[] = [
    { privilege: "VM.Config.Network", path: "/vms/{vmid}", on: ON_VM_FIREWALL, why: "write the VM's firewall rules, options or IP sets", source: `${FIREWALL}, ${FIREWALL_VM}` },
    { privilege: "VM.Audit", path: "/vms/{vmid}", on: ON_VM_FIREWALL, why: "read them back on refresh", source: `${FIREWALL}, ${FIREWALL_VM}` },
];
const clusterFirewallObject: readonly Grant[] = [
    { privilege: "Sys.Modify", path: "/", on: ON_CLUSTER_FIREWALL, why: "write datacenter firewall options, aliases and IP sets", source: `${FIREWALL}, pve-firewall src/PVE/API2/Firewall/Cluster.pm` },
    { privilege: "Sys.Audit", path: "/", on: ON_CLUSTER_FIREWALL, why: "read them back on refresh", source: `${FIREWALL}, pve-firewall src/PVE/API2/Firewall/Cluster.pm` },
];
/** A file the provider lists and deletes through the API (snippets are written over SSH, not through the API). */
const storageFile: readonly Grant[] = [
    { privilege: "Datastore.Audit", path: "/storage/{storage}", on: OWN_STORAGE, why: "list the storage's content on refresh", source: `${STORAGE_CONTENT} (index)` },
    { privilege: "Datastore.Allocate", path: "/storage/{storage}", on: OWN_STORAGE, why: "read the storage's configuration, see its snippets, delete the file on replace or destroy", source: `${STORAGE_CONTENT} (index, delete), pve-storage src/PVE/API2/Storage/Config.pm (read)` },
];

/** Resource type token -> what the provider needs on the cluster for it. */
export const PRIVILEGES: Readonly<Record<string, readonly Grant[]>> = {
    "proxmoxve:index/poolLegacy:PoolLegacy": [
        { privilege: "Pool.Allocate", path: "/pool/{poolid}", on: POOL, why: "create, update and delete the unit's pool", source: "pve-manager PVE/API2/Pool.pm (create_pool)" },
        { privilege: "Pool.Audit", path: "/pool/{poolid}", on: POOL, why: "read the pool on refresh", source: "pve-manager PVE/API2/Pool.pm (read_pool)" },
    ],
    "proxmoxve:index/vmLegacy:VmLegacy": [
        { privilege: "VM.Allocate", path: "/vms/{vmid} or /pool/{pool}", on: VM, why: "create and destroy the VM", source: `${QEMU} (create_vm)` },
        { privilege: "VM.Audit", path: "/vms/{vmid}", on: VM, why: "read its configuration and status", source: QEMU },
        { privilege: "VM.Config.Disk", path: "/vms/{vmid}", on: VM, why: "OS and data disks, EFI disk, TPM state", source: QEMU },
        { privilege: "VM.Config.CDROM", path: "/vms/{vmid}", on: VM, why: "the cloud-init drive is a CD-ROM", source: `${QEMU} (check_drive_perms)` },
        { privilege: "VM.Config.Cloudinit", path: "/vms/{vmid}", on: VM, why: "cloud-init settings and snippets (cicustom)", source: QEMU },
        { privilege: "VM.Config.CPU", path: "/vms/{vmid}", on: VM, why: "cores and CPU type", source: QEMU },
        { privilege: "VM.Config.Memory", path: "/vms/{vmid}", on: VM, why: "memory", source: QEMU },
        { privilege: "VM.Config.Network", path: "/vms/{vmid}", on: VM, why: "the NIC with firewall=1", source: QEMU },
        { privilege: "VM.Config.HWType", path: "/vms/{vmid}", on: VM, why: "OVMF, q35, SCSI controller, serial console", source: QEMU },
        { privilege: "VM.Config.Options", path: "/vms/{vmid}", on: VM, why: "name, tags (checked on /vms/{vmid} only from qemu-server 9.2: assert_tag_permissions), description, onboot, protection, agent", source: QEMU },
        { privilege: "VM.PowerMgmt", path: "/vms/{vmid}", on: VM, why: "start after creation, stop before destroy", source: QEMU },
        { privilege: "VM.Migrate", path: "/vms/{vmid}", on: VM, why: "a changed webNode/dbNode migrates the VM (migrate: true) instead of recreating it", source: `${QEMU} (migrate_vm, migrate_vm_precondition)` },
        {
            privilege: { "8.4": "VM.Monitor", "9": "VM.GuestAgent.Audit" },
            path: "/vms/{vmid}",
            on: VM,
            why: "the provider reads the guest agent's network interfaces on every refresh",
            source: `${AGENT} (network-get-interfaces)`,
        },
        {
            privilege: { "8.4": "VM.Monitor", "9": "VM.GuestAgent.FileRead" },
            path: "/vms/{vmid}",
            on: VM,
            why: "the program reads the VM's SSH host key through the guest agent before its first SSH connection (vm/hostKey.ts)",
            source: `${AGENT} (file-read)`,
        },
        { privilege: "Datastore.AllocateSpace", path: "/storage/{storage}", on: VM_VOLUMES, why: "allocate the VM's volumes", source: `${QEMU} (check_storage_access)` },
        { privilege: "Datastore.Audit", path: "/storage/{storage}", on: VM_VOLUMES, why: "the provider lists the node's storages and reads its volumes' formats", source: `${STORAGE_STATUS} (index), ${STORAGE_CONTENT} (info)` },
        { privilege: "Datastore.Audit", path: "/storage/{storage}", on: IMPORT_SOURCES, why: "import the cloud image given as a volume (cloudImageVolume)", source: "pve-storage src/PVE/Storage.pm (check_volume_access: import volumes)" },
        { privilege: "SDN.Use", path: "/sdn/zones/{zone}/{bridge}[/{vlan}]", on: BRIDGES, why: "attach the NIC to the bridge or VLAN", source: "pve-guest-common src/PVE/GuestHelpers.pm (check_vnet_access)" },
    ],
    "proxmoxve:index/fileLegacy:FileLegacy": storageFile,
    "proxmoxve:download/file:File": [
        { privilege: "Datastore.AllocateTemplate", path: "/storage/{storage}", on: OWN_STORAGE, why: "download-url into the import storage", source: `${STORAGE_STATUS} (download_url)` },
        {
            privilege: "Sys.AccessNetwork",
            path: "/nodes/{node}",
            on: (i) => [`/nodes/${i.nodeName}`],
            why: "download-url and its metadata query reach the network from the node (the alternative, Sys.Audit + Sys.Modify on /, would let the token change the datacenter)",
            source: `${STORAGE_STATUS} (download_url), pve-manager PVE/API2/Nodes.pm (query_url_metadata)`,
        },
        ...storageFile,
    ],
    "proxmoxve:index/haresourceLegacy:HaresourceLegacy": [
        { privilege: "Sys.Console", path: "/", on: ROOT, why: "create, update and delete HA resources", source: "pve-ha-manager src/PVE/API2/HA/Resources.pm" },
        { privilege: "Sys.Audit", path: "/", on: ROOT, why: "read them back", source: "pve-ha-manager src/PVE/API2/HA/Resources.pm" },
    ],
    "proxmoxve:cluster/firewallLegacy:FirewallLegacy": clusterFirewallObject,
    "proxmoxve:firewall/rulesLegacy:RulesLegacy": vmFirewallObject,
    "proxmoxve:firewall/optionsLegacy:OptionsLegacy": vmFirewallObject,
    // Both scopes: each VM's own aliases and IP sets, the datacenter's management set.
    "proxmoxve:firewall/aliasLegacy:AliasLegacy": [...clusterFirewallObject, ...vmFirewallObject],
    "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": [...clusterFirewallObject, ...vmFirewallObject],
};

function privilegeOn(grant: Grant, version: PveVersion): string {
    return typeof grant.privilege === "string" ? grant.privilege : grant.privilege[version];
}

export interface ProxmoxResource {
    readonly type: string;
    readonly inputs: Inputs;
}

/** One ACL line: a role holding exactly what the stack's resources need on that path, not propagated. */
export interface AclEntry {
    readonly path: string;
    readonly role: string;
    readonly privileges: readonly string[];
}

/** The kinds of ACL path, in the order the plan lists them. */
const KINDS: readonly [prefix: string, kind: string][] = [["/", "Cluster"], ["/nodes/", "Node"], ["/pool/", "Pool"], ["/vms/", "Vm"], ["/storage/", "Storage"], ["/sdn/", "Network"]];
const kindIndex = (path: string) => KINDS.findIndex(([prefix]) => (prefix === "/" ? path === "/" : path.startsWith(prefix)));

/**
 * The ACL of a unit's API user: for each path the API checks, the privileges this stack's Proxmox
 * resources need there. Nothing is granted on a path above it (a shared cluster's other VMs and
 * storages stay out of reach), and nothing propagates. An unknown resource type is an error.
 */
export function aclPlan(resources: Iterable<ProxmoxResource>, version: PveVersion, unit: string): AclEntry[] {
    const byPath = new Map<string, Set<string>>();
    for (const { type, inputs } of resources) {
        if (!type.startsWith("proxmoxve:")) continue;
        const grants = PRIVILEGES[type];
        if (!grants) throw new Error(`no privileges known for ${type}: add it to components/vm/privileges.ts`);
        for (const grant of grants) for (const path of grant.on(inputs)) byPath.set(path, (byPath.get(path) ?? new Set()).add(privilegeOn(grant, version)));
    }
    const entries = [...byPath].map(([path, privileges]) => ({ path, kind: KINDS[kindIndex(path)][1], privileges: [...privileges].sort() }));
    // One role per kind of path when its paths need the same privileges (both VMs), one per path otherwise.
    const setsOf = (kind: string) => new Set(entries.filter((e) => e.kind === kind).map((e) => e.privileges.join(" "))).size;
    return entries
        .map(({ path, kind, privileges }) => ({ path, privileges, role: `Elabftw-${unit}-${kind}${setsOf(kind) > 1 ? `-${path.split("/").pop()}` : ""}` }))
        .sort((a, b) => kindIndex(a.path) - kindIndex(b.path) || a.path.localeCompare(b.path, "en", { numeric: true }));
}

/**
 * The pveum commands, for a root shell on one node, that create (or bring up to date) the unit's API
 * user, its roles, its ACL, then its token.
 */
export function pveumScript(stackFile: string, version: PveVersion, user: string, plan: readonly AclEntry[]): string {
    const roles = new Map(plan.map((e) => [e.role, e.privileges.join(" ")]));
    return [
        `# The Proxmox API user of ${stackFile} on Proxmox VE ${version} (npm run proxmox-acl): run as root on one`,
        "# node. Every line but the token's can run again: roles are rewritten, ACL lines replaced.",
        `pveum user add ${user} --comment "elabftw-onprem" 2>/dev/null || pveum user modify ${user} --comment "elabftw-onprem"`,
        'role() { pveum role add "$1" --privs "$2" 2>/dev/null || pveum role modify "$1" --privs "$2"; }',
        ...[...roles].map(([role, privs]) => `role ${role} "${privs}"`),
        ...plan.map((e) => `pveum acl modify ${e.path} --users ${user} --roles ${e.role} --propagate 0`),
        "# Proxmox deletes a VM's ACL when the VM is destroyed, and the pool's with the pool: run the lines",
        "# above again before a stack recreates them. A bridge that is an SDN vnet is checked in its own",
        "# zone: write /sdn/zones/<zone>/<vnet> for /sdn/zones/localnetwork/<bridge>.",
        "# Then the token, whose secret is printed once (--privsep 0: the token holds the user's ACL):",
        `pveum user token add ${user} pulumi --privsep 0`,
        `# export PROXMOX_VE_API_TOKEN='${user}!pulumi=<secret>'`,
    ].join("\n");
}
