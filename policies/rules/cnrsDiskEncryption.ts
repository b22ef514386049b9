// CNRS « Chiffrement des disques durs ».
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { hostPaths } from "../models/dockerContainer";
import { cnrs, dockerHostAddress, ofType, TYPES, violation, vmAddress } from "./common";

const REQUIREMENT = cnrs("Chiffrement des disques durs", "disk encryption");

/** Every datastore a VM's volumes use. */
function datastoresOf(vm: PolicyResource): string[] {
    const p = vm.props;
    return [...((p.disks ?? []) as { datastoreId?: string }[]).map((d) => d.datastoreId), p.efiDisk?.datastoreId, p.tpmState?.datastoreId, p.initialization?.datastoreId].filter(
        (id): id is string => typeof id === "string",
    );
}

/** The program's LUKS formatting of this VM's data disk (by its serial), followed by a mount through crypttab. */
function luksOnDataDisk(vm: PolicyResource, resources: readonly PolicyResource[]): boolean {
    const serial = ((vm.props.disks ?? []) as { interface?: string; serial?: string }[]).find((d) => d.interface !== "scsi0" && d.serial)?.serial;
    if (!serial) return false;
    const onVm = ofType(resources, TYPES.command).filter((c) => c.props.connection?.host === vmAddress(vm));
    const device = `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${serial}`;
    const formatted = onVm.some((c) => (c.props.create ?? "").includes(`luks-format.sh --device ${device} `));
    const opened = onVm.some((c) => (c.props.create ?? "").includes(`data-disk-mount.sh --device ${device} `) && (c.props.create ?? "").includes("--luks-name "));
    return formatted && opened;
}

/** Mount points the program opens from LUKS on this VM (data-disk-mount.sh --mount-point X ... --luks-name). */
function luksMountPoints(vm: PolicyResource, resources: readonly PolicyResource[]): string[] {
    return ofType(resources, TYPES.command)
        .filter((c) => c.props.connection?.host === vmAddress(vm))
        .map((c) => String(c.props.create ?? "").split("\n").pop()!) // the invocation, after the script's text
        .filter((line) => line.includes("data-disk-mount.sh ") && line.includes("--luks-name "))
        .flatMap((line) => /--mount-point (\S+)/.exec(line)?.[1] ?? []);
}

const under = (path: string, mountPoint: string) => path === mountPoint || path.startsWith(`${mountPoint.replace(/\/$/, "")}/`);

export const cnrsDiskEncryption: StackValidationPolicy = {
    name: "cnrs-disk-encryption",
    description: "Every VM either has all its volumes on datastores the site declares encrypted, or its data disk LUKS-encrypted by the program (a formatting command for that disk, then a mount through crypttab) and every writable bind mount of its containers on that LUKS mount.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            encryptedDatastores: { type: "array", items: { type: "string" }, default: [], description: "Proxmox storages the site encrypts on the host (ZFS native encryption, Ceph encrypted OSDs, LUKS under LVM)." },
        },
    },
    validateStack: (args, reportViolation) => {
        const { encryptedDatastores } = args.getConfig<{ encryptedDatastores: string[] }>();
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const plain = datastoresOf(vm).filter((id) => !encryptedDatastores.includes(id));
            if (plain.length > 0 && luksOnDataDisk(vm, args.resources)) {
                // The VM's own disks are plain: what the containers write must land on the LUKS mount.
                const mountPoints = luksMountPoints(vm, args.resources);
                for (const container of ofType(args.resources, TYPES.container).filter((c) => dockerHostAddress(c) === vmAddress(vm))) {
                    for (const mount of hostPaths(container.props).filter((m) => !m.readOnly && !mountPoints.some((p) => under(m.source, p)))) {
                        reportViolation(
                            violation(REQUIREMENT, container.name, `writes ${mount.target} to ${mount.source} on ${vm.name}'s unencrypted OS disk (encrypted: ${mountPoints.join(", ")})`, "keep every writable bind mount under the LUKS data disk's mount point"),
                            container.urn,
                        );
                    }
                }
            }
            if (plain.length > 0 && !luksOnDataDisk(vm, args.resources)) {
                reportViolation(
                    violation(REQUIREMENT, vm.name, `has volumes on ${[...new Set(plain)].join(", ")}, not declared encrypted, and no LUKS on its data disk`, "use diskEncryption guest-luks, or put every volume on a storage listed in the policy config's encryptedDatastores"),
                    vm.urn,
                );
            }
        }
    },
};
