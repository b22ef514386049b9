// Whether Debian's security updates still reach a VM, read as APT reads its settings:
// - APT::Periodic intervals (apt.conf(5), the daily apt timers' apt.systemd.daily): "0" is off, a
//   number is days, a value with a unit suffix (s, m, h, d) is that span, "always" every run; the
//   last value wins across apt.conf.d in lexical order;
// - apt_preferences(5): APT's candidate is the version with the highest pin priority, whatever its
//   version number; the security suite's default is 500, like the release's. A `Package: *` stanza
//   that ranks another release above security, or security below the release, makes the older
//   version the candidate: unattended-upgrades then installs nothing from security. APT::Default-Release
//   gives its release 990 the same way. A `Pin: version` above 500 holds the package at that version;
//   an apt_preferences file is read in lexical order, the first matching stanza per package wins;
// - cloud-init's apt module: `disable_suites` comments the named suites out of the sources it writes;
// - trust stores: a CA added to the system store (cloud-init `ca_certs`, a file under
//   /usr/local/share/ca-certificates, Docker's per-registry certs.d) lets its holder answer for any
//   HTTPS server the VM reaches: a registry, a download, a web service.
const DEFAULT_PRIORITY = 500;

const isSecurityPin = (pin: string) => /security/i.test(pin);

/** The stanzas of an apt_preferences text: Package, Pin and Pin-Priority fields (lower-cased names). */
function stanzas(text: string): Record<string, string>[] {
    return text
        .replace(/^\s*#.*$/gm, "")
        .split(/\n\s*\n/)
        .map((block) => Object.fromEntries([...block.matchAll(/^([A-Za-z-]+)\s*:\s*(.*)$/gm)].map((m) => [m[1].toLowerCase(), m[2].trim()])))
        .filter((s) => "pin" in s && "pin-priority" in s);
}

/**
 * What APT preferences (the texts of /etc/apt/preferences and preferences.d, in reading order) and an
 * APT::Default-Release do to security updates: each a sentence, empty when security versions stay
 * the candidates.
 */
export function pinningProblems(preferences: readonly string[], defaultRelease?: string): string[] {
    const problems: string[] = [];
    const all = preferences.flatMap(stanzas);
    const wildcard = all.filter((s) => s.package === "*");
    const firstSecurity = wildcard.find((s) => isSecurityPin(s.pin));
    const security = firstSecurity ? Number(firstSecurity["pin-priority"]) : DEFAULT_PRIORITY;
    for (const s of wildcard) {
        const priority = Number(s["pin-priority"]);
        if (!isSecurityPin(s.pin) && priority > security) problems.push(`"Package: * / Pin: ${s.pin} / Pin-Priority: ${priority}" ranks that release above the security suite (${security}): its older versions stay the candidates, security fixes are never installed`);
        if (isSecurityPin(s.pin) && priority < DEFAULT_PRIORITY) problems.push(`"Package: * / Pin: ${s.pin} / Pin-Priority: ${priority}" ranks the security suite below the release (500): its fixes are never the candidates`);
    }
    for (const s of all.filter((s) => s.package !== "*" && /^version\s/i.test(s.pin) && Number(s["pin-priority"]) > DEFAULT_PRIORITY)) {
        problems.push(`"Package: ${s.package} / Pin: ${s.pin} / Pin-Priority: ${s["pin-priority"]}" holds those packages at that version: no security fix reaches them`);
    }
    if (defaultRelease && !isSecurityPin(defaultRelease) && security < 990) problems.push(`APT::Default-Release "${defaultRelease}" gives that release priority 990, above the security suite (${security}): security fixes are never the candidates`);
    return problems;
}

/** The APT::Default-Release an apt.conf text sets (the last one), if any. */
export function defaultRelease(texts: readonly string[]): string | undefined {
    let release: string | undefined;
    for (const text of texts) for (const m of text.matchAll(/APT::Default-Release\s+"([^"]*)"\s*;/gi)) release = m[1];
    return release;
}

/** An APT::Periodic value as a number of days (Infinity for off), as apt.systemd.daily reads it. */
export function periodicDays(value: string): number {
    const v = value.trim().toLowerCase();
    if (v === "always") return 0;
    const m = /^(\d+)\s*([smhd]?)$/.exec(v);
    if (!m) return Infinity;
    const n = Number(m[1]);
    if (n === 0) return Infinity;
    return n / ({ s: 86400, m: 1440, h: 24, d: 1, "": 1 } as Record<string, number>)[m[2]];
}

/**
 * The APT::Periodic settings (texts in reading order, last value wins) that leave the daily timer
 * refreshing the lists or installing updates less often than once a day.
 */
export function periodicTooRare(texts: readonly string[]): string[] {
    const values = new Map<string, string>();
    for (const text of texts) {
        const clean = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)(\/\/|#).*$/gm, "");
        for (const m of clean.matchAll(/(APT::Periodic::(Update-Package-Lists|Unattended-Upgrade))\s+"([^"]*)"\s*;/gi)) values.set(m[2].toLowerCase(), `${m[1]} "${m[3]}"`);
    }
    return [...values.values()].filter((setting) => {
        const days = periodicDays(/"([^"]*)"/.exec(setting)![1]);
        return days > 1 && days !== Infinity;
    });
}

/** The suites cloud-init's apt module leaves out (`disable_suites`) that carry security updates. */
export const disabledSecuritySuites = (suites: readonly string[]) => suites.filter((s) => /security/i.test(s));

/** Paths where a written file adds a CA to a trust store the VM's software uses. */
export const isTrustStorePath = (path: string) => /^\/usr\/local\/share\/ca-certificates\/.+|^\/usr\/share\/ca-certificates\/.+|^\/etc\/ssl\/certs\/[^/]+\.(pem|crt)$|^\/etc\/docker\/certs\.d\/[^/]+\/ca\.crt$|^\/etc\/pki\/ca-trust\/source\/anchors\//.test(path);
