// The program on a two-node cluster: each VM on its own node with its snippets and firewall objects;
// with HA on shared storage (one image download, nodes left to HA) and without HA on local storage
// (one download per node, node changes migrate); and the validator refusing HA that could not work.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ConfigError, validateConfig } from "../components/config";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { graphOf, Graph } from "./support/twoRuns";
import { projectKeys, readStackConfig } from "./support/stackConfig";
import { HA_ON_SHARED_STORAGE, PRODUCTION_OVERRIDES, TWO_NODES } from "./support/stacks";

const VM = "proxmoxve:index/vmLegacy:VmLegacy";

let ha: ProgramRun;
let local: Graph;
before(async () => {
    local = graphOf({ ...PRODUCTION_OVERRIDES, ...TWO_NODES });
    ha = await runProgram({ overrides: { ...PRODUCTION_OVERRIDES, ...HA_ON_SHARED_STORAGE } });
});

describe("program graph on a two-node cluster", () => {
    it("puts each VM, its snippets and its firewall objects on its own node", () => {
        for (const [role, node] of [["web", "pve1"], ["db", "pve2"]]) {
            assert.equal(ha.one(VM, `-${role}`).inputs.nodeName, node);
            assert.equal(ha.one("proxmoxve:index/fileLegacy:FileLegacy", `-${role}-user-data`).inputs.nodeName, node);
            assert.equal(ha.one("proxmoxve:index/fileLegacy:FileLegacy", `-${role}-meta-data`).inputs.nodeName, node);
            assert.equal(ha.one("proxmoxve:firewall/rulesLegacy:RulesLegacy", `-${role}-rules`).inputs.nodeName, node);
            assert.equal(ha.one("proxmoxve:firewall/optionsLegacy:OptionsLegacy", `-${role}-options`).inputs.nodeName, node);
        }
    });

    it("downloads the image on each node when the import storage is local, with a long timeout and no overwrite", () => {
        const downloads = local.resources.filter((r) => r.type === "proxmoxve:download/file:File");
        assert.deepEqual(downloads.map((d) => d.inputs.nodeName).sort(), ["pve1", "pve2"]);
        for (const [role, node] of [["web", "pve1"], ["db", "pve2"]]) {
            const image = local.one("proxmoxve:download/file:File", `-cloud-image-${node}`);
            assert.ok(local.one(VM, `-${role}`).dependencies.includes(image.urn));
            assert.deepEqual([image.inputs.uploadTimeout, image.inputs.overwriteUnmanaged], [1800, false]);
        }
    });

    it("downloads the image once when the import storage is shared, and both VMs import that copy", () => {
        const downloads = ha.ofType("proxmoxve:download/file:File");
        assert.deepEqual(downloads.map((d) => [d.inputs.nodeName, d.inputs.datastoreId]), [["pve1", "cephfs"]]);
        for (const role of ["web", "db"]) assert.ok(ha.one(VM, `-${role}`).dependencies.includes(downloads[0].urn));
    });

    it("puts both VMs in the unit's pool and registers them for HA", () => {
        const pool = ha.one("proxmoxve:index/poolLegacy:PoolLegacy", "-pool");
        assert.equal(pool.inputs.poolId, "elabftw-demo");
        for (const vm of ha.ofType(VM)) assert.equal(vm.inputs.poolId, "elabftw-demo");
        assert.deepEqual(ha.ofType("proxmoxve:index/haresourceLegacy:HaresourceLegacy").map((h) => [h.inputs.resourceId, h.inputs.state]).sort(), [["vm:2101", "started"], ["vm:2102", "started"]]);
    });

    it("leaves the node of an HA-managed VM to HA, and migrates a VM without HA when its node changes", () => {
        for (const vm of ha.ofType(VM)) assert.ok(vm.ignoreChanges.includes("nodeName"), `${vm.name} would be recreated where HA moved it`);
        for (const vm of local.resources.filter((r) => r.type === VM)) {
            assert.ok(!vm.ignoreChanges.includes("nodeName"), "without HA the program's placement holds");
            assert.equal(vm.inputs.migrate, true, "a node change migrates the VM instead of recreating it with its data disk");
        }
    });
});

describe("HA the cluster can carry out", () => {
    const dev = projectKeys(readStackConfig());
    const refusal = (changes: Record<string, string>) => {
        try {
            validateConfig({ ...dev, ...Object.fromEntries(Object.entries(changes).map(([k, v]) => [k.replace("elabftw-onprem:", ""), v])) });
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            return error.message;
        }
        return "accepted";
    };

    it("refuses highAvailability with volumes or snippets on node-local storage, naming the storage and the fix", () => {
        const message = refusal({ ...TWO_NODES, "elabftw-onprem:highAvailability": "true" });
        assert.match(message, /highAvailability.*"local-zfs" \(the os volumes\) is not in sharedDatastores/);
        assert.match(message, /"local" \(the snippets volumes\) is not in sharedDatastores/);
        assert.match(message, /set highAvailability false/);
    });

    it("refuses HA when only the snippets stay local: every start rebuilds the cloud-init drive from them", () => {
        const message = refusal({ ...HA_ON_SHARED_STORAGE, "elabftw-onprem:datastores": JSON.stringify(["ceph-crypt=os,data,efi,tpm,cloudinit,import", "local=snippets"]), "elabftw-onprem:sharedDatastores": JSON.stringify(["ceph-crypt"]) });
        assert.match(message, /"local" \(the snippets volumes\)/);
        assert.doesNotMatch(message, /the os volumes/);
    });

    it("accepts HA on shared storage, and refuses a shared storage no kind uses", () => {
        assert.equal(refusal(HA_ON_SHARED_STORAGE), "accepted");
        assert.match(refusal({ ...HA_ON_SHARED_STORAGE, "elabftw-onprem:sharedDatastores": JSON.stringify(["ceph-crypt", "cephfs", "nfs-old"]) }), /sharedDatastores.*"nfs-old", which no datastores entry uses/);
    });
});
