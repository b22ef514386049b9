// What the status checks and the daily alarms look at on each VM, as plain data: the arguments of
// elabftw-status.sh, the alarm service and timer, and the syslog tags the central alerting matches.
// No Pulumi here: the constants of the other areas come in as AreaConstants (monitoring.ts reads
// them from those areas' exports).
import { backupUnits, BACKUP_DIR, repositoryKind, SCRIPT_DIR, UNIT_DIR } from "../backup/backupPlan";
import type { PlatformConfig, Role } from "../config/types";
import { nftablesRuleset } from "../network/firewallRules";
import { DATA_MOUNT } from "../vm/cloudInit";

/** Constants owned by other areas (vm, database, elabftw, pki), gathered where Pulumi may be loaded. */
export interface AreaConstants {
    readonly luksName: string;
    readonly luksDevice: string;
    readonly containers: Readonly<Record<Role, string>>;
    /** Image references as the components pull them, per role, from the configured versions. */
    readonly images: Readonly<Record<Role, string>>;
    readonly mysqlExec: string;
    readonly operatorClientConfig: string;
    /** Certificates on each VM: label -> path. */
    readonly certificates: Readonly<Record<Role, Readonly<Record<string, string>>>>;
    /** Labels of CA certificates: they renew CA_RENEWAL_FACTOR times earlier. */
    readonly caLabels: readonly string[];
    readonly caRenewalFactor: number;
    /** The CA the web VM trusts for its own site, and the HTTPS port. */
    readonly siteCa: string;
    readonly httpsPort: number;
}

/** Hours past the daily schedule before a missing archive is an alarm: the timer's random delay, a slow run. */
export const ARCHIVE_MARGIN_HOURS = 6;
/** The weekly `borg check` (Sunday) may be a day late before it is an alarm. */
export const CHECK_MAX_DAYS = 8;
/** Data disk use (percent) from which the alarm is raised. */
export const DISK_ALARM_PERCENT = 85;
/** Daily, in the morning, after the night's backups and the Sunday check. */
export const ALARM_CALENDAR = "*-*-* 07:30:00";
export const STATUS_SCRIPT = "elabftw-status.sh";
export const ALARMS_SCRIPT = "elabftw-alarms.sh";

/** The stable syslog tags, one per condition: what the unit's central alerting matches. */
export const ALARM_TAGS = {
    "elabftw-alarm-cert-renewal": "a certificate is inside its renewal window: run pulumi up (warning)",
    "elabftw-alarm-cert-expired": "a certificate has expired or cannot be read (crit)",
    "elabftw-alarm-backup-stale": "the newest archive is older than the daily schedule plus the margin, or the repository cannot be read (err)",
    "elabftw-alarm-backup-check": "the last borg check failed, is overdue, or never ran (err)",
    "elabftw-alarm-restore-drill": "the last restore drill failed or never ran (err)",
    "elabftw-alarm-disk-full": "the data disk is above the threshold (err)",
    "elabftw-alarm-health": "any other check is not ok: container, LUKS, mount, TLS, firewall, updates, time (err or warning)",
    "elabftw-alarms": "heartbeat: all checks ok (info), once a day",
} as const;

/** The flags of elabftw-status.sh for one VM. */
export function statusArgs(config: PlatformConfig, role: Role, areas: AreaConstants): string[] {
    const flags: Record<string, string> = { "data-mount": DATA_MOUNT };
    if (config.diskEncryption === "guest-luks") {
        Object.assign(flags, { "data-source": `/dev/mapper/${areas.luksName}`, "luks-name": areas.luksName, "luks-device": areas.luksDevice });
    }
    flags.containers = `${areas.containers[role]}=${areas.images[role]}`;
    const kind = repositoryKind(role);
    Object.assign(flags, {
        "borg-env": `${BACKUP_DIR}/borg.env`,
        "archive-prefix": kind,
        "max-archive-hours": String(24 + ARCHIVE_MARGIN_HOURS),
    });
    // The units the backup plan installs, by name (the check on both VMs, the drill on the DB VM).
    const plan = backupUnits({ role, target: config.backup.target, time: config.backup.time, keepDaily: 1, keepMonthly: 1, drillCalendar: config.backup.drillCalendar, mysql: { exec: "", operatorConfig: "", rootConfig: "" }, uploads: "" });
    const services = plan.timers.map((timer) => timer.replace(/\.timer$/, ".service"));
    flags["check-unit"] = services.find((unit) => unit.startsWith("elabftw-backup-check-"))!;
    flags["max-check-days"] = String(CHECK_MAX_DAYS);
    const drill = services.find((unit) => unit.startsWith("elabftw-restore-drill"));
    if (drill) flags["drill-unit"] = drill;
    const renew = config.tls.renewBeforeDays;
    flags.certs = Object.entries(areas.certificates[role])
        .map(([label, file]) => `${label}:${areas.caLabels.includes(label) ? renew * areas.caRenewalFactor : renew}=${file}`)
        .join(",");
    if (config.firewall.guest) flags["nft-table"] = nftTable(config, role);
    flags["disk-threshold"] = String(DISK_ALARM_PERCENT);
    if (role === "db") {
        Object.assign(flags, { "mysql-exec": areas.mysqlExec, "client-config": areas.operatorClientConfig });
    } else {
        const fqdn = config.site.fqdn;
        const port = areas.httpsPort;
        Object.assign(flags, {
            "health-url": `https://${fqdn}${port === 443 ? "" : `:${port}`}/healthcheck.php`,
            "health-ca": areas.siteCa,
            "health-resolve": `${fqdn}:${port}:${config.vms.web.address}`,
            "elabftw-container": areas.containers.web,
        });
    }
    return Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, value]);
}

/** The nftables table the guest firewall loads, as its own ruleset declares it ("inet elabftw"). */
export function nftTable(config: PlatformConfig, role: Role): string {
    const ruleset = nftablesRuleset(config.flows, role, config.vms[role].name, []);
    const declared = /^table (\S+ \S+)$/m.exec(ruleset);
    if (!declared) throw new Error("the guest firewall's ruleset declares no table");
    return declared[1];
}

/** A word for systemd's ExecStart: quoted when it holds a space, % doubled (specifiers). */
export function systemdWord(word: string): string {
    const escaped = word.replace(/%/g, "%%");
    return /^[A-Za-z0-9_./=:,@+%-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["\\])/g, "\\$1")}"`;
}

export interface AlarmUnits {
    readonly files: { readonly name: string; readonly content: string }[];
    readonly timer: string;
}

/** The alarm service and its daily timer, running the installed scripts with this VM's arguments. */
export function alarmUnits(args: readonly string[]): AlarmUnits {
    const exec = [`${SCRIPT_DIR}/${ALARMS_SCRIPT}`, `${SCRIPT_DIR}/${STATUS_SCRIPT}`, ...args].map(systemdWord).join(" ");
    const service = [
        "[Unit]",
        "Description=eLabFTW alarms: certificates, backups, checks, drill, data disk (logs to syslog)",
        "After=docker.service network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        `ExecStart=${exec}`,
        "",
    ].join("\n");
    const timer = ["[Unit]", "Description=Daily eLabFTW alarms", "", "[Timer]", `OnCalendar=${ALARM_CALENDAR}`, "Persistent=true", "RandomizedDelaySec=300", "", "[Install]", "WantedBy=timers.target", ""].join("\n");
    return {
        files: [
            { name: "elabftw-alarms.service", content: service },
            { name: "elabftw-alarms.timer", content: timer },
        ],
        timer: "elabftw-alarms.timer",
    };
}

export { SCRIPT_DIR, UNIT_DIR };
