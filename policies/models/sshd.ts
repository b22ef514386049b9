// sshd's configuration as sshd reads it (sshd_config(5)): keywords case-insensitive, the FIRST value
// obtained wins; Debian's sshd_config starts with `Include /etc/ssh/sshd_config.d/*.conf`, so the
// drop-ins come first, in lexical order; a `Match` block's settings apply to the connections it
// matches. TCP forwarding is on unless AllowTcpForwarding says no (or DisableForwarding yes).

/** The global value of each keyword (before any Match), and the keywords any Match block sets, from texts in the order sshd reads them. */
export function sshdSettings(texts: readonly string[]): { global: Map<string, string>; matched: Map<string, string[]> } {
    const global = new Map<string, string>();
    const matched = new Map<string, string[]>();
    for (const text of texts) {
        let inMatch = false;
        for (const raw of text.split("\n")) {
            const line = raw.replace(/#.*$/, "").trim();
            const m = /^(\w+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
            if (!m) continue;
            const key = m[1].toLowerCase();
            if (key === "match") { inMatch = true; continue; }
            if (inMatch) matched.set(key, [...(matched.get(key) ?? []), m[2].trim()]);
            else if (!global.has(key)) global.set(key, m[2].trim());
        }
    }
    return { global, matched };
}

/** Ways an SSH session may carry other connections through the host (a path around the firewalls' segmentation). */
export function forwardingAllowed(texts: readonly string[]): string[] {
    const { global, matched } = sshdSettings(texts);
    if ((global.get("disableforwarding") ?? "no").toLowerCase() === "yes") return [];
    const found: string[] = [];
    const tcp = (global.get("allowtcpforwarding") ?? "yes").toLowerCase();
    if (tcp !== "no") found.push(`AllowTcpForwarding ${tcp}${global.has("allowtcpforwarding") ? "" : " (unset: sshd's default)"}`);
    const tunnel = (global.get("permittunnel") ?? "no").toLowerCase();
    if (tunnel !== "no") found.push(`PermitTunnel ${tunnel}`);
    for (const value of matched.get("allowtcpforwarding") ?? []) if (value.toLowerCase() !== "no") found.push(`AllowTcpForwarding ${value} in a Match block`);
    for (const value of matched.get("permittunnel") ?? []) if (value.toLowerCase() !== "no") found.push(`PermitTunnel ${value} in a Match block`);
    return found;
}
