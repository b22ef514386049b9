// What the VMs' own configuration does to access and its trail, as each program reads its files:
// agetty's autologin (a console that logs someone in by itself), sudoers' logging defaults, and the
// commands that stop the clock's synchronisation.
import { commandName, effectiveCommand, pipelines } from "./shell";

/** The account an agetty unit logs in without a password (`--autologin USER`, `-a USER`), from its last ExecStart=. */
export function consoleAutologin(unit: string): string | undefined {
    let login: string | undefined;
    for (const m of unit.matchAll(/^\s*ExecStart\s*=\s*(.*)$/gm)) {
        const argv = m[1].trim().replace(/^[-@:+!]+/, "").split(/\s+/);
        const at = argv.findIndex((a) => a === "--autologin" || a === "-a" || a.startsWith("--autologin="));
        login = at < 0 ? undefined : argv[at].startsWith("--autologin=") ? argv[at].slice("--autologin=".length) : argv[at + 1];
    }
    return login;
}

/** sudoers lines that turn sudo's syslog record off: `Defaults[:who] … !syslog` or `!log_allowed` (sudoers(5)). */
export function sudoLoggingOff(text: string): string[] {
    return text
        .split("\n")
        .map((line) => line.replace(/#.*$/, "").trim())
        .filter((line) => /^Defaults([:@>!]\S+)?\s/.test(line) && /(^|[\s,])!\s*(syslog|log_allowed)\b/.test(line.replace(/^Defaults\S*\s+/, " ")));
}

const TIME_SYNC = /^(systemd-timesyncd|chrony|chronyd|ntp|ntpd|ntpsec|openntpd)(\.service)?$/;

/** Commands that stop the clock's synchronisation: `systemctl mask|disable|stop <time service>`, `timedatectl set-ntp false`. */
export function timeSyncStopped(script: string): string[] {
    const found: string[] = [];
    for (const stage of pipelines(script).flatMap((p) => p.stages)) {
        const argv = effectiveCommand(stage).argv;
        const name = commandName(argv);
        const words = argv.slice(1).filter((a) => !a.startsWith("-"));
        if (name === "systemctl" && /^(mask|disable|stop)$/.test(words[0] ?? "") && words.slice(1).some((u) => TIME_SYNC.test(u))) found.push(argv.join(" "));
        if (name === "timedatectl" && words[0] === "set-ntp" && /^(0|no|false|off)$/i.test(words[1] ?? "")) found.push(argv.join(" "));
    }
    return found;
}
