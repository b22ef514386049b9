// Encrypted backups on both VMs: each gets its Borg repository (repokey-blake2) off the VMs, the
// passphrase as a root-only file on its encrypted disk, an SSH key of its own for the Borg host,
// the scripts, daily timers with retention, a weekly `borg check`, and on the DB VM the monthly
// restore drill. A version change takes a fresh archive before any container is replaced.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { authorizedKeyLine, BACKUP_DIR, BACKUP_SCRIPTS, BackupPlanInput, BackupRole, backupUnits, borgEnvironment, preUpgradeCommand, SCRIPT_DIR, UNIT_DIR } from "./backupPlan";
import { BackupTarget } from "../config";
import { scriptCommand, scriptText, vmFiles } from "../vm";

export interface BackupVm {
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** The data disk is mounted: the passphrase and the Borg cache live there. */
    readonly ready: pulumi.Resource;
}

export interface BackupArgs {
    readonly unit: string;
    readonly target: BackupTarget;
    readonly passphrase: pulumi.Output<string>;
    readonly vms: Readonly<Record<BackupRole, BackupVm>>;
    readonly plans: Readonly<Record<BackupRole, BackupPlanInput>>;
    /** A change of these (the eLabFTW and MySQL versions) takes a fresh archive first. */
    readonly upgradeTriggers: readonly string[];
}

export class Backup extends pulumi.ComponentResource {
    /** Runs before an upgrade replaces that VM's container. */
    public readonly beforeUpgrade: Readonly<Record<BackupRole, command.remote.Command>>;
    /** Secret: each repository's key (`borg key export`), to escrow with the passphrase. */
    public readonly repositoryKeys: pulumi.Output<Record<BackupRole, string>>;
    /** For the Borg host's authorized_keys (empty for a filer target). */
    public readonly authorizedKeys: pulumi.Output<Record<BackupRole, string>>;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:backup:Backup", name, {}, opts);
        const perVm = (role: BackupRole) => this.onVm(`${name}-${role}`, role, args);
        const web = perVm("web");
        const db = perVm("db");
        this.beforeUpgrade = { web: web.beforeUpgrade, db: db.beforeUpgrade };
        const byRole = (webValue: pulumi.Input<string>, dbValue: pulumi.Input<string>) =>
            pulumi.all([webValue, dbValue]).apply(([w, d]): Record<BackupRole, string> => ({ web: w, db: d }));
        this.repositoryKeys = pulumi.secret(byRole(web.repositoryKey, db.repositoryKey));
        this.authorizedKeys = byRole(web.authorizedKey, db.authorizedKey);
        this.registerOutputs({});
    }

    private onVm(name: string, role: BackupRole, args: BackupArgs) {
        const vm = args.vms[role];
        const { file } = vmFiles(name, vm, this);
        const installed: command.remote.Command[] = [
            file("passphrase", `${BACKUP_DIR}/passphrase`, "0:0", "0400", args.passphrase, true),
            file("borg-env", `${BACKUP_DIR}/borg.env`, "0:0", "0400", borgEnvironment(args.target, role), false),
            ...BACKUP_SCRIPTS[role].map((script) =>
                file(`script-${script.replace(/\.sh$/, "")}`, `${SCRIPT_DIR}/${script}`, "0:0", "0755", `${scriptText("common.sh")}\n${scriptText(script)}`, false),
            ),
        ];
        let authorizedKey: pulumi.Input<string> = "";
        if (args.target.kind === "ssh") {
            const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, { parent: this });
            installed.push(file("ssh-key", `${BACKUP_DIR}/id_ed25519`, "0:0", "0400", key.privateKeyOpenssh, true));
            const target = args.target;
            authorizedKey = key.publicKeyOpenssh.apply((publicKey) => authorizedKeyLine(target, role, publicKey, `elabftw-${args.unit}-${role}`));
        }
        const { files, timers } = backupUnits(args.plans[role]);
        installed.push(...files.map((unit) => file(`unit-${unit.name.replace(/\./g, "-")}`, `${UNIT_DIR}/${unit.name}`, "0:0", "0644", unit.content, false)));

        const env = ["--env-file", `${BACKUP_DIR}/borg.env`];
        // Creates the repository the first time; refuses to touch one it cannot open.
        const init = new command.remote.Command(
            `${name}-init`,
            { connection: vm.connection, create: scriptCommand("elabftw-backup.sh", ["init", ...env]), triggers: [borgEnvironment(args.target, role)] },
            { parent: this, dependsOn: installed },
        );
        const timersOn = new command.remote.Command(
            `${name}-timers`,
            {
                connection: vm.connection,
                create: `sudo systemctl daemon-reload && sudo systemctl enable --now ${timers.join(" ")}`,
                triggers: files.map((unit) => unit.content),
            },
            { parent: this, dependsOn: [init] },
        );
        const keyExport = new command.remote.Command(
            `${name}-key-export`,
            { connection: vm.connection, create: scriptCommand("elabftw-backup.sh", ["key-export", ...env]), triggers: [borgEnvironment(args.target, role)] },
            { parent: this, dependsOn: [init], additionalSecretOutputs: ["stdout"] },
        );
        const beforeUpgrade = new command.remote.Command(
            `${name}-before-upgrade`,
            { connection: vm.connection, create: preUpgradeCommand(role), triggers: [...args.upgradeTriggers] },
            { parent: this, dependsOn: [timersOn] },
        );
        return { beforeUpgrade, repositoryKey: keyExport.stdout, authorizedKey };
    }
}
