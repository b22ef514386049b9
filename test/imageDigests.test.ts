// Images pinned by tag and registry digest: the program pulls name:tag@digest when the digest keys
// are set, the production example's placeholders are refused until replaced, and the
// production-image-digests policy catches a production image pulled by tag alone (and only it).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { rules } from "../policies/rules";
import { missingDigestProblem } from "../policies/rules/productionImageDigests";
import { validateConfig } from "../components/config";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { evaluate } from "../tools/offline/policyEngine";
import { changed } from "./support/mutations";
import { PRODUCTION_OVERRIDES } from "./support/stacks";
import { projectKeys, readStackConfig, readYaml } from "./support/stackConfig";

const IMAGE = "docker:index/remoteImage:RemoteImage";
let run: ProgramRun;
before(async () => {
    run = await runProgram({ overrides: PRODUCTION_OVERRIDES });
});

describe("image digests", () => {
    it("pulls both images as name:tag@digest", () => {
        assert.deepEqual(run.ofType(IMAGE).map((i) => i.inputs.name).sort(), [
            `elabftw/elabimg:5.6.12@sha256:${"e1ab".repeat(16)}`,
            `mysql:8.4.8@sha256:${"5a1d".repeat(16)}`,
        ]);
    });

    it("finds no violation of production-image-digests on that production stack", async () => {
        const { violations } = await evaluate(rules, run.resources);
        assert.deepEqual(violations.filter((v) => v.policy === "production-image-digests"), []);
    });

    it("catches a production image pulled by tag alone, and only that policy does", async () => {
        const graph = changed(run.resources, IMAGE, "-mysql-image", (props) => {
            props.name = String(props.name).replace(/@sha256:.*/, "");
        });
        const { violations } = await evaluate(rules, graph);
        assert.deepEqual([...new Set(violations.map((v) => v.policy))], ["production-image-digests"]);
        assert.match(violations[0].message, /"mysql:8\.4\.8" is not pinned by tag and digest.*Fix: pulumi config set elabftwImageDigest \/ mysqlImageDigest/);
    });

    it("reads a reference as pinned only with a tag and a full sha256 digest", () => {
        assert.equal(missingDigestProblem(`mysql:8.4.8@sha256:${"0".repeat(64)}`), undefined);
        for (const bad of ["mysql:8.4.8", `mysql@sha256:${"0".repeat(64)}`, `mysql:8.4.8@sha256:${"0".repeat(63)}`, `mysql:8.4.8@sha256:${"A".repeat(64)}`]) {
            assert.ok(missingDigestProblem(bad), bad);
        }
    });

    it("refuses the production example's placeholders until real digests replace them", () => {
        const example = readYaml("Pulumi.prod.yaml.example").config as Record<string, unknown>;
        for (const key of ["elabftwImageDigest", "mysqlImageDigest"]) {
            const placeholder = String(example[`elabftw-onprem:${key}`]);
            assert.match(placeholder, /^REPLACE-/);
            const message = (() => {
                try {
                    validateConfig({ ...projectKeys(readStackConfig()), [key]: placeholder });
                } catch (error) {
                    return (error as Error).message;
                }
                return "accepted";
            })();
            assert.match(message, new RegExp(`elabftw-onprem:${key} = "REPLACE-.*is not a registry digest.*\\n\\s+Fix: pulumi config set ${key}`, "s"));
        }
    });
});
