// The guests' nftables ruleset as the program renders it and `nft -f` loads it: per table, its base
// chains with their hook and policy (nft's default policy is accept; a dormant table's chains hook
// nothing), and their rules; a rule that
// accepts with no match at all (only counter, log, comment before accept) accepts everything.
import { memoByText } from "./memo";
import { commandName, stopsUnit } from "./shell";

export interface NftChain {
    readonly table: string;
    readonly name: string;
    readonly hook?: string;
    readonly policy: "accept" | "drop";
    readonly rules: readonly string[];
}

/** Chains of every `table <family> <name> { ... }` block (brace-counted, comments removed). */
export const parseRuleset = memoByText(parseRulesetText);

function parseRulesetText(text: string): NftChain[] {
    const lines = text.split("\n").map((l) => l.replace(/^((?:[^"#]|"[^"]*")*?)(^|\s)#.*$/, "$1").trim()).filter(Boolean);
    const chains: NftChain[] = [];
    let table: string | undefined;
    let chain: { name: string; hook?: string; policy: "accept" | "drop"; rules: string[] } | undefined;
    const dormant = new Set<string>();
    // Braces still open in a table's block that is not a chain (a set, a map...), on one line or
    // several as `nft list ruleset` prints them: its closing brace does not close the table.
    let block = 0;
    for (const line of lines) {
        if (table && !chain && (block > 0 || (line !== "}" && !/^chain\s/.test(line)))) {
            // A dormant table is loaded but its chains see no packet (nft(8): "flags dormant").
            if (block === 0 && /^flags\s+(\S+\s*,\s*)*dormant\b/.test(line)) dormant.add(table);
            const bare = line.replace(/"[^"]*"/g, "");
            block += (bare.match(/\{/g) ?? []).length - (bare.match(/\}/g) ?? []).length;
            continue;
        }
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
    return chains.map((c) => (dormant.has(c.table) ? { ...c, hook: undefined } : c));
}

/** A rule that accepts every packet reaching it. */
export function acceptsEverything(rule: string): boolean {
    const withoutNoise = rule.replace(/comment\s+"[^"]*"/g, "").replace(/\blog\b(\s+(prefix\s+"[^"]*"|level\s+\w+))*/g, "").replace(/\bcounter\b/g, "").trim();
    return withoutNoise === "accept";
}

/**
 * Whether an nft command line loads a ruleset: `-f FILE`/`--file FILE`/`--file=FILE` (or `-f` in a
 * bundle such as `-ef`), and no `-c`/`--check` (nft then parses and discards: nothing is loaded).
 */
export function loadsRuleset(argv: readonly string[]): boolean {
    if ((argv[0] ?? "").replace(/^.*\//, "") !== "nft") return false;
    const args = argv.slice(1);
    const shorts = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join("");
    const check = args.includes("--check") || shorts.includes("c");
    const file = args.some((a) => a === "--file" || a.startsWith("--file=")) || shorts.includes("f");
    return file && !check;
}

/** The command lines of the Exec*= settings (ExecStart, ExecStartPre...) of systemd unit texts. */
export function unitExecCommands(text: string): string[] {
    return text
        .split("\n")
        .flatMap((l) => /^\s*Exec(?:Start|StartPre|StartPost|Reload)\s*=\s*(.*)$/.exec(l)?.[1] ?? [])
        .map((c) => c.replace(/^[-@:+!]+/, ""));
}

/** Base chains of `inet elabftw` whose policy drops with no `log` statement in any rule: drops there leave no trace. */
export function unloggedDropChains(text: string): string[] {
    return parseRuleset(text)
        .filter((c) => c.table === "inet elabftw" && c.hook !== undefined && c.policy === "drop" && !c.rules.some((r) => /(^|\s)log(\s|$)/.test(r.replace(/"[^"]*"/g, '""'))))
        .map((c) => c.name);
}

/**
 * Why a command takes the guest table's rules away (nft(8)): `flush ruleset` empties every table,
 * `delete`/`destroy`/`flush` of the table or of one of its chains removes its rules, and Debian's
 * nftables.service, once enabled, loads /etc/nftables.conf, which starts with `flush ruleset`, at
 * boot, racing the program's unit; disabling or masking the program's unit leaves the next boot
 * without the table.
 */
export function wipesGuestTable(argv: readonly string[], table: string): string | undefined {
    const name = commandName(argv);
    if (name === "systemctl") {
        const words = argv.slice(1).filter((a) => !a.startsWith("-"));
        if (/^(enable|start|restart|reload)$/.test(words[0] ?? "") && words.slice(1).some((u) => /^nftables(\.service)?$/.test(u))) return `${argv.join(" ")} (Debian's nftables.service loads /etc/nftables.conf, which begins with flush ruleset)`;
        if (stopsUnit(argv, /^elabftw-nftables(\.service)?$/) && !/^stop$/.test(words[0] ?? "")) return `${argv.join(" ")} (the next boot loads no guest table)`;
        return undefined;
    }
    if (name !== "nft") return undefined;
    const words = argv.slice(1).filter((a) => !a.startsWith("-")).join(" ").replace(/\s*;\s*$/, "").trim();
    const [family, tableName] = table.split(" ");
    const ours = new RegExp(`^(delete|destroy|flush)\\s+(table|chain)\\s+(${family}\\s+)?${tableName}\\b`);
    if (/^flush\s+ruleset\b/.test(words) || ours.test(words)) return argv.join(" ");
    return undefined;
}
