// The kernel's settings as systemd-sysctl applies them at boot (sysctl.d(5)): *.conf files from
// /etc/sysctl.d, /run/sysctl.d and /usr/lib/sysctl.d, one file per name (/etc's wins), read in the
// lexical order of their names, /etc/sysctl.conf last; the last assignment of a key wins; `.` and `/`
// are the same separator. `sysctl -w k=v` (or `sysctl k=v`) and a write to /proc/sys set a key at
// once. Which of Debian's hardening defaults a setting undoes.

const CONF_DIRS = /^\/(etc|run|usr\/lib|lib)\/sysctl\.d\/([^/]+\.conf)$/;

export const isSysctlFile = (path: string) => path === "/etc/sysctl.conf" || CONF_DIRS.test(path);

const normalise = (key: string) => key.trim().replace(/\//g, ".").replace(/^-/, "");

/** The settings of the sysctl files (`path -> text`), then of the commands, in the order the kernel sees them. */
export function sysctlSettings(files: ReadonlyMap<string, string>, commands: readonly (readonly string[])[] = []): Map<string, string> {
    const byName = new Map<string, string>();
    // /etc over /run over /usr/lib for one name; then by name.
    const rank = (path: string) => (path.startsWith("/etc/") ? 0 : path.startsWith("/run/") ? 1 : 2);
    for (const path of [...files.keys()].filter((p) => CONF_DIRS.test(p)).sort((a, b) => rank(a) - rank(b))) {
        const name = CONF_DIRS.exec(path)![2];
        if (!byName.has(name)) byName.set(name, path);
    }
    const ordered = [...[...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p), ...(files.has("/etc/sysctl.conf") ? ["/etc/sysctl.conf"] : [])];
    const settings = new Map<string, string>();
    for (const path of ordered) {
        for (const raw of files.get(path)!.split("\n")) {
            const m = /^\s*([^#;=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(raw);
            if (m) settings.set(normalise(m[1]), m[2]);
        }
    }
    // A write to /proc/sys/<key> sets it at once, after the files.
    for (const [path, text] of files) if (path.startsWith("/proc/sys/")) settings.set(normalise(path.slice("/proc/sys/".length)), text.trim());
    for (const argv of commands) {
        if (argv[0]?.split("/").at(-1) !== "sysctl") continue;
        for (const word of argv.slice(1).filter((a) => !a.startsWith("-") && a.includes("="))) {
            const [key, ...value] = word.split("=");
            settings.set(normalise(key), value.join("="));
        }
    }
    return settings;
}

/** Debian 13's hardening defaults (the kernel's, Debian's kernel configuration's, systemd's 50-default.conf) a setting must keep. */
const HARDENING: readonly { key: string; safe: (v: string) => boolean; why: string }[] = [
    { key: "kernel.randomize_va_space", safe: (v) => v === "2", why: "address-space randomisation off or partial: every process, the containers' included (the setting is not namespaced), runs at predictable addresses, which turns memory-corruption bugs into reliable exploits" },
    { key: "kernel.unprivileged_bpf_disabled", safe: (v) => v !== "0", why: "any local user or container process loads eBPF programs, the kernel's most exploited attack surface" },
    { key: "kernel.dmesg_restrict", safe: (v) => v !== "0", why: "every process reads the kernel log (addresses, devices, the LUKS unlock)" },
    { key: "fs.protected_symlinks", safe: (v) => v !== "0", why: "symlink attacks in world-writable directories (/tmp) work again" },
    { key: "fs.protected_hardlinks", safe: (v) => v !== "0", why: "hard links to files another user owns work again (privilege escalation through setuid files)" },
    { key: "fs.suid_dumpable", safe: (v) => v === "0", why: "setuid programs dump their memory (secrets they read) to core files" },
];

/** The settings that undo one of Debian's hardening defaults, as "key = value: why". */
export function weakenedKernel(settings: ReadonlyMap<string, string>): string[] {
    return HARDENING.filter((h) => settings.has(h.key) && !h.safe(settings.get(h.key)!.trim())).map((h) => `${h.key} = ${settings.get(h.key)}: ${h.why}`);
}
