// What the backups install on each VM, as plain data: the Borg environment file, the systemd
// services and timers, and the line the Borg host must authorise. No Pulumi resources here.
import { DATA_MOUNT, SCRIPT_DIR, UNIT_DIR } from "../vm/cloudInit";
import type { BackupTarget } from "../config/types";

export type BackupRole = "web" | "db";

export const BACKUP_DIR = `${DATA_MOUNT}/backup`;
export { SCRIPT_DIR, UNIT_DIR };
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

/** Each repository has a passphrase of its own: a compromised web VM cannot open the DB dumps. */
export function passphraseFile(role: BackupRole, backupDir = BACKUP_DIR): string {
    // The web VM keeps the file (and value) of the former shared passphrase; the DB VM re-keys.
    return role === "db" ? `${backupDir}/db/passphrase` : `${backupDir}/passphrase`;
}
export const KNOWN_HOSTS = `${BACKUP_DIR}/known_hosts`;
export const SSH_KEY = `${BACKUP_DIR}/id_ed25519`;
/** The backup host's prune key: no --append-only, its own repository only (docs/operating.md). */
export function pruneKeyLine(target: BackupTarget, role: BackupRole, publicKey: string): string {
    if (target.kind !== "ssh") return "";
    return `command="borg serve --restrict-to-repository ${repositoryPath(target, role)}",restrict ${publicKey.trim()} elabftw-prune-${repositoryKind(role)}`;
}

/** The only characters a value of borg.env may hold: what common.sh's load_env accepts. */
const ENV_VALUE = /^[A-Za-z0-9._/:@=+-]*$/;
function envLine(key: string, value: string): string {
    // The validator's grammars already guarantee this; refuse here too rather than write shell syntax.
    if (!ENV_VALUE.test(value)) throw new Error(`borg.env: ${key} holds a character outside [A-Za-z0-9._/:@=+-]`);
    return `${key}='${value}'`;
}

/** borg.env: data only, single-quoted, read by common.sh's load_env without a shell (backupDir: the VMs' BACKUP_DIR). */
export function borgEnvironment(target: BackupTarget, role: BackupRole, backupDir = BACKUP_DIR): string {
    return [
        "# Managed by elabftw-onprem: the Borg repository of this VM and how to open it (read, never sourced).",
        envLine("BORG_REPO", repositoryUrl(target, role)),
        envLine("BACKUP_PASSPHRASE_FILE", passphraseFile(role, backupDir)),
        // Left by a deployment where both repositories shared one passphrase: init re-keys once, then deletes it.
        ...(role === "db" ? [envLine("BACKUP_PREVIOUS_PASSPHRASE_FILE", passphraseFile("web", backupDir))] : []),
        envLine("BORG_BASE_DIR", `${backupDir}/borg`),
        ...(target.kind === "ssh" ? [envLine("BACKUP_SSH_KEY", `${backupDir}/id_ed25519`), envLine("BACKUP_KNOWN_HOSTS", `${backupDir}/known_hosts`)] : []),
        envLine("BORG_HOSTNAME_IS_UNIQUE", "yes"),
        "",
    ].join("\n");
}

/** known_hosts for Borg's ssh: the pinned host key under the target's address (and port), nothing else. */
export function knownHosts(target: BackupTarget, hostKey: string): string {
    if (target.kind !== "ssh") return "";
    const [type, blob] = hostKey.trim().split(/\s+/);
    // OpenSSH looks up port 22 under the bare address, any other port under [address]:port.
    const name = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
    return `${name} ${type} ${blob}\n`;
}

function repositoryPath(target: BackupTarget & { kind: "ssh" }, role: BackupRole): string {
    return `${target.path.replace(/^\/\.\//, "").replace(/\/$/, "")}/${repositoryKind(role)}`;
}

/**
 * The line to add to the Borg user's authorized_keys on the backup host: this VM's key may only
 * append to its own repository (a compromised VM cannot delete or prune history). Built from the
 * validated target only (backupTarget's grammar: no quote, space or shell character).
 */
export function authorizedKeyLine(target: BackupTarget, role: BackupRole, publicKey: string, comment: string): string {
    if (target.kind !== "ssh") return "";
    return `command="borg serve --append-only --restrict-to-repository ${repositoryPath(target, role)}",restrict ${publicKey.trim()} ${comment}`;
}

/** What the backup host's prune job runs, with its own (not append-only) key: docs/operating.md. */
export function pruneCommand(target: BackupTarget, role: BackupRole, keepDaily: number, keepMonthly: number): string {
    const repo = repositoryUrl(target, role);
    return `borg prune --glob-archives '${repositoryKind(role)}-*' --keep-daily ${keepDaily} --keep-monthly ${keepMonthly} ${repo} && borg compact ${repo}`;
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
        add("elabftw-backup-db", "eLabFTW database backup (mysqldump into Borg)", [dump], daily);
        add(
            "elabftw-restore-drill",
            "eLabFTW restore drill: restore the newest dump into a scratch database and compare checksums and objects",
            [dump, `${SCRIPT_DIR}/elabftw-restore-drill.sh run ${env} --mysql-exec "${mysql.exec}" --client-config ${mysql.rootConfig}`],
            input.drillCalendar,
        );
    } else {
        add("elabftw-backup-uploads", "eLabFTW uploads backup (Borg)", [`${backup} files ${env} --source ${input.uploads}`], daily);
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
