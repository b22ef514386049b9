// The guests' nftables ruleset as the program renders it and `nft -f` loads it: per table, its base
// chains with their hook and policy (nft's default policy is accept), and their rules; a rule that
// accepts with no match at all (only counter, log, comment before accept) accepts everything.
export interface NftChain {
    readonly table: string;
    readonly name: string;
    readonly hook?: string;
    readonly policy: "accept" | "drop";
    readonly rules: readonly string[];
}

/** Chains of every `table <family> <name> { ... }` block (brace-counted, comments removed). */
export function parseRuleset(text: string): NftChain[] {
    const lines = text.split("\n").map((l) => l.replace(/^((?:[^"#]|"[^"]*")*?)(^|\s)#.*$/, "$1").trim()).filter(Boolean);
    const chains: NftChain[] = [];
    let table: string | undefined;
    let chain: { name: string; hook?: string; policy: "accept" | "drop"; rules: string[] } | undefined;
    for (const line of lines) {
        const t = /^table\s+(\w+)\s+(\S+)\s*\{$/.exec(line);
        if (t) {
            table = `${t[1]} ${t[2]}`;
            continue;
        }
        const c = /^chain\s+(\S+)\s*\{$/.exec(line);
        if (c && table) {
            chain = { name: c[1], policy: "accept", rules: [] };
            continue;
        }
        if (line === "}") {
            if (chain) chains.push({ table: table!, ...chain });
            else table = undefined;
            chain = undefined;
            continue;
        }
        if (!chain) continue;
        // `;` separates statements, except inside a quoted comment.
        for (const statement of (line.match(/(?:[^;"]|"[^"]*")+/g) ?? []).map((s) => s.trim()).filter(Boolean)) {
            const hook = /^type\s+\w+\s+hook\s+(\w+)/.exec(statement);
            const policy = /^policy\s+(accept|drop)$/.exec(statement);
            if (hook) chain.hook = hook[1];
            else if (policy) chain.policy = policy[1] as "accept" | "drop";
            else chain.rules.push(statement);
        }
    }
    return chains;
}

/** A rule that accepts every packet reaching it. */
export function acceptsEverything(rule: string): boolean {
    const withoutNoise = rule.replace(/comment\s+"[^"]*"/g, "").replace(/\blog\b(\s+(prefix\s+"[^"]*"|level\s+\w+))*/g, "").replace(/\bcounter\b/g, "").trim();
    return withoutNoise === "accept";
}
