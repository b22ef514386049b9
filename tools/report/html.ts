// The dossier as one self-contained HTML page (the SVG inlined), and as a PDF beside it when
// Debian's chromium is installed: the security officer prints or archives either.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { marked } from "marked";

const STYLE = [
    "body{font-family:sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;line-height:1.35}",
    "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccd;padding:.3rem .5rem;vertical-align:top;font-size:.85rem}",
    "code{font-size:.85em;background:#f3f4f7;padding:0 .15em;word-break:break-word}svg{max-width:100%;height:auto}",
    "table:last-of-type td{height:3.5rem;min-width:10rem}",
    "@media print{body{margin:0;max-width:none}tr{break-inside:avoid}h2{break-after:avoid}}",
].join("\n");

const escapeHtml = (value: string) => value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export async function dossierHtml(markdown: string, title: string, diagramFile: string, svg: string): Promise<string> {
    const body = (await marked.parse(markdown)).replace(`<img src="${diagramFile}" alt="Architecture">`, svg.slice(svg.indexOf("<svg")));
    return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>\n<style>\n${STYLE}\n</style></head>\n<body>\n${body}\n</body></html>\n`;
}

/** Debian's chromium, when installed. */
export function findChromium(): string | undefined {
    for (const name of ["chromium", "chromium-browser"]) {
        const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
        if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
    }
    return undefined;
}

/** The flags of a throwaway, offline headless Chromium (its own profile, no network, no updates). */
export function chromiumArgs(profile: string): string[] {
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", `--user-data-dir=${profile}`];
}

/** Prints `htmlFile` to `pdfFile` with headless Chromium; a reason string when it could not. */
export function printPdf(chromium: string, htmlFile: string, pdfFile: string): string | undefined {
    const profile = mkdtempSync(path.join(tmpdir(), "dossier-chromium-"));
    try {
        const run = spawnSync(chromium, [...chromiumArgs(profile), "--no-pdf-header-footer", `--print-to-pdf=${pdfFile}`, pathToFileURL(htmlFile).href], { encoding: "utf8", timeout: 120_000 });
        if (run.error || run.status !== 0) return `chromium failed (${run.error?.message ?? `exit ${run.status}`}): ${(run.stderr ?? "").trim().split("\n").pop()}`;
        return undefined;
    } finally {
        rmSync(profile, { recursive: true, force: true });
    }
}
