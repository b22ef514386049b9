// What the backups install on each VM, as plain data: the Borg environment file, the systemd
// services and timers, and the line the Borg host must authorise. No Pulumi resources here.
import { DATA_MOUNT } from "../vm/cloudInit";
import type { BackupTarget } from "../config/types";

export type BackupRole = "web" | "db";

export const BACKUP_DIR = `${DATA_MOUNT}/backup`;
export const SCRIPT_DIR = "/usr/local/sbin";
export const UNIT_DIR = "/etc/systemd/system";
/** The scripts each VM gets (common.sh goes ahead of each when installed). */
export const BACKUP_SCRIPTS: Readonly<Record<BackupRole, readonly string[]>> = {
    db: ["elabftw-backup.sh", "elabftw-restore.sh", "elabftw-restore-drill.sh"],
    web: ["elabftw-backup.sh", "elabftw-restore.sh", "elabftw-db-update.sh"],
};

export interface BackupPlanInput {
    readonly role: BackupRole;
    readonly target: BackupTarget;
    readonly time: string;
    readonly keepDaily: number;
    readonly keepMonthly: number;
    readonly drillCalendar: string;
    /** DB VM: how the scripts reach mysqldump and mysql (inside the MySQL container). */
    readonly mysql?: { readonly exec: string; readonly operatorConfig: string; readonly rootConfig: string };
    /** Web VM: the folder to back up. */
    readonly uploads?: string;
}

/** Each VM has its own repository: db for the database dumps, uploads for the files. */
export function repositoryKind(role: BackupRole): "db" | "uploads" {
    return role === "db" ? "db" : "uploads";
}

export function repositoryUrl(target: BackupTarget, role: BackupRole): string {
    const kind = repositoryKind(role);
    return target.kind === "ssh" ? `ssh://${target.user}@${target.host}:${target.port}${target.path.replace(/\/$/, "")}/${kind}` : `${target.path.replace(/\/$/, "")}/${kind}`;
}

export function borgEnvironment(target: BackupTarget, role: BackupRole): string {
    return [
        "# Managed by elabftw-onprem: the Borg repository of this VM and how to open it.",
        `BORG_REPO=${repositoryUrl(target, role)}`,
        `BORG_PASSCOMMAND="cat ${BACKUP_DIR}/passphrase"`,
        `BORG_RSH="ssh -i ${BACKUP_DIR}/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${BACKUP_DIR}/known_hosts"`,
        `BORG_BASE_DIR=${BACKUP_DIR}/borg`,
        ...(target.kind === "ssh" ? [`BACKUP_SSH_KEY=${BACKUP_DIR}/id_ed25519`] : []),
        "BORG_HOSTNAME_IS_UNIQUE=yes",
        "",
    ].join("\n");
}

/** The line to add to the Borg user's authorized_keys on the backup host: this key may only serve its repository. */
export function authorizedKeyLine(target: BackupTarget, role: BackupRole, publicKey: string, comment: string): string {
    if (target.kind !== "ssh") return "";
    const repository = `${target.path.replace(/^\/\.\//, "").replace(/\/$/, "")}/${repositoryKind(role)}`;
    return `command="borg serve --restrict-to-repository ${repository}",restrict ${publicKey.trim()} ${comment}`;
}

function service(description: string, commands: string[]): string {
    return [
        "[Unit]",
        `Description=${description}`,
        "After=docker.service network-online.target",
        `RequiresMountsFor=${DATA_MOUNT}`,
        "",
        "[Service]",
        "Type=oneshot",
        ...commands.map((command) => `ExecStart=${command}`),
        // Results land in the journal, which rsyslog forwards to the unit's syslog server.
        "SyslogIdentifier=%N",
        "",
    ].join("\n");
}

function timer(description: string, calendar: string): string {
    return ["[Unit]", `Description=${description}`, "", "[Timer]", `OnCalendar=${calendar}`, "Persistent=true", "RandomizedDelaySec=600", "", "[Install]", "WantedBy=timers.target", ""].join("\n");
}

export interface UnitFile {
    readonly name: string;
    readonly content: string;
}

/** The services and timers of a VM, and the timers to enable. */
export function backupUnits(input: BackupPlanInput): { files: UnitFile[]; timers: string[] } {
    const env = `--env-file ${BACKUP_DIR}/borg.env`;
    const backup = `${SCRIPT_DIR}/elabftw-backup.sh`;
    const kind = repositoryKind(input.role);
    const prune = `${backup} prune ${env} --kind ${kind} --keep-daily ${input.keepDaily} --keep-monthly ${input.keepMonthly}`;
    const daily = `*-*-* ${input.time}:00`;
    const files: UnitFile[] = [];
    const timers: string[] = [];
    const add = (name: string, description: string, commands: string[], calendar: string) => {
        files.push({ name: `${name}.service`, content: service(description, commands) });
        files.push({ name: `${name}.timer`, content: timer(description, calendar) });
        timers.push(`${name}.timer`);
    };
    if (input.role === "db") {
        const mysql = input.mysql!;
        const dump = `${backup} db ${env} --mysql-exec "${mysql.exec}" --client-config ${mysql.operatorConfig}`;
        add("elabftw-backup-db", "eLabFTW database backup (mysqldump into Borg)", [dump, prune], daily);
        add(
            "elabftw-restore-drill",
            "eLabFTW restore drill: restore the newest dump into a scratch database and compare row counts",
            [dump, `${SCRIPT_DIR}/elabftw-restore-drill.sh run ${env} --mysql-exec "${mysql.exec}" --client-config ${mysql.rootConfig}`],
            input.drillCalendar,
        );
    } else {
        add("elabftw-backup-uploads", "eLabFTW uploads backup (Borg)", [`${backup} files ${env} --source ${input.uploads}`, prune], daily);
    }
    add(`elabftw-backup-check-${kind}`, "Borg repository check", [`${backup} check ${env}`], "Sun *-*-* 05:00:00");
    return { files, timers };
}

/** What runs before an upgrade replaces a container: a fresh archive, if there is anything to save yet. */
export function preUpgradeCommand(role: BackupRole): string {
    const service = role === "db" ? "elabftw-backup-db.service" : "elabftw-backup-uploads.service";
    const container = role === "db" ? "mysql" : "elabftw";
    return `if sudo docker inspect ${container} >/dev/null 2>&1; then sudo systemctl start ${service}; else echo "no ${container} container yet: nothing to back up"; fi`;
}
