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

/**
 * Algorithms OpenSSH's own defaults dropped or ANSSI's SSH guide rules out: SHA-1 key exchange and
 * signatures (ssh-rsa is RSA with SHA-1), DSA, CBC and RC4 ciphers, 3DES, MD5 and SHA-1 MACs.
 */
const WEAK_ALGORITHM = /(^|-)sha1(@|$|-)|^diffie-hellman-group(1|14)-sha1$|^diffie-hellman-group-exchange-sha1$|^ssh-(rsa|dss)(-cert-v01@openssh\.com)?$|-cbc(@|$)|^arcfour|^3des|^blowfish|^cast128|^hmac-md5|^hmac-sha1|^umac-64(-etm)?@/;
const ALGORITHM_KEYWORDS = ["kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes", "casignaturealgorithms", "hostbasedacceptedalgorithms"];

/**
 * The weak algorithms sshd offers, each list as sshd reads it: the first value of the keyword wins;
 * `+` appends to OpenSSH's defaults (none of them weak), `-` removes and `^` puts first; a plain
 * list replaces them. "KexAlgorithms +diffie-hellman-group14-sha1".
 */
export function weakSshAlgorithms(texts: readonly string[]): string[] {
    const { global, matched } = sshdSettings(texts);
    const found: string[] = [];
    for (const keyword of ALGORITHM_KEYWORDS) {
        for (const value of [global.get(keyword), ...(matched.get(keyword) ?? [])]) {
            if (value === undefined || value.startsWith("-")) continue;
            const weak = value.replace(/^[+^]/, "").split(",").map((a) => a.trim().toLowerCase()).filter((a) => WEAK_ALGORITHM.test(a));
            if (weak.length > 0) found.push(`${keyword} ${weak.join(",")}`);
        }
    }
    return found;
}

/** sshd's files in the order Debian's sshd reads them (sshd_config.d/*.conf by name, then sshd_config), from a path -> text map. */
export function sshdTexts(files: ReadonlyMap<string, string | undefined>): string[] {
    const dropIns = [...files.keys()].filter((p) => /^\/etc\/ssh\/sshd_config\.d\/[^/]+\.conf$/.test(p)).sort();
    return [...dropIns, "/etc/ssh/sshd_config"].map((p) => files.get(p)).filter((t): t is string => t !== undefined);
}
