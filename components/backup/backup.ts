// Encrypted backups on both VMs: each gets its Borg repository (repokey-blake2) off the VMs with a
// passphrase of its own as a root-only file on its encrypted disk, an append-only SSH key for the
// Borg host (whose host key is pinned), the scripts, daily timers, a weekly `borg check`, and on
// the DB VM the monthly restore drill. Pruning is the backup host's (pruneCommands). A version
// change takes a fresh archive before any container is replaced.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import {
    authorizedKeyLine,
    BACKUP_DIR,
    BACKUP_SCRIPTS,
    BackupPlanInput,
    BackupRole,
    backupUnits,
    borgEnvironment,
    KNOWN_HOSTS,
    knownHosts,
    passphraseFile,
    preUpgradeCommand,
    pruneCommand,
    SCRIPT_DIR,
    SSH_KEY,
    UNIT_DIR,
} from "./backupPlan";
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
    /** The backup host's public host key (required for an ssh:// target; the validator insists). */
    readonly hostKey?: string;
    /** The web (uploads) repository's passphrase; the DB repository gets one of its own here. */
    readonly passphrase: pulumi.Output<string>;
    /** Production: the DB repository's passphrase cannot be deleted (nor regenerated) by a routine change. */
    readonly protect: boolean;
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
    /** Secret: each repository's own passphrase. */
    public readonly passphrases: pulumi.Output<Record<BackupRole, string>>;
    /** What the backup host's prune job runs for each repository, with its own key. */
    public readonly pruneCommands: Record<BackupRole, string>;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:backup:Backup", name, {}, opts);
        const passphrases: Record<BackupRole, pulumi.Output<string>> = {
            web: args.passphrase,
            db: new random.RandomPassword(`${name}-db-repository-passphrase`, { length: 48, special: false }, { parent: this, protect: args.protect }).result,
        };
        const perVm = (role: BackupRole) => this.onVm(`${name}-${role}`, role, args, passphrases[role]);
        const web = perVm("web");
        const db = perVm("db");
        this.beforeUpgrade = { web: web.beforeUpgrade, db: db.beforeUpgrade };
        const byRole = (webValue: pulumi.Input<string>, dbValue: pulumi.Input<string>) =>
            pulumi.all([webValue, dbValue]).apply(([w, d]): Record<BackupRole, string> => ({ web: w, db: d }));
        this.repositoryKeys = pulumi.secret(byRole(web.repositoryKey, db.repositoryKey));
        this.authorizedKeys = byRole(web.authorizedKey, db.authorizedKey);
        this.passphrases = pulumi.secret(byRole(passphrases.web, passphrases.db));
        const prune = (role: BackupRole) => pruneCommand(args.target, role, args.plans[role].keepDaily, args.plans[role].keepMonthly);
        this.pruneCommands = { web: prune("web"), db: prune("db") };
        // The retention the backup host applies: registered so the dossier (and policies) can read it.
        this.registerOutputs({ pruneCommands: this.pruneCommands });
    }

    private onVm(name: string, role: BackupRole, args: BackupArgs, passphrase: pulumi.Output<string>) {
        const vm = args.vms[role];
        const { file } = vmFiles(name, vm, this);
        const installed: command.remote.Command[] = [
            file("passphrase", passphraseFile(role), "0:0", "0400", passphrase, true),
            file("borg-env", `${BACKUP_DIR}/borg.env`, "0:0", "0400", borgEnvironment(args.target, role), false),
            ...BACKUP_SCRIPTS[role].map((script) =>
                file(`script-${script.replace(/\.sh$/, "")}`, `${SCRIPT_DIR}/${script}`, "0:0", "0755", `${scriptText("common.sh")}\n${scriptText(script)}`, false),
            ),
        ];
        let authorizedKey: pulumi.Input<string> = "";
        if (args.target.kind === "ssh") {
            const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, { parent: this });
            if (!args.hostKey) throw new Error("backupHostKey is required for an ssh:// backupTarget");
            installed.push(file("ssh-key", SSH_KEY, "0:0", "0400", key.privateKeyOpenssh, true));
            installed.push(file("known-hosts", KNOWN_HOSTS, "0:0", "0644", knownHosts(args.target, args.hostKey), false));
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
            // The key goes to a secret output only: nothing of it in the Pulumi log.
            { connection: vm.connection, create: scriptCommand("elabftw-backup.sh", ["key-export", ...env]), triggers: [borgEnvironment(args.target, role)], logging: "none" },
            { parent: this, dependsOn: [init], additionalSecretOutputs: ["stdout", "stderr"] },
        );
        const beforeUpgrade = new command.remote.Command(
            `${name}-before-upgrade`,
            { connection: vm.connection, create: preUpgradeCommand(role), triggers: [...args.upgradeTriggers] },
            { parent: this, dependsOn: [timersOn] },
        );
        return { beforeUpgrade, repositoryKey: keyExport.stdout, authorizedKey };
    }
}
