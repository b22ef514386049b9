// The GitHub Actions workflows validate against GitHub's workflow schema (action-validator), and
// the destroy workflows' guard refuses any stack not declared a test stack.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateWorkflow } from "@action-validator/core";
import { REPO } from "../components/config/stackFile";

const WORKFLOWS = path.join(REPO, ".github", "workflows");

describe("CI workflows", () => {
    const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));

    it("are the pull-request preview, the main-branch update, the test-stack destroyer and the drift check", () => {
        assert.deepEqual(files.sort(), ["destroy-test-stacks.yml", "drift.yml", "main-up.yml", "pull-request.yml"]);
    });

    it("validate against the workflow schema", () => {
        for (const file of files) assert.deepEqual(validateWorkflow(readFileSync(path.join(WORKFLOWS, file), "utf8")).errors, [], file);
    });

    it("are refused by the validator when broken (the check can fail)", () => {
        const broken = readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8").replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04");
        assert.notDeepEqual(validateWorkflow(broken).errors, []);
    });

    it("preview with the policy pack and comment on the pull request; check drift with no change expected", () => {
        const preview = readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8");
        assert.match(preview, /command: preview[\s\S]*policyPacks: policies[\s\S]*comment-on-pr: true/);
        assert.match(readFileSync(path.join(WORKFLOWS, "drift.yml"), "utf8"), /expect-no-changes: true/);
    });

    it("destroy nothing but stacks declared stackKind: test", () => {
        const guard = (stack: string) => spawnSync("bash", [path.join(REPO, ".github", "scripts", "test-stack-only.sh"), stack], { cwd: REPO, encoding: "utf8" });
        assert.equal(guard("dev").status, 0);
        const production = guard("prod");
        assert.equal(production.status, 1, "Pulumi.prod.yaml does not exist in the repository: refused");
        assert.match(production.stderr, /refusing/);
        assert.equal(guard("../etc").status, 2);
        assert.match(readFileSync(path.join(WORKFLOWS, "destroy-test-stacks.yml"), "utf8"), /test-stack-only\.sh[\s\S]*pulumi destroy --yes[\s\S]*pulumi stack rm --yes/);
    });
});
