// npm run report [-- --stack Pulumi.<name>.yaml] [--out DIR] [--policy-config FILE]
// The compliance dossier for the security officer: runs the real program with the stack's config
// under the offline engine and the real policy pack, and writes DIR/dossier.md, DIR/dossier.html and
// DIR/architecture.svg. No Pulumi CLI, no cluster, no network. Exits 1 when a mandatory policy fails.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { marked } from "marked";
import { rules } from "../../policies/rules";
import { REPO } from "../../components/config/stackFile";
import { runProgram } from "../offline/mockEngine";
import { evaluate } from "../offline/policyEngine";
import { architectureDot, dossierMarkdown } from "./dossier";

function option(name: string, fallback?: string): string | undefined {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? process.argv[at + 1] : fallback;
}

/** `--policy-config` as `pulumi preview --policy-pack-config` reads it: per policy, settings or a level. */
function policyConfig(file?: string): { settings: Record<string, Record<string, unknown>>; levels: Record<string, string> } {
    const raw = file ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
    const settings: Record<string, Record<string, unknown>> = {};
    const levels: Record<string, string> = {};
    for (const [policy, value] of Object.entries(raw)) {
        if (typeof value === "string") levels[policy] = value;
        else {
            const { enforcementLevel, ...rest } = value as Record<string, unknown>;
            settings[policy] = rest;
            if (typeof enforcementLevel === "string") levels[policy] = enforcementLevel;
        }
    }
    return { settings, levels };
}

async function main() {
    const stackFile = option("stack", "Pulumi.dev.yaml")!;
    const out = path.resolve(option("out", path.join(REPO, "report"))!);
    const { settings, levels } = policyConfig(option("policy-config"));
    const started = performance.now();

    const run = await runProgram({ stackFile, deterministic: true });
    const active = rules.filter((p) => (levels[p.name] ?? p.enforcementLevel) !== "disabled");
    const { violations } = await evaluate(active, run.resources, settings);
    const mandatory = violations.filter((v) => (levels[v.policy] ?? rules.find((p) => p.name === v.policy)?.enforcementLevel) === "mandatory");

    const { instance } = await import("@viz-js/viz");
    const svg = (await instance()).renderString(architectureDot(run.resources), { format: "svg", engine: "dot" });
    const unit = String(run.resources.find((r) => r.type === "proxmoxve:index/poolLegacy:PoolLegacy")?.inputs.poolId ?? "").replace(/^elabftw-/, "");
    const markdown = dossierMarkdown({
        stackFile,
        unit,
        stackKind: String(run.outputs.stackKind),
        resources: run.resources,
        violations,
        hardening: rules.filter((p) => !p.name.startsWith("cnrs-")).map((p) => ({ name: p.name, description: p.description ?? "" })),
        diagramFile: "architecture.svg",
    });
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "architecture.svg"), svg);
    writeFileSync(path.join(out, "dossier.md"), markdown);
    const html = (await marked.parse(markdown)).replace('<img src="architecture.svg" alt="Architecture">', svg.slice(svg.indexOf("<svg")));
    writeFileSync(
        path.join(out, "dossier.html"),
        `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Compliance dossier: eLabFTW of unit ${unit}</title>\n<style>body{font-family:sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.3rem .5rem;vertical-align:top;font-size:.9rem}svg{max-width:100%;height:auto}</style></head>\n<body>\n${html}\n</body></html>\n`,
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${path.relative(process.cwd(), out) || "."}/dossier.md, dossier.html, architecture.svg written in ${seconds} s: ${mandatory.length === 0 ? "compliant" : `${mandatory.length} mandatory violation(s)`}`);
    for (const v of mandatory) console.log(`  - ${v.policy}: ${v.message}`);
    if (mandatory.length > 0) process.exitCode = 1;
}

main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
});
