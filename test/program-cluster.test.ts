// The program on a two-node cluster with HA: each VM on its own node, with its snippet, its image
// download and its firewall objects there; both VMs in the unit's pool and registered for HA.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { PRODUCTION_OVERRIDES } from "./support/stacks";

let run: ProgramRun;
before(async () => {
    run = await runProgram({
        overrides: {
            ...PRODUCTION_OVERRIDES,
            "elabftw-onprem:clusterNodes": JSON.stringify(["pve1", "pve2"]),
            "elabftw-onprem:dbNode": "pve2",
            "elabftw-onprem:highAvailability": "true",
        },
    });
});

describe("program graph on a two-node cluster", () => {
    it("puts each VM, its snippet and its firewall objects on its own node", () => {
        for (const [role, node] of [["web", "pve1"], ["db", "pve2"]]) {
            assert.equal(run.one("proxmoxve:index/vmLegacy:VmLegacy", `-${role}`).inputs.nodeName, node);
            assert.equal(run.one("proxmoxve:index/fileLegacy:FileLegacy", `-${role}-user-data`).inputs.nodeName, node);
            assert.equal(run.one("proxmoxve:firewall/rulesLegacy:RulesLegacy", `-${role}-rules`).inputs.nodeName, node);
            assert.equal(run.one("proxmoxve:firewall/optionsLegacy:OptionsLegacy", `-${role}-options`).inputs.nodeName, node);
        }
    });

    it("downloads the image on each node, and each VM imports its node's copy", () => {
        const downloads = run.ofType("proxmoxve:download/file:File");
        assert.deepEqual(downloads.map((d) => d.inputs.nodeName).sort(), ["pve1", "pve2"]);
        for (const [role, node] of [["web", "pve1"], ["db", "pve2"]]) {
            const image = run.one("proxmoxve:download/file:File", `-cloud-image-${node}`);
            assert.ok(run.one("proxmoxve:index/vmLegacy:VmLegacy", `-${role}`).dependencies.includes(image.urn));
        }
    });

    it("puts both VMs in the unit's pool and registers them for HA", () => {
        const pool = run.one("proxmoxve:index/poolLegacy:PoolLegacy", "-pool");
        assert.equal(pool.inputs.poolId, "elabftw-demo");
        for (const vm of run.ofType("proxmoxve:index/vmLegacy:VmLegacy")) assert.equal(vm.inputs.poolId, "elabftw-demo");
        assert.deepEqual(run.ofType("proxmoxve:index/haresourceLegacy:HaresourceLegacy").map((h) => [h.inputs.resourceId, h.inputs.state]).sort(), [["vm:2101", "started"], ["vm:2102", "started"]]);
    });
});
