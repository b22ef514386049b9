// Every value the dossier shows comes from the stack's config or the resources built from it: it is
// data, never Markdown or HTML. These helpers make it literal in the .md file and in the HTML that
// marked renders from it (a schedule "*-*-* 02:30:00" is not emphasis, "ssh://user@host" is not a
// mailto link, "<img onerror=...>" is text).

/**
 * Prose: the characters that open Markdown or HTML constructs backslash-escaped (CommonMark), the
 * URL and e-mail autolinks of GFM broken; "|" is escaped by table(), a leading block marker by item().
 * The rest stays readable in the .md file.
 */
export function text(value: unknown): string {
    return String(value ?? "")
        .replace(/\r?\n/g, " ")
        .replace(/[\\`*_[\]<>&!~#@{}]/g, (c) => `\\${c}`)
        .replace(/:\/\//g, "\\://")
        .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}\\.`);
}

/** A list item: a leading block marker of its text (heading, quote, list, rule) escaped. */
export const item = (line: string) => `- ${line.replace(/^([-+=>]|\d+[.)])/, (m) => `${m.slice(0, -1)}\\${m.slice(-1)}`)}`;

/** A technical value (address, schedule, name) as a code span: literal in Markdown and in HTML. */
export function code(value: unknown): string {
    const content = String(value ?? "").replace(/\r?\n/g, " ");
    const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
    const fence = "`".repeat(longest + 1);
    const pad = content.startsWith("`") || content.endsWith("`") || /^ .* $/.test(content) ? " " : "";
    return `${fence}${pad}${content}${pad}${fence}`;
}

/** A GFM table; cells are Markdown already (built with text/code); "|" is escaped here, also inside code spans. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const cell = (c: string) => c.replace(/\|/g, "\\|");
    return [`| ${header.map(cell).join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

/** Several lines inside one table cell. */
export const lines = (items: readonly string[]) => items.join("<br>");

/** A sentence starting with a capital letter. */
export const capital = (sentence: string) => sentence.charAt(0).toUpperCase() + sentence.slice(1);
