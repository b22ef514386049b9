// Several units on one cluster: three stacks' graphs side by side (three units, their own subnets,
// VM IDs and nodes; only the first owns the datacenter firewall) share no cluster-wide name or ID.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CapturedResource } from "../tools/offline/mockEngine";
import { Graph, graphOf } from "./support/twoRuns";
import { IMAGE_SHA512, IMAGE_URL } from "./support/stacks";

const unit = (name: string, third: number, firstId: number, node: string): Record<string, string | undefined> => ({
    "elabftw-onprem:unit": name,
    "elabftw-onprem:serverSubnet": `10.20.${third}.0/24`,
    "elabftw-onprem:gateway": `10.20.${third}.1`,
    "elabftw-onprem:webAddress": `10.20.${third}.10`,
    "elabftw-onprem:dbAddress": `10.20.${third}.11`,
    "elabftw-onprem:webVmId": String(firstId),
    "elabftw-onprem:dbVmId": String(firstId + 1),
    "elabftw-onprem:vmIdRange": `${firstId}-${firstId + 99}`,
    "elabftw-onprem:fqdn": `elabftw.${name}.example.org`,
    "elabftw-onprem:clusterNodes": JSON.stringify(["pve1", "pve2"]),
    "elabftw-onprem:webNode": node,
    "elabftw-onprem:dbNode": node === "pve1" ? "pve2" : "pve1",
    "elabftw-onprem:cloudImageUrl": IMAGE_URL,
    "elabftw-onprem:cloudImageChecksum": IMAGE_SHA512,
    "elabftw-onprem:cloudImageVolume": undefined,
    "elabftw-onprem:backupTarget": `ssh://borg@10.20.60.20:22/./elabftw-${name}`,
});

let graphs: Graph[];
before(() => {
    graphs = [
        graphOf(unit("demo", 30, 2100, "pve1")),
        graphOf({ ...unit("ibgc", 31, 2200, "pve2"), "elabftw-onprem:manageClusterFirewall": "false" }),
        graphOf({ ...unit("lbm", 32, 2300, "pve1"), "elabftw-onprem:manageClusterFirewall": "false" }),
    ];
});

const all = (type: string) => graphs.flatMap((g) => g.resources.filter((r) => r.type === type));
function duplicates(values: string[]): string[] {
    return values.filter((value, i) => values.indexOf(value) !== i);
}
const clusterLevel = (r: CapturedResource) => r.inputs.vmId === undefined;

describe("three units on one cluster", () => {
    it("have distinct VM IDs, VM names and pools", () => {
        const vms = all("proxmoxve:index/vmLegacy:VmLegacy");
        assert.equal(vms.length, 6);
        assert.deepEqual(duplicates(vms.map((v) => String(v.inputs.vmId))), []);
        assert.deepEqual(duplicates(vms.map((v) => v.inputs.name)), []);
        assert.deepEqual(duplicates(all("proxmoxve:index/poolLegacy:PoolLegacy").map((p) => p.inputs.poolId)), []);
    });

    it("keep their aliases and IP sets on their own VMs (distinct per VM), and one owner of the datacenter firewall", () => {
        const objects = [...all("proxmoxve:firewall/aliasLegacy:AliasLegacy"), ...all("proxmoxve:firewall/ipsetLegacy:IpsetLegacy")];
        const perVm = objects.filter((o) => !clusterLevel(o));
        assert.ok(perVm.length >= 40, `${perVm.length} per-VM objects`);
        assert.deepEqual(duplicates(perVm.map((o) => `${o.inputs.vmId}/${o.inputs.name}`)), []);
        // On the datacenter: only the management set of the stack that owns the datacenter firewall.
        assert.deepEqual(objects.filter(clusterLevel).map((o) => o.inputs.name), ["management"]);
        assert.equal(all("proxmoxve:cluster/firewallLegacy:FirewallLegacy").length, 1);
    });

    it("write distinct snippet and image files on each node's storage", () => {
        const files = [
            ...all("proxmoxve:index/fileLegacy:FileLegacy").map((f) => `${f.inputs.nodeName}/${f.inputs.datastoreId}/${f.inputs.sourceRaw.fileName}`),
            ...all("proxmoxve:download/file:File").map((f) => `${f.inputs.nodeName}/${f.inputs.datastoreId}/${f.inputs.fileName}`),
        ];
        // Per unit: two user-data and two meta-data snippets, and an image on each of two nodes.
        assert.equal(files.length, 18);
        assert.deepEqual(duplicates(files), []);
    });

    it("tag each VM with its own unit", () => {
        for (const [i, name] of ["demo", "ibgc", "lbm"].entries()) {
            for (const vm of graphs[i].resources.filter((r) => r.type === "proxmoxve:index/vmLegacy:VmLegacy")) assert.ok(vm.inputs.tags.includes(name));
        }
    });
});
