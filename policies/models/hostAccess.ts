// What the VMs' own configuration does to access and its trail, as each program reads its files:
// agetty's autologin (a console that logs someone in by itself), sudoers' logging defaults, and the
// commands that stop the clock's synchronisation.
import { commandName, effectiveCommand, pipelines, stopsUnit } from "./shell";

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
        if (stopsUnit(argv, TIME_SYNC)) found.push(argv.join(" "));
        if (name === "timedatectl" && words[0] === "set-ntp" && /^(0|no|false|off)$/i.test(words[1] ?? "")) found.push(argv.join(" "));
    }
    return found;
}

/** syslog(3) levels by name, as journald and rsyslog read them (journald.conf(5): a name or its number). */
const SYSLOG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/**
 * The last value of `key` in a systemd configuration file's `[section]`, reading the texts in the
 * order systemd does (the main file, then the drop-ins in lexical order: a later assignment wins).
 */
export function systemdSetting(texts: readonly string[], section: string, key: string): string | undefined {
    let value: string | undefined;
    for (const text of texts) {
        let current = "";
        for (const raw of text.split("\n")) {
            const line = raw.trim();
            if (line.startsWith("#") || line.startsWith(";")) continue;
            const header = /^\[(.+)\]$/.exec(line);
            if (header) { current = header[1]; continue; }
            const m = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
            if (m && current === section && m[1] === key) value = m[2].trim();
        }
    }
    return value;
}

/**
 * What journald hands syslog (rsyslog's imuxsock), from journald.conf and its drop-ins: undefined
 * when every level reaches it, otherwise why some do not (ForwardToSyslog=no, a MaxLevelSyslog below
 * info, which drops sshd's "Accepted publickey" lines, sudo's notices and the containers' output, or a
 * RateLimitBurst below journald's default of 10000, which drops a busy unit's lines: docker.service's).
 */
export function journaldSyslogGap(texts: readonly string[]): string | undefined {
    const forward = systemdSetting(texts, "Journal", "ForwardToSyslog");
    if (forward !== undefined && /^(no|false|0|off)$/i.test(forward)) return "ForwardToSyslog=no";
    // Rate limiting applies per unit, and every container's output comes from docker.service.
    const interval = systemdSetting(texts, "Journal", "RateLimitIntervalSec");
    const burst = systemdSetting(texts, "Journal", "RateLimitBurst");
    if (!/^0+(s|ms|us)?$/.test((interval ?? "30s").trim()) && burst !== undefined && /^\d+$/.test(burst.trim()) && Number(burst) > 0 && Number(burst) < 10000) return `RateLimitBurst=${burst}`;
    const level = systemdSetting(texts, "Journal", "MaxLevelSyslog");
    if (level === undefined || level === "") return undefined;
    const rank = /^\d$/.test(level) ? Number(level) : SYSLOG_LEVELS.indexOf(level.toLowerCase());
    return rank >= 0 && rank < SYSLOG_LEVELS.indexOf("info") ? `MaxLevelSyslog=${level}` : undefined;
}

/** A Proxmox firewall log rate ("5/second", "1/minute") in packets per second; undefined when unreadable. */
export function ratePerSecond(rate: string): number | undefined {
    const m = /^(\d+)\/(second|minute|hour|day)$/.exec(rate.trim());
    if (!m) return undefined;
    return Number(m[1]) / { second: 1, minute: 60, hour: 3600, day: 86400 }[m[2] as "second"];
}

/**
 * sudoers settings that record what commands read or print (sudoers(5) I/O logging): `Defaults …
 * log_input` / `log_output` (not negated) and the LOG_INPUT: / LOG_OUTPUT: tags of a user
 * specification. sudo writes those streams under iolog_dir (/var/log/sudo-io by default).
 */
export function sudoIoLogging(text: string): string[] {
    return text
        .split("\n")
        .map((line) => line.replace(/#.*$/, "").trim())
        .filter((line) => (/^Defaults([:@>!]\S+)?\s/.test(line) && /(^|[\s,])(log_input|log_output)\b/.test(line.replace(/^Defaults\S*\s+/, " "))) || /\b(LOG_INPUT|LOG_OUTPUT)\s*:/.test(line));
}

/** Directories whose files outlive a reboot on the OS disk's behalf: not memory (/tmp on Debian 13, /run, /dev/shm). */
const MEMORY_DIRS = /^\/(tmp|run|dev\/shm)(\/|$)/;

/**
 * Where a script's `mktemp` puts its work files when that is not in memory: `-p DIR`, `--tmpdir[=]DIR`,
 * an absolute template, or TMPDIR set by the script. Debian 13 mounts /tmp as a tmpfs.
 */
export function persistentWorkDirs(script: string, allowed: (dir: string) => boolean): string[] {
    const found: string[] = [];
    let tmpdir: string | undefined;
    for (const stage of pipelines(script).flatMap((p) => p.stages)) {
        const { env, argv } = effectiveCommand(stage);
        for (const a of stage.assigns) if (a.name === "TMPDIR") tmpdir = a.value.text;
        if (commandName(argv) === "export") for (const w of argv.slice(1)) if (w.startsWith("TMPDIR=")) tmpdir = w.slice(7);
        if (commandName(argv) !== "mktemp") continue;
        let dir = env.get("TMPDIR")?.text ?? tmpdir;
        for (let i = 1; i < argv.length; i++) {
            const a = argv[i];
            if (a === "-p" || a === "--tmpdir") dir = argv[++i];
            else if (a.startsWith("--tmpdir=")) dir = a.slice("--tmpdir=".length);
            else if (a.startsWith("/")) dir = a.slice(0, a.lastIndexOf("/")) || "/";
        }
        if (dir && dir.startsWith("/") && !MEMORY_DIRS.test(dir) && !allowed(dir)) found.push(`${argv.join(" ")} in ${dir}`);
    }
    return found;
}

/** Kernel parameters that switch off its CPU vulnerability mitigations (kernel-parameters.txt). */
const MITIGATIONS_OFF = /^(mitigations=off|nopti|pti=off|nospectre_v[12]|spectre_v2=off|spectre_v2_user=off|spec_store_bypass_disable=off|mds=off|tsx_async_abort=off|l1tf=off|mmio_stale_data=off|retbleed=off|srbds=off|gather_data_sampling=off|reg_file_data_sampling=off|spectre_bhi=off|nospec_store_bypass_disable)$/;

/**
 * What turns AppArmor (or the kernel's CPU mitigations) off for the next boots, as GRUB's shell-style /etc/default/grub(.d/*.cfg)
 * builds the kernel command line (GRUB_CMDLINE_LINUX and _DEFAULT): apparmor=0, a security= other
 * than apparmor, an lsm= list without it; and commands that stop, disable or mask apparmor.service
 * or unload its profiles (aa-teardown). Docker then runs every container without its profile.
 */
export function apparmorOff(grubTexts: readonly string[], scripts: readonly string[]): string[] {
    const found: string[] = [];
    for (const text of grubTexts) {
        for (const m of text.matchAll(/^\s*GRUB_CMDLINE_LINUX(?:_DEFAULT)?\s*\+?=\s*(["']?)(.*)\1\s*$/gm)) {
            for (const word of m[2].split(/\s+/)) {
                if (/^apparmor=0$/.test(word) || (/^security=/.test(word) && word !== "security=apparmor") || (/^lsm=/.test(word) && !word.slice(4).split(",").includes("apparmor"))) found.push(`${word} on the kernel command line`);
                if (MITIGATIONS_OFF.test(word)) found.push(`${word} on the kernel command line (CPU vulnerability mitigations off)`);
            }
        }
    }
    for (const script of scripts) {
        for (const stage of pipelines(script).flatMap((p) => p.stages)) {
            const argv = effectiveCommand(stage).argv;
            if (stopsUnit(argv, /^apparmor(\.service)?$/)) found.push(argv.join(" "));
            if (commandName(argv) === "aa-teardown") found.push(argv.join(" "));
        }
    }
    return found;
}

/**
 * A command that opens a way in from elsewhere, around both firewalls, by a connection the VM makes
 * itself: ssh's remote forwarding (`-R [bind:]port:host:hostport`, `-R port` as a SOCKS proxy,
 * `-oRemoteForward=…`, and autossh, which passes its arguments to ssh). What the remote side
 * listens on then reaches the VM's services, whatever the inbound rules say.
 */
export function reverseTunnel(argv: readonly string[]): string | undefined {
    if (!/^(ssh|autossh)$/.test(commandName(argv))) return undefined;
    for (let i = 1; i < argv.length; i++) {
        const a = argv[i];
        // -R alone or at the end of grouped flags (-NR) takes the next word; attached, the rest (-R8080).
        if (/^-[A-Za-z]*R$/.test(a) && argv[i + 1] !== undefined) return `${commandName(argv)} ${a} ${argv[i + 1]}`;
        if (/^-[A-Za-z]*R./.test(a) && !a.startsWith("--")) return `${commandName(argv)} ${a}`;
        const option = a === "-o" ? argv[i + 1] ?? "" : /^-o./.test(a) ? a.slice(2) : "";
        if (/^RemoteForward\s*[= ]/i.test(option)) return `${commandName(argv)} -o ${option}`;
        if (!a.startsWith("-")) break; // the destination: what follows is the remote command
        if (/^-[A-Za-z]*[bcDEeFIiJLlMmOopQSWw]$/.test(a)) i++; // an option that takes a value (autossh's -M too)
    }
    return undefined;
}
