// Proxmox VE's permissions as pveum evaluates them (pve-access-control, PVE/AccessControl.pm and the
// admin guide's "User Management"): an ACL gives a role (a set of privileges) on a path to a user,
// group or token; it applies to that path and, with propagate (the default), to every path below;
// a pool's ACL applies to the pool's members. Privileges that give a copy of a VM's volumes or its
// memory (VM.Backup, VM.Clone, VM.Migrate, VM.Snapshot, VM.Config.Disk, VM.Monitor), a console on it
// (VM.Console) or on the node (Sys.Console), or the storages' volumes (Datastore.Allocate*) hand out
// what the LUKS data disk protects: the vTPM state travels with a backup, clone or migration and
// opens the disk wherever the copy boots.

/** The built-in roles of Proxmox VE 8 and the privileges that matter here (pve-access-control's RoleDefinitions). */
const BUILT_IN: Readonly<Record<string, readonly string[]>> = {
    Administrator: ["*"],
    PVEAdmin: ["VM.*", "Datastore.*", "Sys.Console", "Pool.*"],
    PVEVMAdmin: ["VM.*"],
    PVEVMUser: ["VM.Audit", "VM.Backup", "VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.PowerMgmt"],
    PVETemplateUser: ["VM.Audit", "VM.Clone"],
    PVEDatastoreAdmin: ["Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"],
    PVEDatastoreUser: ["Datastore.AllocateSpace", "Datastore.Audit"],
    PVESysAdmin: ["Sys.*"],
    PVEPoolAdmin: ["Pool.Allocate", "Pool.Audit"],
    PVEPoolUser: ["Pool.Audit"],
    PVEAuditor: ["VM.Audit", "Datastore.Audit", "Sys.Audit", "Pool.Audit"],
    NoAccess: [],
};

export const SENSITIVE_PRIVILEGES = ["VM.Backup", "VM.Clone", "VM.Migrate", "VM.Snapshot", "VM.Config.Disk", "VM.Monitor", "VM.Console", "Sys.Console", "Datastore.Allocate", "Datastore.AllocateSpace"] as const;

/** The privileges of a role: a built-in one, or one the stack defines (`custom`). Unknown roles: undefined. */
export function rolePrivileges(role: string, custom: ReadonlyMap<string, readonly string[]>): readonly string[] | undefined {
    return custom.get(role) ?? BUILT_IN[role];
}

const grants = (privileges: readonly string[], wanted: string) => privileges.some((p) => p === "*" || p === wanted || (p.endsWith(".*") && wanted.startsWith(p.slice(0, -1))));

/** The sensitive privileges a role grants. */
export const sensitiveGrants = (privileges: readonly string[]) => SENSITIVE_PRIVILEGES.filter((p) => grants(privileges, p));

export interface Guarded {
    readonly vmIds: readonly number[];
    readonly pools: readonly string[];
    readonly storages: readonly string[];
}

/**
 * The sensitive privileges an ACL on `path` (with `propagate`) gives over the stack's VMs, pool,
 * storages or nodes: VM privileges where it reaches a VM or the pool, Datastore ones where it
 * reaches a storage, Sys.Console on a node.
 */
export function grantedOver(path: string, propagate: boolean, privileges: readonly string[], guarded: Guarded): string[] {
    const clean = path.replace(/\/+$/, "") || "/";
    const covers = (target: string) => clean === target || (propagate && (clean === "/" || target.startsWith(`${clean}/`)));
    const granted = sensitiveGrants(privileges);
    const onVm = [...guarded.vmIds.map((id) => `/vms/${id}`), ...guarded.pools.map((p) => `/pool/${p}`)].some(covers);
    const onStorage = guarded.storages.map((s) => `/storage/${s}`).some(covers);
    const onNode = clean === "/" || clean === "/nodes" || clean.startsWith("/nodes/");
    return granted.filter((p) => (p.startsWith("VM.") && onVm) || (p.startsWith("Datastore.") && onStorage) || (p === "Sys.Console" && onNode));
}
