// The GitHub Actions workflows: they validate against GitHub's workflow schema (action-validator),
// and their security properties are read from the YAML and asserted (each check shown to fail on a
// mutated copy): no secret for forks nor without an environment, production's secrets only behind
// the `production` environment on main, least-privilege permissions, every action pinned to the
// commit of a verified tag, no destroy without preview; and the destroy guard reads the stack's
// kind from the backend.
// Stand-in: `pulumi` on PATH answers `stack export --stack S` with the export of a fixture stack
// (the shape `pulumi stack export` prints: version 3, deployment.resources, the root
// pulumi:pulumi:Stack carrying the outputs) and records its argv; the real engine is not run here.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { REPO } from "../components/config/stackFile";

const WORKFLOWS = path.join(REPO, ".github", "workflows");
const files = Object.fromEntries(readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).map((f) => [f, readFileSync(path.join(WORKFLOWS, f), "utf8")]));

/** Each pin checked against the action's repository (git rev-parse <tag>^{commit} on a fetched copy). */
const VERIFIED_PINS: Record<string, string> = {
    "actions/checkout@11d5960a326750d5838078e36cf38b85af677262": "v4.4.0",
    "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020": "v4.4.0",
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": "v4.6.2",
    "pulumi/actions@8582a9e8cc630786854029b4e09281acd6794b58": "v6.6.1",
    "webfactory/ssh-agent@a6f90b1f127823b31d4d4a8d96047790581349bd": "v0.9.1",
};
const ENVIRONMENT_SECRETS: Record<string, RegExp> = { preview: /^TEST_/, "test-stack": /^TEST_/, "test-maintenance": /^TEST_/, production: /^PROD_/ };
const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";
const MAIN_ONLY = "github.ref == 'refs/heads/main'";

/** Every violation of the properties above, as "file job: what". */
function workflowProblems(texts: Record<string, string>): string[] {
    const problems: string[] = [];
    for (const [file, text] of Object.entries(texts)) {
        const workflow = parse(text);
        const triggers = Object.keys(workflow.on ?? {});
        if (triggers.some((t) => t === "pull_request_target" || t === "workflow_run")) problems.push(`${file}: runs with secrets on events a fork controls`);
        if (JSON.stringify(workflow.permissions) !== "{}") problems.push(`${file}: top-level permissions are not {}`);
        if (/--skip-preview/.test(text)) problems.push(`${file}: --skip-preview`);
        for (const line of text.split("\n").filter((l) => /^\s*-?\s*uses:/.test(l))) {
            const match = /uses:\s*(\S+)\s+#\s*(\S+)\s*$/.exec(line);
            if (!match || VERIFIED_PINS[match[1]] !== match[2]) problems.push(`${file}: ${line.trim()} is not pinned to a verified commit`);
        }
        for (const [name, job] of Object.entries<any>(workflow.jobs)) {
            const where = `${file} ${name}`;
            const condition = String(job.if ?? "");
            for (const [scope, level] of Object.entries<string>(job.permissions ?? { all: "missing" })) {
                const allowed = level === "read" || (file === "pull-request.yml" && name === "preview" && scope === "pull-requests" && level === "write");
                if (!allowed) problems.push(`${where}: permission ${scope}: ${level}`);
            }
            const secrets = [...JSON.stringify(job).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]).filter((s) => s !== "GITHUB_TOKEN");
            const selfHosted = /vars\.|self-hosted/.test(JSON.stringify(job["runs-on"]));
            if (triggers.includes("pull_request") && (secrets.length || selfHosted) && !condition.includes(FORK_GUARD)) problems.push(`${where}: a fork's pull request reaches secrets or the self-hosted runner`);
            if (secrets.length === 0) continue;
            const pattern = ENVIRONMENT_SECRETS[job.environment];
            if (!pattern) problems.push(`${where}: secrets without a protected environment`);
            for (const secret of secrets) if (pattern && !pattern.test(secret)) problems.push(`${where}: secret ${secret} outside its environment`);
            if (job.environment === "production" && !(condition.includes(MAIN_ONLY) && triggers.join() === "push" && JSON.stringify(workflow.on.push) === '{"branches":["main"]}')) {
                problems.push(`${where}: production secrets outside a push to main`);
            }
            if (!triggers.includes("pull_request") && !condition.includes(MAIN_ONLY)) problems.push(`${where}: secrets for a ref other than main`);
        }
    }
    return problems;
}

describe("CI workflows", () => {
    it("are the pull-request preview, the main-branch update, the test-stack destroyer and the drift check", () => {
        assert.deepEqual(Object.keys(files).sort(), ["destroy-test-stacks.yml", "drift.yml", "main-up.yml", "pull-request.yml"]);
    });

    it("validate against the workflow schema, and a broken one is refused", () => {
        for (const [file, text] of Object.entries(files)) assert.deepEqual(validateWorkflow(text).errors, [], file);
        assert.notDeepEqual(validateWorkflow(files["pull-request.yml"].replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04")).errors, []);
    });

    it("keep forks away from secrets and the runner, production behind its environment on main, permissions least, actions pinned", () => {
        assert.deepEqual(workflowProblems(files), []);
        const preview = parse(files["pull-request.yml"]).jobs.preview;
        assert.equal(preview.environment, "preview");
        assert.match(preview.if, new RegExp(FORK_GUARD.replace(/\./g, "\\.")));
        assert.equal(parse(files["main-up.yml"]).jobs.production.environment, "production");
    });

    it("flags each violation on a mutated copy (the checks can fail)", () => {
        const mutate = (file: string, from: string | RegExp, to: string) => {
            const text = files[file].replace(from, to);
            assert.notEqual(text, files[file], `${from} not found in ${file}`);
            return workflowProblems({ [file]: text });
        };
        const cases: [string, string | RegExp, string, RegExp][] = [
            ["pull-request.yml", "  pull_request:\n", "  pull_request_target:\n", /events a fork controls/],
            ["pull-request.yml", `    if: ${FORK_GUARD}\n`, "", /a fork's pull request reaches secrets/],
            ["pull-request.yml", "secrets.TEST_PULUMI_CONFIG_PASSPHRASE", "secrets.PROD_PULUMI_CONFIG_PASSPHRASE", /secret PROD_PULUMI_CONFIG_PASSPHRASE outside its environment/],
            ["pull-request.yml", "    environment: preview\n", "", /secrets without a protected environment/],
            ["pull-request.yml", "permissions: {}", "permissions: write-all", /top-level permissions/],
            ["drift.yml", "      contents: read", "      contents: write", /permission contents: write/],
            ["drift.yml", `    if: ${MAIN_ONLY}\n`, "", /secrets for a ref other than main/],
            ["main-up.yml", "branches: [main]", "branches: [main, release]", /production secrets outside a push to main/],
            ["destroy-test-stacks.yml", "pulumi destroy --yes", "pulumi destroy --yes --skip-preview", /--skip-preview/],
            ["destroy-test-stacks.yml", /actions\/checkout@\S+ # v4\.4\.0/, "actions/checkout@v4", /is not pinned/],
            ["destroy-test-stacks.yml", "# v4.4.0", "# v4.3.0", /is not pinned/],
        ];
        for (const [file, from, to, expected] of cases) assert.ok(mutate(file, from, to).some((p) => expected.test(p)), `${file}: ${to} not flagged`);
    });

    it("preview with the policy pack and comment on the pull request; check drift with no change expected", () => {
        assert.match(files["pull-request.yml"], /command: preview[\s\S]*policyPacks: policies[\s\S]*comment-on-pr: true/);
        assert.match(files["drift.yml"], /expect-no-changes: true/);
        assert.match(files["destroy-test-stacks.yml"], /for stack in \$STACKS; do\n\s+bash \.github\/scripts\/test-stack-only\.sh "\$stack"\n\s+pulumi destroy --yes --stack "\$stack"\n\s+pulumi stack rm --yes --stack "\$stack"/);
    });
});

describe("the destroy guard", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "elabftw-guard-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const exportOf = (outputs: Record<string, unknown>) =>
        JSON.stringify({ version: 3, deployment: { manifest: { version: "3.248.0" }, resources: [{ urn: "urn:pulumi:s::elabftw-onprem::pulumi:pulumi:Stack::elabftw-onprem-s", custom: false, type: "pulumi:pulumi:Stack", outputs }] } });
    writeFileSync(path.join(dir, "dev.json"), exportOf({ stackKind: "test", siteUrl: "https://x" }));
    writeFileSync(path.join(dir, "prod.json"), exportOf({ stackKind: "production" }));
    writeFileSync(path.join(dir, "empty.json"), JSON.stringify({ version: 3, deployment: { manifest: {} } }));
    writeFileSync(
        path.join(dir, "pulumi"),
        `#!/bin/bash\n# Stand-in for the Pulumi CLI: stack export --stack S prints the fixture S.json, as the backend would.\nprintf '%s\\n' "$*" >> ${dir}/argv\n` +
            `[ "$1 $2 $3" = "stack export --stack" ] || exit 9\n[ -f "${dir}/$4.json" ] || { echo "error: no stack named '$4' found" >&2; exit 255; }\ncat "${dir}/$4.json"\n`,
    );
    chmodSync(path.join(dir, "pulumi"), 0o755);
    // The checked-out ref claims every stack is a test stack: the guard must not care.
    writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  elabftw-onprem:stackKind: test\n");
    const guard = (stack: string) =>
        spawnSync("bash", [path.join(REPO, ".github", "scripts", "test-stack-only.sh"), stack], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });

    it("lets a stack through only when the backend's stackKind output is test", () => {
        const dev = guard("dev");
        assert.equal(dev.status, 0, dev.stderr);
        assert.match(dev.stdout, /dev is a test stack \(stackKind output in the backend\)/);
        assert.match(readFileSync(path.join(dir, "argv"), "utf8"), /^stack export --stack dev$/m);
    });

    it("refuses production even when a file of the ref says test, a stack without the output, and an unknown stack", () => {
        const production = guard("prod");
        assert.equal(production.status, 1);
        assert.match(production.stderr, /prod has stackKind 'production' in the backend, not test: refusing to destroy it/);
        assert.match(guard("empty").stderr, /stackKind 'none' in the backend, not test: refusing/);
        const unknown = guard("nope");
        assert.equal(unknown.status, 1);
        assert.match(unknown.stderr, /cannot read stack nope from the backend: refusing/);
        for (const bad of ["../etc", "a b", "$(id)", "org/proj/st/x"]) assert.equal(guard(bad).status, 2, bad);
    });
});
