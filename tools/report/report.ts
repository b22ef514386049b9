// npm run report [-- --stack Pulumi.<name>.yaml] [--out DIR] [--policy-config FILE] [--no-pdf]
// The compliance dossier for the security officer: runs the real program with the stack's config
// under the offline engine and the real policy pack, and writes DIR/dossier.md, DIR/dossier.html,
// DIR/architecture.svg (and DIR/dossier.pdf when chromium is installed). No Pulumi CLI, no cluster,
// no network. Exit codes: tools/cli.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { validateConfig } from "../../components/config/validate";
import { projectKeys, readStackConfig, REPO } from "../../components/config/stackFile";
import { Command, CommandLine, EXIT, EXIT_CODES_HELP, existingFile, runCommand, UsageError } from "../cli";
import { architectureDot } from "./diagram";
import { compliant, dossierMarkdown } from "./dossier";
import { dossierHtml, findChromium, printPdf } from "./html";

type Rules = (typeof import("../../policies/rules"))["rules"];

const COMMAND: Command = {
    name: "report",
    synopsis: "[--stack FILE | FILE] [--out DIR] [--policy-config FILE] [--no-pdf]",
    options: { stack: { type: "string" }, out: { type: "string" }, "policy-config": { type: "string" }, "no-pdf": { type: "boolean" } },
    positionals: 1,
    help: [
        "Writes the compliance dossier of a stack: dossier.md, dossier.html, architecture.svg, and dossier.pdf",
        "when Debian's chromium is installed. Runs the program offline (no Pulumi CLI, no cluster).",
        "",
        "  --stack FILE, FILE     the stack file (default Pulumi.dev.yaml)",
        "  --out DIR              where to write (default report/ in the repository)",
        "  --policy-config FILE   the JSON given to `pulumi preview --policy-pack-config` (default: the pack's defaults)",
        "  --no-pdf               skip the PDF even when chromium is installed",
        "",
        EXIT_CODES_HELP,
    ].join("\n"),
};

/** `--policy-config` as `pulumi preview --policy-pack-config` reads it: per policy, settings or a level. */
function policyConfig(rules: Rules, file?: string): { settings: Record<string, Record<string, unknown>>; levels: Record<string, string>; content?: string } {
    if (!file) return { settings: {}, levels: {} };
    const content = readFileSync(existingFile(file, "policy config file"), "utf8");
    let raw: Record<string, unknown>;
    try {
        raw = JSON.parse(content) as Record<string, unknown>;
    } catch (error) {
        throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
    }
    const settings: Record<string, Record<string, unknown>> = {};
    const levels: Record<string, string> = {};
    for (const [policy, value] of Object.entries(raw)) {
        if (!rules.some((p) => p.name === policy)) throw new UsageError(`${file}: ${policy} is not a policy of the pack (docs/policies.md lists them)`);
        if (typeof value === "string") levels[policy] = value;
        else {
            const { enforcementLevel, ...rest } = value as Record<string, unknown>;
            settings[policy] = rest;
            if (typeof enforcementLevel === "string") levels[policy] = enforcementLevel;
        }
    }
    return { settings, levels, content: JSON.stringify(raw) };
}

const git = (...args: string[]) => spawnSync("git", ["-C", REPO, ...args], { encoding: "utf8" });

/** The commit the program runs from, marked when the work tree has uncommitted changes. */
function commit(): string {
    const head = git("rev-parse", "--short=12", "HEAD");
    if (head.status !== 0) return "unknown (not a git checkout)";
    return `${head.stdout.trim()}${git("status", "--porcelain", "--untracked-files=no").stdout.trim() ? " + uncommitted changes" : ""}`;
}

const version = (file: string) => String(JSON.parse(readFileSync(path.join(REPO, file), "utf8")).version);

async function main(args: CommandLine): Promise<number> {
    const { values, positionals } = args;
    if (values.stack !== undefined && positionals.length > 0) throw new UsageError(`the stack file is given twice (--stack ${values.stack} and ${positionals[0]})`);
    const stackFile = String(values.stack ?? positionals[0] ?? "Pulumi.dev.yaml");
    const stackPath = existingFile(stackFile);
    const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), String(values.out ?? path.join(REPO, "report")));
    const policyFile = values["policy-config"] as string | undefined;
    // The program, the engine and the pack load only once the command line is known good.
    const { rules } = await import("../../policies/rules");
    const { runProgram } = await import("../offline/mockEngine");
    const { evaluate } = await import("../offline/policyEngine");
    const { settings, levels, content } = policyConfig(rules, policyFile);
    const started = performance.now();

    validateConfig(projectKeys(readStackConfig(stackPath)), stackFile); // a ConfigError stops here, before any output
    const run = await runProgram({ stackFile: stackPath, deterministic: true });
    const ruleLevels = rules.map((p) => ({ name: p.name, description: p.description ?? "", level: levels[p.name] ?? p.enforcementLevel ?? "advisory" }));
    const active = rules.filter((p) => ruleLevels.find((r) => r.name === p.name)!.level !== "disabled");
    const { violations } = await evaluate(active, run.resources, settings);

    const { instance } = await import("@viz-js/viz");
    const svg = (await instance()).renderString(architectureDot(run.resources), { format: "svg", engine: "dot" });
    const unit = String(run.resources.find((r) => r.type === "proxmoxve:index/poolLegacy:PoolLegacy")?.inputs.poolId ?? "").replace(/^elabftw-/, "");
    const markdown = dossierMarkdown({
        cover: {
            unit,
            stackFile,
            stackKind: String(run.outputs.stackKind),
            generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
            programVersion: version("package.json"),
            commit: commit(),
            policyPackVersion: version("policies/package.json"),
            policyConfig: policyFile && content ? { file: policyFile, content } : undefined,
        },
        resources: run.resources,
        violations,
        rules: ruleLevels,
        settings,
        diagramFile: "architecture.svg",
    });
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "architecture.svg"), svg);
    writeFileSync(path.join(out, "dossier.md"), markdown);
    writeFileSync(path.join(out, "dossier.html"), await dossierHtml(markdown, `Compliance dossier: eLabFTW of unit ${unit}`, "architecture.svg", svg));
    const written = ["dossier.md", "dossier.html", "architecture.svg"];
    const chromium = values["no-pdf"] ? undefined : findChromium();
    const pdf = path.join(out, "dossier.pdf");
    if (existsSync(pdf)) rmSync(pdf); // never leave a PDF of an earlier run beside this dossier
    if (chromium) {
        const failed = printPdf(chromium, path.join(out, "dossier.html"), pdf);
        if (failed) console.log(`no PDF: ${failed}`);
        else written.push("dossier.pdf");
    } else if (!values["no-pdf"]) console.log("no PDF: chromium is not installed (apt-get install chromium)");

    const mandatory = violations.filter((v) => ruleLevels.find((r) => r.name === v.policy)?.level === "mandatory");
    for (const v of mandatory) console.log(`  - ${v.policy}: ${v.message}`);
    const relative = path.relative(process.env.INIT_CWD ?? process.cwd(), out);
    const where = relative.startsWith("..") ? out : relative || ".";
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const ok = compliant({ rules: ruleLevels, violations });
    console.log(`${stackFile}: ${ok ? "compliant" : `NOT COMPLIANT, ${mandatory.length} mandatory violation(s)`} (${written.map((f) => `${where}/${f}`).join(", ")} written in ${seconds} s)`);
    return ok ? EXIT.ok : EXIT.policyFailed;
}

void runCommand(COMMAND, main);
