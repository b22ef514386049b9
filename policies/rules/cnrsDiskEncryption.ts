// CNRS « Chiffrement des disques durs ».
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { cnrs, ofType, TYPES, violation, vmAddress } from "./common";

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

export const cnrsDiskEncryption: StackValidationPolicy = {
    name: "cnrs-disk-encryption",
    description: "Every VM either has all its volumes on datastores the site declares encrypted, or its data disk LUKS-encrypted by the program (a formatting command for that disk, then a mount through crypttab).",
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
            if (plain.length > 0 && !luksOnDataDisk(vm, args.resources)) {
                reportViolation(
                    violation(REQUIREMENT, vm.name, `has volumes on ${[...new Set(plain)].join(", ")}, not declared encrypted, and no LUKS on its data disk`, "use diskEncryption guest-luks, or put every volume on a storage listed in the policy config's encryptedDatastores"),
                    vm.urn,
                );
            }
        }
    },
};
