// Checks across VM keys: IDs, nodes, storages, disk encryption and the cloud image.
import { STORAGE_KINDS } from "../keys";
import { CrossCheck, placements } from "../parsed";

/** The volume kinds another node needs to start a VM that HA moved there. */
export const HA_KINDS = ["os", "data", "efi", "tpm", "cloudinit", "snippets"] as const;

export const VMS_CHECKS: readonly CrossCheck[] = [
    {
        // Production keeps both firewall layers: the in-guest nftables layer is the one that still
        // holds when a Proxmox rule, IP set or security group is widened by mistake.
        reads: ["stackKind", "guestFirewall"],
        check: (c, problem) => {
            if (c.stackKind === "production" && !c.guestFirewall) problem("guestFirewall", "is false on a production stack: the VMs would have no in-guest nftables layer behind the Proxmox firewall");
        },
    },
    {
        reads: ["webVmId", "dbVmId"],
        check: (c, problem) => {
            if (c.webVmId === c.dbVmId) problem("dbVmId", "is the same VM ID as webVmId: each VM needs its own ID");
        },
    },
    {
        reads: ["webVmId", "dbVmId", "vmIdRange"],
        check: (c, problem) => {
            if (!c.vmIdRange) return;
            const [first, last] = c.vmIdRange.split("-").map(Number);
            for (const key of ["webVmId", "dbVmId"] as const) {
                if (c[key] < first || c[key] > last) problem(key, `is outside the unit's vmIdRange ${c.vmIdRange}`);
            }
        },
    },
    {
        reads: ["proxmoxNode", "webNode", "dbNode", "clusterNodes", "allowSameNode"],
        check: (c, problem) => {
            const web = c.webNode ?? c.proxmoxNode;
            const db = c.dbNode ?? c.proxmoxNode;
            if (c.clusterNodes.length > 0) {
                for (const [key, node] of [["webNode", web], ["dbNode", db]] as const) {
                    if (!c.clusterNodes.includes(node)) problem(key, `puts the VM on ${node}, which is not in clusterNodes (${c.clusterNodes.join(", ")})`);
                }
            }
            if (c.clusterNodes.length >= 2 && web === db && !c.allowSameNode) {
                problem("dbNode", `puts the MySQL VM on ${db}, the eLabFTW VM's node, on a cluster of ${c.clusterNodes.length} nodes: one node's failure would stop both (or set allowSameNode true)`);
            }
        },
    },
    {
        reads: ["datastores"],
        check: (c, problem) => {
            const placed = placements(c.datastores);
            for (const kind of STORAGE_KINDS) {
                const ids = placed.get(kind) ?? [];
                if (ids.length === 0) problem("datastores", `leaves the "${kind}" kind unplaced: add it to one entry`);
                if (ids.length > 1) problem("datastores", `places the "${kind}" kind on several storages (${ids.join(", ")}): keep one`);
            }
        },
    },
    {
        reads: ["datastores", "diskEncryption", "encryptedDatastores"],
        check: (c, problem) => {
            if (c.diskEncryption !== "host-datastore") return;
            const placed = placements(c.datastores);
            const missing = new Map<string, string[]>(); // storage id -> the kinds of volume it holds
            for (const kind of ["os", "data", "efi", "tpm", "cloudinit"] as const) {
                const id = placed.get(kind)?.[0];
                if (id && !c.encryptedDatastores.includes(id)) missing.set(id, [...(missing.get(id) ?? []), kind]);
            }
            [...missing].forEach(([id, kinds], index) =>
                problem(
                    "encryptedDatastores",
                    `does not list "${id}", which holds the ${kinds.join(", ")} volumes, while diskEncryption is host-datastore`,
                    `pulumi config set --path "encryptedDatastores[${c.encryptedDatastores.length + index}]" ${id}   # only if ${id} is encrypted on the host; else diskEncryption guest-luks`,
                ),
            );
        },
    },
    {
        // HA restarts a VM on another node: its disks, EFI and TPM state, cloud-init drive and the
        // snippet that drive is rebuilt from at every start must be there too. The program sets up
        // no storage replication (a ZFS replica lags, and the snippet is not replicated).
        reads: ["highAvailability", "datastores", "sharedDatastores"],
        check: (c, problem) => {
            if (!c.highAvailability) return;
            const placed = placements(c.datastores);
            for (const kind of HA_KINDS) {
                const id = placed.get(kind)?.[0];
                if (id && !c.sharedDatastores.includes(id)) {
                    problem(
                        "highAvailability",
                        `is true, but "${id}" (the ${kind} volumes) is not in sharedDatastores: another node could not start the VM. Put ${HA_KINDS.join(", ")} on shared storage (Ceph, NFS) and list it, or set highAvailability false`,
                        `pulumi config set highAvailability false   # or, once ${id} is shared storage: pulumi config set --path "sharedDatastores[${c.sharedDatastores.length}]" ${id}`,
                    );
                }
            }
        },
    },
    {
        reads: ["sharedDatastores", "datastores"],
        check: (c, problem) => {
            const used = new Set(c.datastores.map((entry) => entry.split("=")[0]));
            for (const id of c.sharedDatastores) if (!used.has(id)) problem("sharedDatastores", `lists "${id}", which no datastores entry uses: remove it or place a kind on it`);
        },
    },
    {
        reads: ["manageClusterFirewall", "importManagementIpset"],
        check: (c, problem) => {
            if (c.importManagementIpset && !c.manageClusterFirewall) problem("importManagementIpset", "is true while manageClusterFirewall is false: only the stack that owns the datacenter firewall imports the management IP set");
        },
    },
    {
        reads: ["cloudImageUrl", "cloudImageVolume", "cloudImageChecksum"],
        check: (c, problem) => {
            const hasUrl = c.cloudImageUrl !== undefined;
            if (hasUrl && c.cloudImageVolume !== undefined) problem("cloudImageVolume", "is set together with cloudImageUrl: keep only one image source", "pulumi config rm cloudImageVolume   # or pulumi config rm-all cloudImageUrl cloudImageChecksum");
            if (!hasUrl && c.cloudImageVolume === undefined) {
                problem("cloudImageVolume", "is not set, nor is cloudImageUrl: give a dated image URL with its checksum, or an image already on the node");
            }
            if (hasUrl && c.cloudImageChecksum === undefined) problem("cloudImageChecksum", "is required with cloudImageUrl: an image is only imported after its checksum matches");
            if (!hasUrl && c.cloudImageChecksum !== undefined) problem("cloudImageChecksum", "is only used with cloudImageUrl", "pulumi config rm cloudImageChecksum");
        },
    },
];
