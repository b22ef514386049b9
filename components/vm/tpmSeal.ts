// The units that keep the data disk's vTPM key sealed to PCR 7+8 (elabftw-tpm-seal.sh): a oneshot at
// every boot, once the disk is open, and a path unit that runs it again whenever grub.cfg changes
// (a kernel update rewrites it), so the next boot has a bridge key. Pure: the texts only.

export const TPM_SEAL_SCRIPT = "elabftw-tpm-seal.sh";
export const TPM_SEAL_SERVICE = "elabftw-tpm-seal.service";
export const TPM_SEAL_PATH = "elabftw-tpm-seal.path";

/** The grub.cfg files whose change alters what GRUB measures into PCR 8 at the next boot. */
export const GRUB_CONFIGS = ["/boot/grub/grub.cfg", "/boot/efi/EFI/debian/grub.cfg"] as const;

export interface TpmSealUnit {
    readonly name: string;
    readonly content: string;
}

export function tpmSealUnits(args: { readonly script: string; readonly device: string; readonly mapping: string }): TpmSealUnit[] {
    const opened = `systemd-cryptsetup@${args.mapping}.service`;
    return [
        {
            name: TPM_SEAL_SERVICE,
            content: [
                "[Unit]",
                "Description=Keep the data disk's vTPM key sealed to PCR 7+8 (elabftw-onprem)",
                `After=${opened}`,
                // Nothing to seal when the vTPM refused the disk: the recovery is by hand (docs/operating.md).
                `ConditionPathExists=/dev/mapper/${args.mapping}`,
                "",
                "[Service]",
                "Type=oneshot",
                `ExecStart=${args.script} --device ${args.device} --name ${args.mapping}`,
                "",
                "[Install]",
                "WantedBy=multi-user.target",
                "",
            ].join("\n"),
        },
        {
            name: TPM_SEAL_PATH,
            content: [
                "[Unit]",
                "Description=Check the vTPM binding again when grub.cfg changes (elabftw-onprem)",
                "",
                "[Path]",
                ...GRUB_CONFIGS.map((file) => `PathChanged=${file}`),
                `Unit=${TPM_SEAL_SERVICE}`,
                "",
                "[Install]",
                "WantedBy=paths.target",
                "",
            ].join("\n"),
        },
    ];
}
