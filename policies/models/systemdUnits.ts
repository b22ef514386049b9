// Which units a systemd unit cannot start without, and whether they exist on the VM. Requires=,
// BindsTo= and Requisite= (systemd.unit(5)) fail the unit's start job when the unit they name is not
// found ("Unit X not found"): the service never runs. After=/Wants= on a missing unit are harmless.

/** The units Debian 13's packages that the program installs, and its base system, provide. */
const PACKAGE_UNITS: Readonly<Record<string, readonly string[]>> = {
    "docker.io": ["docker.service", "docker.socket"],
    containerd: ["containerd.service"],
    rsyslog: ["rsyslog.service", "syslog.service"],
    "qemu-guest-agent": ["qemu-guest-agent.service"],
    "unattended-upgrades": ["unattended-upgrades.service"],
    nftables: ["nftables.service"],
    "systemd-cryptsetup": ["cryptsetup.target"],
};
const BASE_UNITS = ["ssh.service", "sshd.service", "cron.service", "dbus.service", "apt-daily.service", "apt-daily.timer", "apt-daily-upgrade.service", "apt-daily-upgrade.timer", "cloud-init.service", "cloud-final.service", "cloud-config.service", "getty@.service"];

/** The units a unit file's Requires=, BindsTo= and Requisite= name (space-separated, several lines add up; an empty value resets). */
export function hardDependencies(unit: string): string[] {
    const names: string[] = [];
    let section = "";
    for (const raw of unit.replace(/\\\n/g, " ").split("\n")) {
        const line = raw.trim();
        const header = /^\[(.+)\]$/.exec(line);
        if (header) { section = header[1]; continue; }
        const m = /^(Requires|BindsTo|Requisite)\s*=\s*(.*)$/.exec(line);
        if (!m || section !== "Unit") continue;
        if (m[2].trim() === "") names.length = 0;
        else names.push(...m[2].trim().split(/\s+/));
    }
    return names;
}

/**
 * The hard dependencies of a unit that nothing on the VM provides: not among the units the
 * deployment installs (`installed`), those of the packages it installs, the base system's, nor
 * systemd's own (systemd-*, targets, mounts, slices, devices, swaps, which systemd generates).
 */
export function missingDependencies(unit: string, installed: readonly string[], packages: readonly string[]): string[] {
    const known = new Set([...installed, ...BASE_UNITS, ...packages.flatMap((p) => PACKAGE_UNITS[p] ?? [])]);
    return hardDependencies(unit).filter((name) => {
        if (/\.(target|mount|automount|slice|device|swap|scope)$/.test(name) || /^systemd-/.test(name)) return false;
        const template = name.replace(/@[^.]*\./, "@.");
        return !known.has(name) && !known.has(template);
    });
}
