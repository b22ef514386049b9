// rsyslog's forwarding rules as rsyslogd reads them: a rule whose selector takes every facility and
// priority (`*.*`) sends to `@host[:port]` (UDP), `@@host[:port]` (TCP), either with an options
// group (`@@(z9)host`), or to the target of an `omfwd` action (protocol="udp" unless "tcp", port 514
// unless set). Comments (`#`) are dropped.

export interface ForwardRule {
    readonly target: string;
    readonly protocol: "udp" | "tcp";
    readonly port: number;
}

/** Where every log line is forwarded to (IPv4 targets), from rsyslog.conf texts. */
export function forwardRules(texts: readonly string[]): ForwardRule[] {
    const lines = texts.flatMap((text) => text.split("\n").map((l) => l.replace(/#.*$/, "").trim()));
    return lines
        .filter((l) => /^\*\.\*\s/.test(l))
        .flatMap((l): ForwardRule[] => {
            const legacy = /\s(@@?)(?:\([^)]*\))?(\d+\.\d+\.\d+\.\d+)(?::(\d+))?/.exec(l);
            if (legacy) return [{ target: legacy[2], protocol: legacy[1] === "@@" ? "tcp" : "udp", port: Number(legacy[3] ?? 514) }];
            const target = /\btarget\s*=\s*"([^"]+)"/.exec(l)?.[1];
            if (!target) return [];
            const protocol = /\bprotocol\s*=\s*"([^"]+)"/.exec(l)?.[1]?.toLowerCase() === "tcp" ? "tcp" : "udp";
            return [{ target, protocol, port: Number(/\bport\s*=\s*"(\d+)"/.exec(l)?.[1] ?? 514) }];
        });
}

/** The targets alone. */
export const forwardTargets = (texts: readonly string[]): string[] => forwardRules(texts).map((r) => r.target);
