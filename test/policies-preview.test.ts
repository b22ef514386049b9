// The policy pack during `pulumi preview` of a new stack: ids and computed outputs are unknown.
// No policy may throw, and none may report a violation the finished deployment would not have;
// where a policy meets an unknown value, the engine would note "can't run during preview": none may.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { rules } from "../policies/rules";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { evaluate } from "../tools/offline/policyEngine";
import { changed, withOptions } from "./support/mutations";

let run: ProgramRun;
before(async () => {
    run = await runProgram({ preview: true });
});

describe("policy pack in preview", () => {
    it("runs on a graph with unknown values", () => {
        const unknown = run.resources.filter((r) => JSON.stringify(r.rawInputs).includes("04da6b54-80e4-46f7-96ec-b56ff0331ba9"));
        assert.ok(unknown.length > 5, "the preview graph has inputs that wait on other resources' outputs");
    });

    it("throws nothing, reports no violation, and runs every policy (none left for up)", async () => {
        const { violations, skippedInPreview } = await evaluate(rules, run.resources);
        assert.deepEqual(violations, []);
        assert.deepEqual(skippedInPreview, [], "policies that met an unknown value they could not decide without");
    });

    it("judges a container whose image is not known yet by the RemoteImage it comes from, and reports any other source", async () => {
        const container = run.one("docker:index/container:Container", "-elabftw-container");
        const image = run.one("docker:index/remoteImage:RemoteImage", "-elabftw-image");
        assert.deepEqual(container.propertyDependencies.image, [image.urn], "the container's image comes from its RemoteImage");
        assert.equal(container.rawInputs.image, "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "unknown in a preview");
        const policy = rules.filter((r) => r.name === "pinned-container-images");

        const moving = await evaluate(policy, changed(run.resources, "docker:index/remoteImage:RemoteImage", "-elabftw-image", (p) => (p.name = "elabftw/elabimg:stable")));
        assert.deepEqual(moving.violations.map((v) => v.resource).sort(), ["elabftw-elabftw-container", "elabftw-elabftw-image"]);

        const password = run.one("random:index/randomPassword:RandomPassword", "db-user-password");
        const elsewhere = await evaluate(policy, withOptions(run.resources, "docker:index/container:Container", "-elabftw-container", { propertyDependencies: { ...container.propertyDependencies, image: [password.urn] } }));
        assert.equal(elsewhere.violations.length, 1);
        assert.match(elsewhere.violations[0].message, /computed by .*db-user-password.*not one pulled by a pinned RemoteImage/);
        assert.deepEqual(elsewhere.skippedInPreview, []);
    });
});
