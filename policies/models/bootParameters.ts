// The next boot as GRUB and the kernel will run it: update-grub sources /etc/default/grub, then
// /etc/default/grub.d/*.cfg in lexical order, as shell (later assignments win, `$VAR` expands to the
// value so far), and builds each Linux entry's command line from GRUB_CMDLINE_LINUX and
// GRUB_CMDLINE_LINUX_DEFAULT; GRUB_DEFAULT picks the entry it boots (0, the newest kernel, unless set).
// What the kernel and systemd then read on that line (kernel-command-line(7), systemd-debug-generator(8),
// dracut.cmdline(7)): a root shell without a password on a console (systemd.debug_shell, rd.shell,
// rd.break, init=/bin/sh, the rescue and emergency targets) is a root shell on the unlocked data disk
// for whoever reaches the VM's console, once the vTPM has opened it.
import { commandName, stopsUnit } from "./shell";

export const GRUB_DEFAULTS = /^\/etc\/default\/grub(\.d\/[^/]+\.cfg)?$/;

/** The order update-grub reads the files: /etc/default/grub, then grub.d in lexical order. */
export const grubFileOrder = (a: string, b: string) => (a === "/etc/default/grub" ? -1 : b === "/etc/default/grub" ? 1 : a.localeCompare(b));

/** The GRUB_* variables after sourcing `texts` in order (quotes removed, `$VAR`/`${VAR}` expanded). */
export function grubSettings(texts: readonly string[]): Map<string, string> {
    const values = new Map<string, string>();
    const expand = (text: string) => text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => values.get(name) ?? "");
    for (const text of texts) {
        for (const m of text.matchAll(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))\s*(?:#.*)?$/gm)) {
            values.set(m[1], m[3] !== undefined ? m[3] : expand(m[2] ?? m[4] ?? ""));
        }
    }
    return values;
}

/** The kernel command line GRUB gives the default entry (GRUB_CMDLINE_LINUX then _DEFAULT), as words. */
export const kernelWords = (settings: ReadonlyMap<string, string>) => `${settings.get("GRUB_CMDLINE_LINUX") ?? ""} ${settings.get("GRUB_CMDLINE_LINUX_DEFAULT") ?? ""}`.split(/\s+/).filter(Boolean);

const INITS = /^(\/sbin\/init|\/lib\/systemd\/systemd|\/usr\/lib\/systemd\/systemd)$/;

/** Kernel parameters that give a root shell without a password on a console. */
export function consoleRootShells(words: readonly string[]): string[] {
    return words.filter((w) => {
        const eq = w.indexOf("=");
        const key = eq < 0 ? w : w.slice(0, eq);
        const value = eq < 0 ? undefined : w.slice(eq + 1);
        const on = value === undefined || !/^(0|no|false|off)$/i.test(value);
        if (/^(rd\.)?systemd\.debug[_-]shell$/.test(key) || /^rd\.(shell|break|emergency)$/.test(key)) return on;
        if (key === "init" || key === "rdinit") return value !== undefined && !INITS.test(value);
        if (/^(rd\.)?systemd\.unit$/.test(key)) return /^(rescue|emergency)(\.target)?$/.test(value ?? "");
        return /^(single|s|1|emergency|rescue|-b)$/i.test(w);
    });
}

/** Commands that start a root shell without a password on a console at every boot (debug-shell.service on tty9). */
export function debugShellEnabled(argv: readonly string[]): boolean {
    if (commandName(argv) !== "systemctl") return false;
    const words = argv.slice(1).filter((a) => !a.startsWith("-"));
    return /^(enable|start|restart)$/.test(words[0] ?? "") && words.slice(1).some((u) => /^debug-shell(\.service)?$/.test(u)) && !stopsUnit(argv, /^debug-shell(\.service)?$/);
}

/**
 * Why the VM keeps booting one kernel whatever apt installs: a GRUB_DEFAULT naming an entry (an id
 * with a version, a title, a submenu path) rather than 0 or saved, or `grub-set-default` to one.
 * Debian's kernel security updates then install and never run.
 */
export function pinnedKernel(settings: ReadonlyMap<string, string>, commands: readonly (readonly string[])[]): string[] {
    const found: string[] = [];
    const entry = settings.get("GRUB_DEFAULT");
    if (entry !== undefined && !/^(0|saved|)$/.test(entry.trim())) found.push(`GRUB_DEFAULT=${entry}`);
    for (const argv of commands) {
        if (commandName(argv) === "grub-set-default" && argv.slice(1).some((a) => !a.startsWith("-") && a !== "0")) found.push(argv.join(" "));
    }
    return found;
}
