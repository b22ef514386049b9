// An eLabFTW version bump, as two runs of the real program: the new image and container, the
// migration step re-triggered, and nothing that would reinstall the database or touch MySQL.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Graph, graphOf } from "./support/twoRuns";

const COMMAND = "command:remote:Command";
let current: Graph;
let next: Graph;

before(() => {
    current = graphOf({});
    next = graphOf({ "elabftw-onprem:elabftwVersion": "5.6.13" });
});

describe("eLabFTW version bump 5.6.12 -> 5.6.13", () => {
    it("pulls the new image and gives the container that image", () => {
        assert.equal(current.one("docker:index/remoteImage:RemoteImage", "-elabftw-image").inputs.name, "elabftw/elabimg:5.6.12");
        assert.equal(next.one("docker:index/remoteImage:RemoteImage", "-elabftw-image").inputs.name, "elabftw/elabimg:5.6.13");
        assert.notEqual(current.one("docker:index/container:Container", "-elabftw-container").inputs.image, next.one("docker:index/container:Container", "-elabftw-container").inputs.image);
    });

    it("re-triggers db:update + db:check, after the new container", () => {
        const before = current.one(COMMAND, "-db-lifecycle-update");
        const after = next.one(COMMAND, "-db-lifecycle-update");
        assert.deepEqual(before.inputs.triggers, ["5.6.12"]);
        assert.deepEqual(after.inputs.triggers, ["5.6.13"]);
        assert.equal(after.inputs.create, before.inputs.create);
        assert.ok(after.dependencies.includes(next.one("docker:index/container:Container", "-elabftw-container").urn));
    });

    it("takes fresh archives of the database and the uploads first", () => {
        for (const role of ["db", "web"]) {
            assert.deepEqual(current.one(COMMAND, `-backup-${role}-before-upgrade`).inputs.triggers, ["5.6.12", "8.4.8"]);
            assert.deepEqual(next.one(COMMAND, `-backup-${role}-before-upgrade`).inputs.triggers, ["5.6.13", "8.4.8"]);
        }
        assert.ok(next.one(COMMAND, "-db-lifecycle-update").dependencies.includes(next.one(COMMAND, "-backup-db-before-upgrade").urn));
    });

    it("leaves the install step unchanged, so db:install does not run again", () => {
        const before = current.one(COMMAND, "-db-lifecycle-install");
        const after = next.one(COMMAND, "-db-lifecycle-install");
        assert.deepEqual({ create: after.inputs.create, stdin: after.inputs.stdin, triggers: after.inputs.triggers }, { create: before.inputs.create, stdin: before.inputs.stdin, triggers: before.inputs.triggers });
    });

    it("changes nothing on the MySQL side", () => {
        const mysql = (graph: Graph) => graph.one("docker:index/container:Container", "-mysql-container").inputs;
        // Labels hash the certificates, which the TLS stand-in makes anew in every run: compare the rest.
        const { labels: _before, ...mysqlBefore } = mysql(current);
        const { labels: _after, ...mysqlAfter } = mysql(next);
        assert.deepEqual(mysqlAfter, mysqlBefore);
    });
});
