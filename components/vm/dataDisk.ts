// The VM's data disk made usable after first boot, over SSH: LUKS2 formatting with the recovery
// passphrase through stdin and vTPM enrolment (guest-luks mode), then the file system, the mount
// and Docker. Both steps are idempotent scripts, so re-running them never loses data. In guest-luks
// mode, elabftw-tpm-seal then keeps the vTPM key sealed to PCR 7+8 across grub.cfg changes.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { DATA_MOUNT, SCRIPT_DIR, UNIT_DIR } from "./cloudInit";
import { remoteFile } from "./remoteFile";
import { scriptCommand, scriptText } from "./remoteScript";
import { TPM_SEAL_PATH, TPM_SEAL_SCRIPT, TPM_SEAL_SERVICE, tpmSealUnits } from "./tpmSeal";

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
        if (luks) this.sealToBoot(name, args.connection);
        this.registerOutputs({});
    }

    /**
     * luks-format.sh enrols a key sealed to PCR 7 alone; the seal service, started once the disk is
     * open, seals it to PCR 7+8 (or keeps it as the bridge when grub.cfg already changed since boot).
     */
    private sealToBoot(name: string, connection: DataDiskArgs["connection"]): void {
        const script = `${SCRIPT_DIR}/${TPM_SEAL_SCRIPT}`;
        const units = tpmSealUnits({ script, device: DATA_DISK_DEVICE, mapping: LUKS_NAME });
        const opts = { parent: this, dependsOn: [this.mounted] };
        const installed = [
            remoteFile(`${name}-tpm-seal-script`, { connection, path: script, owner: "0:0", mode: "0755", content: `${scriptText("common.sh")}\n${scriptText(TPM_SEAL_SCRIPT)}`, secret: false }, opts),
            ...units.map((unit) => remoteFile(`${name}-unit-${unit.name.replace(/\./g, "-")}`, { connection, path: `${UNIT_DIR}/${unit.name}`, owner: "0:0", mode: "0644", content: unit.content, secret: false }, opts)),
        ];
        // The path unit first: a grub.cfg change from then on is seen; the service's own run covers the earlier ones.
        new command.remote.Command(
            `${name}-tpm-seal`,
            {
                connection,
                create: `sudo systemctl daemon-reload && sudo systemctl enable --now ${TPM_SEAL_PATH} && sudo systemctl enable ${TPM_SEAL_SERVICE} && sudo systemctl start ${TPM_SEAL_SERVICE}`,
                triggers: [scriptText(TPM_SEAL_SCRIPT), ...units.map((unit) => unit.content)],
            },
            { parent: this, dependsOn: installed },
        );
    }
}
