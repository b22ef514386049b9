// rsyslog's forwarding rules as rsyslogd reads them: a rule whose selector takes every facility and
// priority (`*.*`) sends to `@host[:port]` (UDP), `@@host[:port]` (TCP), either with an options
// group (`@@(z9)host`), or to the target of an `omfwd` action. Comments (`#`) are dropped.

/** The IPv4 targets every log line is forwarded to, from rsyslog.conf texts. */
export function forwardTargets(texts: readonly string[]): string[] {
    const lines = texts.flatMap((text) => text.split("\n").map((l) => l.replace(/#.*$/, "").trim()));
    return lines
        .filter((l) => /^\*\.\*\s/.test(l))
        .flatMap((l) => [/\s@@?(?:\([^)]*\))?(\d+\.\d+\.\d+\.\d+)/.exec(l)?.[1], /\btarget\s*=\s*"([^"]+)"/.exec(l)?.[1]])
        .filter((t): t is string => t !== undefined);
}
