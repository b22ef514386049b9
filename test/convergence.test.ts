// Convergence: two runs of the same stack give byte-identical inputs for every resource (so a
// second `pulumi up` has nothing to do), routine changes (an eLabFTW version bump, a new admin
// SSH key, a new firewall flow) change no VM and no data disk, and neither does what a refresh reads
// from a running cluster (the guest agent's interfaces once Docker runs, the node HA moved a VM to).
// Generated values are derived from names here (the engine keeps them in the state between runs),
// so any difference is the program's.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CapturedResource } from "../tools/offline/mockEngine";
import { Graph, graphOf } from "./support/twoRuns";
import { HA_ON_SHARED_STORAGE } from "./support/stacks";

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

/** The guest agent once Docker runs: lo, the NIC, docker0 and a veth per container (bpg reads them all). */
const DOCKER_INTERFACES = ["00:00:00:00:00:00", "BC:24:11:AA:BB:CC", "02:42:AC:11:00:01", "5E:21:9C:0D:3A:01", "7A:64:02:E1:55:02"];

let first: Graph;
let second: Graph;
const changed: Record<string, Graph> = {};
let dockerRunning: Graph;
let ha: Graph;
let haMoved: Graph;
before(() => {
    first = graphOf({}, true);
    second = graphOf({}, true);
    for (const [name, overrides] of Object.entries(routineChanges)) changed[name] = graphOf(overrides, true);
    dockerRunning = graphOf({}, true, { agentMacAddresses: DOCKER_INTERFACES });
    ha = graphOf(HA_ON_SHARED_STORAGE, true);
    haMoved = graphOf(HA_ON_SHARED_STORAGE, true, { nodeName: "pve3" });
});

const DISK_STEPS = ["-cloud-init", "-data-luks-format", "-data-mount"];

/** The disk steps whose inputs differ between two graphs: each would run again (a trigger changed). */
function rerunSteps(before: Graph, after: Graph): string[] {
    return before.resources
        .filter((r) => r.type === "command:remote:Command" && DISK_STEPS.some((step) => r.name.endsWith(step)))
        .filter((c) => JSON.stringify(after.resources.find((r) => r.urn === c.urn)!.rawInputs) !== JSON.stringify(c.rawInputs))
        .map((c) => c.name);
}

/**
 * What `pulumi up` does to a VM after a refresh read `outputs` from the cluster, as bpg decides it:
 * a nodeName differing from the program's is ignored if listed in ignoreChanges, else migrates the
 * VM when migrate is true, else replaces it (customdiff.ForceNewIf on node_name in vm.go).
 */
function vmStep(vm: CapturedResource): "same" | "migrate" | "replace" {
    const reported = (vm.rawOutputs as Record<string, unknown>).nodeName;
    if (reported === vm.inputs.nodeName || vm.ignoreChanges.includes("nodeName")) return "same";
    return vm.inputs.migrate === true ? "migrate" : "replace";
}

const inputsByUrn = (graph: Graph) => new Map(graph.resources.map((r) => [r.urn, JSON.stringify(r.rawInputs)]));

/** A VM's inputs without the paths the program tells Pulumi to ignore. */
function vmInputs(vm: CapturedResource): unknown {
    const inputs = structuredClone(vm.rawInputs) as Record<string, any>;
    delete inputs.initialization?.userDataFileId;
    delete inputs.initialization?.metaDataFileId;
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

    it("re-runs no disk step when the guest agent reports Docker's interfaces", () => {
        const vm = dockerRunning.one("proxmoxve:index/vmLegacy:VmLegacy", "-web");
        assert.deepEqual(vm.rawOutputs.macAddresses, DOCKER_INTERFACES, "the provider does report them");
        assert.ok(first.resources.filter((r) => DISK_STEPS.some((step) => r.name.endsWith(step))).length >= 6);
        assert.deepEqual(rerunSteps(first, dockerRunning), []);
    });

    it("neither replaces nor moves an HA-managed VM that HA put on another node, nor re-runs its disk steps", () => {
        for (const vm of haMoved.resources.filter((r) => r.type === "proxmoxve:index/vmLegacy:VmLegacy")) {
            assert.equal((vm.rawOutputs as Record<string, unknown>).nodeName, "pve3");
            assert.equal(vmStep(vm), "same", vm.name);
            assert.equal(vmStep({ ...vm, ignoreChanges: [] }), "migrate", "without the ignore, the VM would be moved back");
            assert.equal(vmStep({ ...vm, ignoreChanges: [], inputs: { ...vm.inputs, migrate: false } }), "replace", "and with migrate false, recreated");
        }
        assert.deepEqual(rerunSteps(ha, haMoved), []);
    });

    it("gives each VM a fixed instance-id that a rewritten user-data snippet leaves alone", () => {
        const snippet = (graph: Graph, role: string, kind: string) => graph.one("proxmoxve:index/fileLegacy:FileLegacy", `-${role}-${kind}`).inputs.sourceRaw.data as string;
        const keyChange = changed["a new admin SSH key"];
        for (const [role, vmId] of [["web", 2101], ["db", 2102]] as const) {
            assert.notEqual(snippet(keyChange, role, "user-data"), snippet(first, role, "user-data"));
            assert.equal(snippet(keyChange, role, "meta-data"), snippet(first, role, "meta-data"));
            assert.match(snippet(first, role, "meta-data"), new RegExp(`^instance-id: elabftw-demo-${role}-${vmId}\nlocal-hostname: demo-elabftw-${role}\n$`));
            const vm = first.one("proxmoxve:index/vmLegacy:VmLegacy", `-${role}`);
            assert.equal(vm.inputs.initialization.metaDataFileId, `local:snippets/demo-elabftw-${role}-meta-data.yaml`);
            assert.ok(vm.ignoreChanges.includes("initialization.metaDataFileId"), "VMs created before the meta-data snippet are not replaced for it");
        }
    });

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
