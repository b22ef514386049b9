// Where a script puts the notebook's content when it reads it outside the database and the uploads
// folder: eLabFTW's API (an HTTP GET under /api/v1 or /api/v2 returns experiments, items, uploads)
// and SQL queries that return rows (a SELECT of columns from a table; counts, checksums and the
// server's own schemas are not content). Each read is followed to where its output lands: a file
// (curl -o, wget -O, a redirection, tee) or the journal (logger, systemd-cat), whatever the name
// of the command that runs the query (a shell function `sql -e "SELECT …"` counts as well).
import { commandName, effectiveCommand, pipelines } from "./shell";

export interface DataExport {
    readonly what: string;
    /** The file it lands in, or "the journal". */
    readonly to: string;
}

const AGGREGATE = /^(COUNT|SUM|MAX|MIN|AVG|CHECKSUM|BIT_XOR|CRC32|MD5|SHA2|LENGTH)\s*\(|^\d+$|^'[^']*'$|^@@/i;

/** Whether a SQL statement returns stored content (columns of a table, not counts or metadata). */
export function readsRows(sql: string): boolean {
    const m = /^\s*SELECT\s+([\s\S]+?)\s+FROM\s+(\S+)/i.exec(sql);
    if (!m) return false;
    if (/^`?(information_schema|performance_schema|mysql|sys)`?\./i.test(m[2])) return false;
    return !m[1].split(",").every((column) => AGGREGATE.test(column.trim()));
}

const apiUrl = (word: string) => /^https?:\/\/[^\s]*\/api\/v[12]\//.test(word) || /\/api\/v[12]\/(experiments|items|uploads|users|teams|export)/.test(word);

/** The reads of stored content a script makes, with where each lands. */
export function dataExports(script: string): DataExport[] {
    const found: DataExport[] = [];
    for (const { stages } of pipelines(script)) {
        for (const [i, stage] of stages.entries()) {
            const argv = effectiveCommand(stage).argv;
            const name = commandName(argv);
            const query = argv.findIndex((a, k) => k > 0 && (argv[k - 1] === "-e" || argv[k - 1] === "--execute") && readsRows(a));
            const api = /^(curl|wget)$/.test(name) ? argv.find(apiUrl) : undefined;
            if (query < 0 && !api) continue;
            const what = api ? `${name} ${api}` : `${name} -e "${argv[query].slice(0, 60)}"`;
            const outputs = [
                ...argv.flatMap((a, k) => (/^(-o|--output|-O|--output-document)$/.test(argv[k - 1] ?? "") && api ? [a] : [])),
                ...stages.slice(i).flatMap((s) => s.redirects.filter((r) => (r.fd === 1 || r.fd === "&") && /^>>?\|?$/.test(r.op)).map((r) => r.target)),
                ...stages.slice(i + 1).flatMap((s) => (commandName(effectiveCommand(s).argv) === "tee" ? effectiveCommand(s).argv.slice(1).filter((a) => !a.startsWith("-")) : [])),
            ].filter((t) => t !== "-" && !/^\/dev\/(null|stdout|stderr)$/.test(t));
            for (const to of outputs) found.push({ what, to });
            if (stages.slice(i + 1).some((s) => /^(logger|systemd-cat)$/.test(commandName(effectiveCommand(s).argv)))) found.push({ what, to: "the journal" });
        }
    }
    return found;
}
