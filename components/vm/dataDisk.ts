// The VM's data disk made usable after first boot, over SSH: LUKS2 formatting with the recovery
// passphrase through stdin and vTPM enrolment (guest-luks mode), then the file system, the mount
// and Docker. Both steps are idempotent scripts, so re-running them never loses data.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { DATA_MOUNT } from "./cloudInit";
import { scriptCommand } from "./remoteScript";

/** Serial number given to the data disk in Proxmox; the guest sees it under /dev/disk/by-id. */
export const DATA_DISK_SERIAL = "elabftw-data";
export const DATA_DISK_DEVICE = `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${DATA_DISK_SERIAL}`;
export const LUKS_NAME = "elabdata";

export interface DataDiskArgs {
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    readonly encryption: "guest-luks" | "host-datastore";
    /** Required in guest-luks mode: the passphrase of the LUKS recovery keyslot. */
    readonly recoveryPassphrase?: pulumi.Input<string>;
    /** Values that change when the VM is recreated, so the steps run again on a new VM. */
    readonly vmIdentity: pulumi.Input<unknown>[];
    /** The VM's first boot is over (children do not inherit a component's dependsOn, so it is passed here). */
    readonly after: pulumi.Resource;
}

export class DataDisk extends pulumi.ComponentResource {
    /** The last step: the disk is mounted at DATA_MOUNT and Docker runs from it. */
    public readonly mounted: command.remote.Command;
    public readonly luksFormat?: command.remote.Command;
    /** guest-luks: the LUKS header backup (gzip, base64), a secret to escrow with the recovery passphrase. */
    public readonly luksHeaderBackup?: pulumi.Output<string>;

    constructor(name: string, args: DataDiskArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:vm:DataDisk", name, {}, opts);
        const luks = args.encryption === "guest-luks";
        if (luks && args.recoveryPassphrase === undefined) {
            throw new Error(`${name}: guest-luks encryption needs a recovery passphrase`);
        }
        if (luks) {
            this.luksFormat = new command.remote.Command(
                `${name}-luks-format`,
                {
                    connection: args.connection,
                    create: scriptCommand("luks-format.sh", ["--device", DATA_DISK_DEVICE, "--name", LUKS_NAME, "--tpm2", "yes"]),
                    stdin: pulumi.secret(args.recoveryPassphrase!),
                    triggers: args.vmIdentity,
                },
                { parent: this, dependsOn: [args.after] },
            );
            // Taken once the vTPM keyslot exists, kept only as a secret output, never streamed to the log.
            const headerBackup = new command.remote.Command(
                `${name}-luks-header-backup`,
                { connection: args.connection, create: scriptCommand("luks-header-backup.sh", ["--device", DATA_DISK_DEVICE]), triggers: args.vmIdentity, logging: "stderr" },
                { parent: this, dependsOn: [this.luksFormat], additionalSecretOutputs: ["stdout"] },
            );
            this.luksHeaderBackup = pulumi.secret(headerBackup.stdout);
        }
        const mountArgs = ["--device", DATA_DISK_DEVICE, "--mount-point", DATA_MOUNT, "--label", LUKS_NAME, ...(luks ? ["--luks-name", LUKS_NAME] : [])];
        this.mounted = new command.remote.Command(
            `${name}-mount`,
            { connection: args.connection, create: scriptCommand("data-disk-mount.sh", mountArgs), triggers: args.vmIdentity },
            { parent: this, dependsOn: [this.luksFormat ?? args.after] },
        );
        this.registerOutputs({});
    }
}
