// Convergence: two runs of the same stack give byte-identical inputs for every resource (so a
// second `pulumi up` has nothing to do), and routine changes (an eLabFTW version bump, a new admin
// SSH key, a new firewall flow) change no VM and no data disk. Generated values are derived from
// names here (the engine keeps them in the state between runs), so any difference is the program's.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CapturedResource } from "../tools/offline/mockEngine";
import { Graph, graphOf } from "./support/twoRuns";

const NEW_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2LVbgXmWLFZO2g/WWJXS+1GxGmA/eMcIC4G1nh3DcT second-admin@lab.example.org";
const routineChanges: Record<string, Record<string, string>> = {
    "eLabFTW version bump": { "elabftw-onprem:elabftwVersion": "5.6.13" },
    "a new admin SSH key": {
        "elabftw-onprem:adminSshKeys": JSON.stringify([
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2LVbgXmWLFZO2g/WWJXS+1GxGmA/eMcIC4G1nh3DcT sysadmin@lab.example.org",
            NEW_KEY,
        ]),
    },
    "a new firewall flow": { "elabftw-onprem:extraFlows": JSON.stringify(["allow tcp adminNetwork -> db 33060 # MySQL X protocol for the DBA"]) },
};

let first: Graph;
let second: Graph;
const changed: Record<string, Graph> = {};
before(() => {
    first = graphOf({}, true);
    second = graphOf({}, true);
    for (const [name, overrides] of Object.entries(routineChanges)) changed[name] = graphOf(overrides, true);
});

const inputsByUrn = (graph: Graph) => new Map(graph.resources.map((r) => [r.urn, JSON.stringify(r.rawInputs)]));

/** A VM's inputs without the paths the program tells Pulumi to ignore. */
function vmInputs(vm: CapturedResource): unknown {
    const inputs = structuredClone(vm.rawInputs) as Record<string, any>;
    delete inputs.initialization?.userDataFileId;
    delete inputs.disks?.[0]?.importFrom;
    return inputs;
}

describe("convergence", () => {
    it("gives byte-identical inputs to every resource on a second run", () => {
        const a = inputsByUrn(first);
        const b = inputsByUrn(second);
        assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
        const differing = [...a].filter(([urn, inputs]) => b.get(urn) !== inputs).map(([urn]) => urn);
        assert.deepEqual(differing, []);
        assert.ok(a.size > 100);
    });

    for (const name of Object.keys(routineChanges)) {
        it(`replaces no VM and no data disk for ${name}`, () => {
            for (const vm of first.resources.filter((r) => r.type === "proxmoxve:index/vmLegacy:VmLegacy")) {
                const after = changed[name].resources.find((r) => r.urn === vm.urn)!;
                assert.deepEqual(vmInputs(after), vmInputs(vm), `${vm.name} would change`);
            }
            for (const step of ["-data-luks-format", "-data-mount"]) {
                for (const c of first.resources.filter((r) => r.name.endsWith(step))) {
                    const after = changed[name].resources.find((r) => r.urn === c.urn)!;
                    assert.equal(JSON.stringify(after.rawInputs), JSON.stringify(c.rawInputs), `${c.name} would run again`);
                }
            }
        });
    }

    it("does change what each routine change is about (the comparison can fail)", () => {
        const differs = (name: string, type: string, suffix: string) => {
            const before = first.one(type, suffix);
            const after = changed[name].one(type, suffix);
            return JSON.stringify(before.rawInputs) !== JSON.stringify(after.rawInputs);
        };
        assert.ok(differs("eLabFTW version bump", "docker:index/remoteImage:RemoteImage", "-elabftw-image"));
        assert.ok(differs("a new admin SSH key", "proxmoxve:index/fileLegacy:FileLegacy", "-web-user-data"));
        // Existing VMs get the new key over SSH (cloud-init only runs at first boot).
        assert.ok(differs("a new admin SSH key", "command:remote:Command", "-web-admin-keys"));
        assert.ok(changed["a new admin SSH key"].one("command:remote:Command", "-db-admin-keys").rawInputs.stdin!.toString().includes("second-admin@lab.example.org"));
        assert.ok(differs("a new firewall flow", "proxmoxve:firewall/rulesLegacy:RulesLegacy", "-db-rules"));
    });
});
