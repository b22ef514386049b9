// The policy pack's rules: the program's own graph (production stack) passes every rule, and a
// mutated copy with one violation is refused with a message that says how to fix it.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { pinnedContainerImages, rules, verifiedCloudImage } from "../policies/rules";
import { unpinnedImageProblem } from "../policies/rules/pinnedContainerImages";
import { CapturedResource, ProgramRun, runProgram } from "./support/harness";
import { mutated, violationsOf } from "./support/policy";
import { PRODUCTION_OVERRIDES } from "./support/stacks";

let run: ProgramRun;
let image: CapturedResource;
before(async () => {
    run = await runProgram({ overrides: PRODUCTION_OVERRIDES });
    image = run.one("proxmoxve:download/file:File", "-cloud-image");
});

/** A Docker container resource as the application issue will register it. */
function container(imageRef: string): CapturedResource {
    return { ...image, type: "docker:index/container:Container", name: "elabftw-web-container", inputs: { image: imageRef } };
}

describe("policy pack rules", () => {
    it("all pass on the program's own graph", async () => {
        assert.ok(run.resources.length > 10);
        assert.deepEqual(await violationsOf(rules, run.resources), []);
    });

    it("verified-cloud-image refuses an image without checksum", async () => {
        const violations = await violationsOf([verifiedCloudImage], [mutated(image, { checksum: undefined, checksumAlgorithm: undefined })]);
        assert.equal(violations.length, 1);
        assert.match(violations[0].message, /not verified by a SHA-256 or SHA-512 checksum\. Fix: set cloudImageChecksum/);
    });

    it("verified-cloud-image refuses a moving (latest) image URL and plain http", async () => {
        const latest = await violationsOf([verifiedCloudImage], [mutated(image, { url: "https://cloud.debian.org/images/cloud/trixie/latest/debian-13-generic-amd64.qcow2" })]);
        assert.equal(latest.length, 1);
        assert.match(latest[0].message, /moving image\. Fix: use a dated folder/);
        const http = await violationsOf([verifiedCloudImage], [mutated(image, { url: String(image.inputs.url).replace("https:", "http:") })]);
        assert.equal(http.length, 1);
        assert.match(http[0].message, /not https/);
    });

    it("pinned-container-images accepts exact releases, digests and image ids", async () => {
        for (const ref of ["elabftw/elabimg:5.6.12", "mysql:8.4.8", "registry.example.org:5000/elabftw/elabimg:5.6.12", `mysql@sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`]) {
            assert.deepEqual(await violationsOf([pinnedContainerImages], [container(ref)]), [], ref);
        }
    });

    it("pinned-container-images refuses latest, stable, major-only and untagged images", async () => {
        for (const ref of ["elabftw/elabimg:latest", "elabftw/elabimg:stable", "mysql:8.4", "mysql:8", "elabftw/elabimg", "registry.example.org:5000/elabimg"]) {
            const violations = await violationsOf([pinnedContainerImages], [container(ref)]);
            assert.equal(violations.length, 1, ref);
            assert.match(violations[0].message, /Fix: set the exact release in the stack config/);
        }
        assert.match(unpinnedImageProblem("elabftw/elabimg")!, /no tag, which means latest/);
        const remote = { ...container("x"), type: "docker:index/remoteImage:RemoteImage", inputs: { name: "mysql:lts" } };
        assert.equal((await violationsOf([pinnedContainerImages], [remote])).length, 1);
    });
});
