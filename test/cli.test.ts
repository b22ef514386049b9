// The command-line tools as a newcomer types them: every mistake gets a one-line usage error and
// exit 64, nothing is written, and the documented exit codes hold (0, 1, 2, 64).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "../components/config/stackFile";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-cli-"));
const TOOLS: Record<string, string> = { report: "tools/report/report.ts", "edge-rules": "tools/edgeRules.ts", "proxmox-acl": "tools/proxmoxAcl.ts", "config:docs": "tools/configDocs.ts" };

function run(tool: string, ...args: string[]) {
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, TOOLS[tool]), ...args], { cwd: REPO, encoding: "utf8", env: { ...process.env, INIT_CWD: REPO } });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, all: result.stdout + result.stderr };
}

/** One line on stderr, naming the tool, exit 64, and no stack trace. */
function assertUsageError(result: ReturnType<typeof run>, tool: string, reason: RegExp) {
    assert.equal(result.status, 64, result.all);
    assert.equal(result.stdout, "");
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `more than one line:\n${result.stderr}`);
    assert.match(lines[0], new RegExp(`^${tool}: `));
    assert.match(lines[0], reason);
    assert.match(lines[0], new RegExp(`Try: npm run ${tool} -- --help$`));
}

describe("command-line mistakes", () => {
    it("--help prints the usage and the exit codes, exit 0, for every tool (and evaluates nothing)", () => {
        for (const tool of Object.keys(TOOLS)) {
            const out = path.join(dir, `help-${tool}`);
            const result = run(tool, "--help");
            assert.equal(result.status, 0, result.all);
            assert.match(result.stdout, new RegExp(`^usage: npm run ${tool}`));
            assert.match(result.stdout, /Exit codes: 0 .*1 .*\n2 .*64 /);
            assert.equal(result.stderr, "");
            assert.ok(!existsSync(out));
        }
    });

    it("an unknown option is refused, with the option it resembles", () => {
        assertUsageError(run("report", "--stak", "Pulumi.x.yaml"), "report", /unknown option --stak \(did you mean --stack\?\)/);
        assertUsageError(run("edge-rules", "--stak", "Pulumi.x.yaml"), "edge-rules", /unknown option --stak/);
        assertUsageError(run("config:docs", "--check"), "config:docs", /unknown option --check/);
    });

    it("an option without its value is refused, also when the next word is an option", () => {
        assertUsageError(run("report", "--stack"), "report", /--stack needs a value/);
        assertUsageError(run("report", "--stack", "--out", dir), "report", /--stack needs a value/);
        assertUsageError(run("report", "--stack="), "report", /--stack needs a value/);
        assertUsageError(run("edge-rules", "--stack"), "edge-rules", /--stack needs a value/);
    });

    it("a missing stack file is one line naming it, whether given as --stack or as the argument", () => {
        assertUsageError(run("report", "Pulumi.x.yaml"), "report", /Pulumi\.x\.yaml: no such stack file/);
        assertUsageError(run("report", "--stack", "Pulumi.x.yaml"), "report", /Pulumi\.x\.yaml: no such stack file/);
        assertUsageError(run("edge-rules", "Pulumi.x.yaml"), "edge-rules", /Pulumi\.x\.yaml: no such stack file/);
        assertUsageError(run("proxmox-acl", "Pulumi.x.yaml"), "proxmox-acl", /Pulumi\.x\.yaml: no such stack file/);
        assertUsageError(run("report", "--policy-config", "nope.json"), "report", /nope\.json: no such policy config file/);
    });

    it("extra arguments and a stack given twice are refused", () => {
        assertUsageError(run("report", "Pulumi.dev.yaml", "Pulumi.prod.yaml.example"), "report", /unexpected argument Pulumi\.prod\.yaml\.example/);
        assertUsageError(run("report", "--stack", "Pulumi.dev.yaml", "Pulumi.dev.yaml"), "report", /the stack file is given twice/);
        assertUsageError(run("config:docs", "Pulumi.yaml"), "config:docs", /unexpected argument Pulumi\.yaml/);
    });

    it("an invalid stack exits 2 with every problem and a last line naming the stack; no dossier is written", () => {
        const stack = readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8").replace(/elabftw-onprem:stackKind: test/, "elabftw-onprem:stackKind: prod");
        const file = path.join(dir, "Pulumi.prod-typo.yaml");
        writeFileSync(file, stack);
        const out = path.join(dir, "invalid");
        for (const [tool, args] of [["report", ["--stack", file, "--out", out]], ["edge-rules", [file]], ["proxmox-acl", [file]]] as const) {
            const result = run(tool, ...args);
            assert.equal(result.status, 2, result.all);
            assert.match(result.stderr, /stackKind = "prod": is not one of the allowed values test, production \(did you mean production\?\)/);
            assert.equal(result.stderr.trimEnd().split("\n").at(-1), `${file}: invalid configuration (1 problem); nothing written`);
            assert.doesNotMatch(result.all, /\n\s+at /, "no stack trace");
        }
        assert.ok(!existsSync(out), "no dossier for an invalid stack");
    });

    it("a YAML mistake exits 2 with the file and the line to fix", () => {
        const lines = readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8").split("\n");
        const at = lines.findIndex((l) => l.startsWith("  elabftw-onprem:unit:"));
        lines[at] = "  elabftw-onprem:unit: [demo";
        const file = path.join(dir, "Pulumi.broken.yaml");
        writeFileSync(file, lines.join("\n"));
        const result = run("edge-rules", file);
        assert.equal(result.status, 2, result.all);
        assert.equal(result.stderr.split("\n")[0], `${file}, line ${at + 1}: the [ opened here is never closed (the YAML parser noticed it at line ${at + 2}: Flow sequence in block collection must be sufficiently indented and end with a ])`);
        assert.equal(result.stderr.trimEnd().split("\n").at(-1), `${file}: not valid YAML; nothing written`);
    });

    it("edge-rules: the table on stdout, the verdict line (stack and result) on stderr", () => {
        const result = run("edge-rules", "Pulumi.dev.yaml");
        assert.equal(result.status, 0, result.all);
        assert.match(result.stdout, /^# Edge firewall rules for unit demo \(Pulumi\.dev\.yaml\)\n\n\| Num \|/);
        assert.equal(result.stderr, "Pulumi.dev.yaml: valid configuration, 15 edge firewall rules printed\n");
    });
});
