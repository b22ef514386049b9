// rsyslog's forwarding rules as rsyslogd reads them: a rule whose legacy selector (rsyslog.conf(5):
// `facility[,facility].priority` parts joined by `;`, each later part setting or clearing the levels
// of its facilities: `.none` none, `.=p` that level only, `.!p` not those levels) sends to `@host[:port]` (UDP), `@@host[:port]` (TCP), either with an options
// group (`@@(z9)host`), or to the target of an `omfwd` action (protocol="udp" unless "tcp", port 514
// unless set). Comments (`#`) are dropped.

export interface ForwardRule {
    /** The legacy selector of the rule (`*.*`, `*.*;auth,authpriv.none`, `auth,authpriv.*`). */
    readonly selector: string;
    readonly target: string;
    readonly protocol: "udp" | "tcp";
    readonly port: number;
}

/** Where every log line is forwarded to (IPv4 targets), from rsyslog.conf texts. */
export function forwardRules(texts: readonly string[]): ForwardRule[] {
    const lines = texts.flatMap((text) => text.split("\n").map((l) => l.replace(/#.*$/, "").trim()));
    return lines
        .filter((l) => /^[\w*,=!]+\.[\w*=!]+(;[\w*,=!]+\.[\w*=!]+)*\s/.test(l))
        .flatMap((l): ForwardRule[] => {
            const selector = l.split(/\s/)[0];
            const legacy = /\s(@@?)(?:\([^)]*\))?(\d+\.\d+\.\d+\.\d+)(?::(\d+))?/.exec(l);
            if (legacy) return [{ selector, target: legacy[2], protocol: legacy[1] === "@@" ? "tcp" : "udp", port: Number(legacy[3] ?? 514) }];
            const target = /\btarget\s*=\s*"([^"]+)"/.exec(l)?.[1];
            if (!target) return [];
            const protocol = /\bprotocol\s*=\s*"([^"]+)"/.exec(l)?.[1]?.toLowerCase() === "tcp" ? "tcp" : "udp";
            return [{ selector, target, protocol, port: Number(/\bport\s*=\s*"(\d+)"/.exec(l)?.[1] ?? 514) }];
        });
}

/** The targets of the rules that forward every line (every facility, from info up). */
export const forwardTargets = (texts: readonly string[]): string[] => forwardRules(texts).filter(forwardsEverything).map((r) => r.target);

/**
 * The lines rsyslogd discards before the first forwarding rule, in the order it reads its texts: a
 * `stop` (RainerScript: `if … then stop`, `… then { stop }`, `& stop`, a selector's `stop` action) or
 * the legacy discard `~`. Each is given with its filter (the lines it drops never reach the syslog
 * server); a bare `stop` drops everything.
 */
export function discardedBeforeForwarding(texts: readonly string[]): string[] {
    const found: string[] = [];
    let previousFilter = "";
    for (const text of texts) {
        for (const raw of text.split("\n")) {
            const line = raw.replace(/#.*$/, "").trim();
            if (!line) continue;
            if (forwardRules([line]).length > 0) return found;
            const script = /^if\s+(.+?)\s+then\s+(?:\{\s*)?stop\b/.exec(line);
            const selector = /^(\S+\.\S+)\s+(?:stop|~)\s*$/.exec(line);
            const continued = /^&\s*(?:stop|~)\s*$/.test(line);
            if (script) found.push(script[1]);
            else if (selector) found.push(selector[1]);
            else if (continued) found.push(previousFilter || "the previous rule's lines");
            else if (/^stop$/.test(line)) found.push("every line");
            // The filter a following `& stop` applies to: an `if … then`, a property filter (its action is
            // the last word), or a selector.
            const filter = /^if\s+(.+?)\s+then\b/.exec(line) ?? /^(:\S.*?)\s+\S+$/.exec(line) ?? /^(\S+\.\S+)\s+\S/.exec(line);
            if (filter) previousFilter = filter[1];
        }
    }
    return found;
}

const SEVERITIES: Readonly<Record<string, number>> = { emerg: 0, panic: 0, alert: 1, crit: 2, err: 3, error: 3, warning: 4, warn: 4, notice: 5, info: 6, debug: 7, "*": 7 };

/** Whether a legacy selector takes a message of `facility` at `severity` (0 emerg … 7 debug). */
export function selectorMatches(selector: string, facility: string, severity: number): boolean {
    let taken = false;
    for (const part of selector.split(";")) {
        const dot = part.lastIndexOf(".");
        const facilities = part.slice(0, dot).split(",");
        if (!facilities.includes("*") && !facilities.includes(facility)) continue;
        let priority = part.slice(dot + 1);
        if (priority === "none") { taken = false; continue; }
        const negated = priority.startsWith("!");
        if (negated) priority = priority.slice(1);
        const exact = priority.startsWith("=");
        if (exact) priority = priority.slice(1);
        const level = SEVERITIES[priority] ?? 7;
        const hit = exact ? severity === level : severity <= level;
        if (negated && hit) taken = false;
        else if (!negated && hit) taken = true;
    }
    return taken;
}

const FACILITIES = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", ...Array.from({ length: 8 }, (_, i) => `local${i}`)];

/** Whether a rule's selector takes every facility at info and above (`*.*`, `*.info`). */
export const forwardsEverything = (rule: ForwardRule) => FACILITIES.every((f) => selectorMatches(rule.selector, f, 6));

/** What sshd (auth), sudo and PAM (authpriv) log at info: the logins and the commands run as root. */
export const ACCESS_LOGS: readonly [string, number][] = [["auth", 6], ["authpriv", 6]];

/** rsyslog's configuration files among `paths`, in the order rsyslogd reads them (Debian's rsyslog.conf includes rsyslog.d/*.conf, in lexical order, before its own rules). */
export function rsyslogPaths(paths: Iterable<string>): string[] {
    return [...paths].filter((p) => /^\/etc\/rsyslog\.(conf|d\/[^/]+\.conf)$/.test(p)).sort((a, b) => (a === "/etc/rsyslog.conf" ? 1 : b === "/etc/rsyslog.conf" ? -1 : a < b ? -1 : 1));
}
