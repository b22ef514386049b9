// Where the VMs' software comes from, read as APT, the shell and Docker read it:
// - APT sources in the one-line format (`deb [opt=val …] URI suite components`) and deb822
//   `.sources` stanzas: `trusted=yes` / `Trusted: yes` skips the signature check, `allow-insecure`,
//   `allow-weak` and `allow-downgrade-to-insecure` accept unsigned or weakly signed indexes
//   (sources.list(5));
// - APT configuration (`Name "value";`, apt.conf(5), flat `A::B::C` names): the same switches
//   globally, and APT::Periodic's Unattended-Upgrade, which the daily timer reads (last value wins
//   across /etc/apt/apt.conf.d in lexical order);
// - commands that run or install what they download without a signature or checksum check
//   (`curl … | sh`, a downloaded file made executable, `dpkg -i` of a download, `docker load`), and
//   apt-get's `--allow-unauthenticated`.
import { commandName, effectiveCommand, pipelines, stopsUnit } from "./shell";

const YES = /^(yes|true|1)$/i;
const INSECURE_OPTIONS = ["trusted", "allow-insecure", "allow-weak", "allow-downgrade-to-insecure"];

/** The options of APT sources that accept packages nobody signed, each as `option=value in <line>`. */
export function aptSourceProblems(text: string): string[] {
    const problems: string[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*$/, "").trim();
        const oneLine = /^deb(-src)?\s+\[([^\]]*)\]/.exec(line);
        if (oneLine) {
            for (const option of oneLine[2].trim().split(/\s+/)) {
                const [name, value = ""] = option.split("=");
                if (INSECURE_OPTIONS.includes(name.toLowerCase()) && YES.test(value)) problems.push(`${option} in "${line}"`);
            }
            continue;
        }
        const field = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
        if (field && INSECURE_OPTIONS.includes(field[1].toLowerCase()) && YES.test(field[2].trim())) problems.push(`${field[1]}: ${field[2].trim()}`);
    }
    return problems;
}

/** An apt.conf text without its comments (`/* … */`, `//`, `#` but the `#clear` and `#include` directives), as apt.conf(5) reads it. */
const withoutAptComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)(\/\/|#(?!clear\b|include\b)).*$/gm, "");

/** `Name "value";` assignments of an apt.conf text, names lower-cased (apt.conf(5) names are case-insensitive). */
function aptConfAssignments(text: string): [string, string, string][] {
    const out: [string, string, string][] = [];
    for (const m of withoutAptComments(text).matchAll(/([A-Za-z0-9:_-]+)\s+"([^"]*)"\s*;/g)) out.push([m[1].toLowerCase(), m[2], m[1]]);
    return out;
}

const INSECURE_CONF = ["apt::get::allowunauthenticated", "acquire::allowinsecurerepositories", "acquire::allowweakrepositories", "acquire::allowdowngradetoinsecurerepositories"];

/** APT settings that install unsigned packages, accept unsigned repositories, or accept a Release file past its Valid-Until (a frozen or replayed archive). */
export function aptConfProblems(text: string): string[] {
    return aptConfAssignments(text)
        .filter(([name, value]) => (INSECURE_CONF.includes(name) && YES.test(value)) || (/^acquire::check-valid-until$/.test(name) && /^(false|no|0)$/i.test(value)))
        .map(([name, value]) => `${name} "${value}"`);
}

/** An APT source on snapshot.debian.org at a fixed date: the archive as it was then, without any later security update. */
export function frozenSources(text: string): string[] {
    return [...text.matchAll(/https?:\/\/snapshot\.debian\.org\/archive\/[^\s"']*\/\d{8}T\d{6}Z[^\s"']*/g)].map((m) => m[0]);
}

/**
 * The origins unattended-upgrades installs from, as apt reads apt.conf.d in lexical order: Debian's
 * 50unattended-upgrades first (its security origin included), a `#clear` resetting the list, each
 * `Unattended-Upgrade::Origins-Pattern { "…"; };` adding to it. Whether a security origin remains.
 */
export function securityOriginKept(texts: readonly string[]): boolean {
    let origins = ["origin=Debian,codename=${distro_codename}-security,label=Debian-Security"];
    for (const text of texts) {
        for (const m of withoutAptComments(text).matchAll(/#clear\s+Unattended-Upgrade::Origins-Pattern\s*;|Unattended-Upgrade::Origins-Pattern\s*\{([^}]*)\}/gi)) {
            if (/^#clear/i.test(m[0])) origins = [];
            else origins.push(...[...m[1].matchAll(/"([^"]*)"/g)].map((o) => o[1]));
        }
    }
    return origins.some((o) => /security/i.test(o));
}

/**
 * Whether the daily APT timer installs updates, from the apt.conf.d texts in the order APT reads
 * them: the last Unattended-Upgrade and Update-Package-Lists values ("0" turns them off). Undefined
 * when no text sets them (the package's own default then applies).
 */
export function autoUpgradesOff(texts: readonly string[]): string | undefined {
    const values = new Map<string, [string, string]>();
    for (const text of texts) for (const [name, value, spelt] of aptConfAssignments(text)) values.set(name, [value, spelt]);
    for (const name of ["apt::periodic::unattended-upgrade", "apt::periodic::update-package-lists"]) {
        const [value, spelt] = values.get(name) ?? [];
        if (value !== undefined && /^(0|false|no|)$/i.test(value.trim())) return `${spelt} "${value}"`;
    }
    return undefined;
}

const FETCHERS = /^(curl|wget|fetch|aria2c)$/;
const INTERPRETERS = /^((ba|da|z|k)?sh|python[0-9.]*|perl|ruby|php|node|nodejs)$/;
const EXECUTABLE_DIR = /^\/(usr\/(local\/)?)?s?bin\/|^\/opt\/|^\/usr\/libexec\//;
const UNITS_TO_KEEP = /^(unattended-upgrades|apt-daily-upgrade|apt-daily)(\.service|\.timer)?$/;

/** The file a curl/wget stage writes its download to (`-o F`, `--output F`, `-O F` for wget). */
function downloadTarget(argv: readonly string[]): string | undefined {
    const name = commandName(argv);
    for (let i = 1; i < argv.length; i++) {
        const a = argv[i];
        if (name === "curl" && (a === "-o" || a === "--output")) return argv[i + 1];
        if (name === "curl" && /^--output=/.test(a)) return a.slice("--output=".length);
        if (name === "wget" && (a === "-O" || a === "--output-document")) return argv[i + 1];
        if (name === "wget" && /^--output-document=/.test(a)) return a.slice("--output-document=".length);
    }
    return undefined;
}

/**
 * Commands of a script that run or install code nobody verified: a download piped into an
 * interpreter or into `docker load`; a download written into an executable directory, made
 * executable, or given to dpkg/sh, when the script checks no checksum or signature; `docker load` or
 * `docker import` at all (the image's tag then names a file's content, not the registry's); apt's
 * `--allow-unauthenticated`; a command that disables, masks or removes the security updates.
 */
export function unverifiedCode(script: string): string[] {
    const found: string[] = [];
    const all = pipelines(script);
    const verifies = all.some((p) => p.stages.some((s) => {
        const argv = effectiveCommand(s).argv;
        return (/^sha(256|384|512)sum$/.test(commandName(argv)) && argv.some((a) => a === "-c" || a === "--check")) || /^(gpgv|gpg)$/.test(commandName(argv)) && argv.some((a) => a === "--verify" || commandName(argv) === "gpgv");
    }));
    const downloads: string[] = [];
    for (const { stages } of all) {
        let fetched = false;
        for (const stage of stages) {
            const argv = effectiveCommand(stage).argv;
            const name = commandName(argv);
            const words = argv.slice(1).filter((a) => !a.startsWith("-"));
            const text = argv.join(" ");
            if (fetched && (INTERPRETERS.test(name) && !argv.includes("-c"))) found.push(`${stages.map((s) => effectiveCommand(s).argv.join(" ")).join(" | ")} (a download run as a script)`);
            if (name === "docker" && (words[0] === "load" || words[0] === "import" || (words[0] === "image" && /^(load|import)$/.test(words[1] ?? "")))) found.push(`${text} (an image from a file: its tag names the file's content, not the registry's)`);
            if (/^(apt-get|apt|aptitude)$/.test(name) && argv.some((a) => a === "--allow-unauthenticated" || /AllowUnauthenticated=(true|1|yes)/i.test(a))) found.push(`${text} (packages installed without a signature)`);
            if (/^(apt-get|apt)$/.test(name) && /^(remove|purge)$/.test(words[0] ?? "") && words.includes("unattended-upgrades")) found.push(`${text} (the security updates removed)`);
            if (stopsUnit(argv, UNITS_TO_KEEP)) found.push(`${text} (the security updates stopped)`);
            if (name === "apt-mark" && words[0] === "hold") found.push(`${text} (held packages get no security update)`);
            // An interpreter given a download as its code (`node -e "$(curl …)"`, `bash -c "$(wget -O- …)"`).
            const code = argv.findIndex((a) => /^(-e|-c|--eval|-r)$/.test(a));
            if (INTERPRETERS.test(name) && code > 0 && /\$\(\s*(curl|wget)\b/.test(argv[code + 1] ?? "")) found.push(`${name} ${argv[code]} "$(${/\$\(\s*(\S+)/.exec(argv[code + 1])![1]} …)" (a download run as code)`);
            if (FETCHERS.test(name)) {
                fetched = downloadTarget(argv) === undefined || downloadTarget(argv) === "-";
                const target = downloadTarget(argv);
                if (target && target !== "-") downloads.push(target);
            } else if (!/^(tee|cat|gunzip|zcat|xz|unxz|bzip2|base64)$/.test(name)) fetched = false;
        }
    }
    if (!verifies) {
        for (const target of downloads) {
            const used = all.flatMap((p) => p.stages).map((s) => effectiveCommand(s).argv).find((argv) => {
                const name = commandName(argv);
                return ((name === "chmod" && argv.some((a) => /\+x|^[0-7]?[0-7]*[1357][0-7]*$/.test(a))) || name === "dpkg" || name === "install" || INTERPRETERS.test(name)) && argv.slice(1).includes(target);
            });
            if (EXECUTABLE_DIR.test(target) || used) found.push(`a download to ${target}${used ? ` then \`${used.join(" ")}\`` : ""} (no checksum or signature checked)`);
        }
    }
    return found;
}

/** Debian suites the security team does not support: unstable, testing, experimental (and their codenames). */
const UNSUPPORTED_SUITE = /^(sid|unstable|testing|experimental|rc-buggy|forky|duke)(-[a-z-]+)?$/i;

/** The suites of an APT source text (one-line `deb [opts] URI suite…` and deb822 `Suites:`) that Debian's security team does not support. */
export function unsupportedSuites(text: string): string[] {
    const suites: string[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*$/, "").trim();
        const oneLine = /^deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?\S+\s+(\S+)/.exec(line);
        if (oneLine) suites.push(oneLine[1]);
        const field = /^Suites\s*:\s*(.*)$/i.exec(line);
        if (field) suites.push(...field[1].trim().split(/\s+/));
    }
    return suites.filter((s) => UNSUPPORTED_SUITE.test(s.replace(/\/$/, "")));
}

/**
 * The packages unattended-upgrades never upgrades, from the apt.conf.d texts in APT's reading order:
 * `Unattended-Upgrade::Package-Blacklist { "…"; }` (and its newer name Package-Blocklist) add to
 * the list, `#clear` empties it; commented entries (Debian's own file lists some) count for nothing.
 */
export function upgradeBlocklist(texts: readonly string[]): string[] {
    let listed: string[] = [];
    for (const text of texts) {
        for (const m of withoutAptComments(text).matchAll(/#clear\s+Unattended-Upgrade::Package-Bl(?:ack|ock)list\s*;|Unattended-Upgrade::Package-Bl(?:ack|ock)list\s*\{([^}]*)\}|Unattended-Upgrade::Package-Bl(?:ack|ock)list(?:::)?\s+"([^"]*)"\s*;/gi)) {
            if (/^#clear/i.test(m[0])) listed = [];
            else if (m[1] !== undefined) listed.push(...[...m[1].matchAll(/"([^"]*)"/g)].map((o) => o[1]));
            else if (m[2]) listed.push(m[2]);
        }
    }
    return listed;
}
