// No lockout, ever: after `pulumi up` and `pulumi destroy` of any stack (the example test stack that
// owns the datacenter firewall, a unit that does not, a production stack with HA), in any order on
// one cluster, the admin network still reaches 8006 and 22 on every node. The cluster-level
// resources the graphs hold are applied and removed as the provider and Proxmox do
// (test/support/clusterFirewall.ts).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CapturedResource } from "../tools/offline/mockEngine";
import { ClusterFirewall, destroy, nodeAccepts, up } from "./support/clusterFirewall";
import { graphOf } from "./support/twoRuns";
import { HA_ON_SHARED_STORAGE, PRODUCTION_OVERRIDES } from "./support/stacks";

const ADMIN = "10.20.50.3"; // in adminNetwork 10.20.50.0/28
const OUTSIDER = "10.20.40.9"; // the lab subnet
const NODES = ["pve1", "pve2", "pve3"];

let stacks: Record<string, CapturedResource[]>;
before(() => {
    stacks = {
        "test stack owning the datacenter firewall": graphOf({}).resources,
        "second unit (manageClusterFirewall false)": graphOf({
            "elabftw-onprem:unit": "ibgc",
            "elabftw-onprem:webVmId": "2201",
            "elabftw-onprem:dbVmId": "2202",
            "elabftw-onprem:manageClusterFirewall": "false",
        }).resources,
        "production stack with HA, owning the firewall": graphOf({ ...PRODUCTION_OVERRIDES, ...HA_ON_SHARED_STORAGE }).resources,
    };
});

const freshCluster = (): ClusterFirewall => ({ enabled: false, inputPolicy: "DROP", ipsets: new Map(), localNetwork: "192.168.100.0/24" });
/** The admin network reaches the GUI and SSH on every node (every node shares the datacenter firewall). */
const adminsReachNodes = (cluster: ClusterFirewall) => NODES.every(() => nodeAccepts(cluster, ADMIN, 8006) && nodeAccepts(cluster, ADMIN, 22));

describe("no lockout", () => {
    it("the evaluator blocks an outsider once the firewall is on, and lets the admins in through the management set", () => {
        const cluster = freshCluster();
        up(cluster, stacks["test stack owning the datacenter firewall"]);
        assert.equal(cluster.enabled, true);
        assert.equal(nodeAccepts(cluster, OUTSIDER, 8006), false);
        assert.equal(nodeAccepts(cluster, ADMIN, 8006), true);
        assert.equal(nodeAccepts(cluster, ADMIN, 3306), false);
    });

    for (const name of ["test stack owning the datacenter firewall", "second unit (manageClusterFirewall false)", "production stack with HA, owning the firewall"]) {
        it(`a destroy of the ${name} leaves the admin network on 8006 and 22 of every node`, () => {
            const cluster = freshCluster();
            up(cluster, stacks[name]);
            destroy(cluster, stacks[name]);
            assert.ok(adminsReachNodes(cluster), JSON.stringify({ ...cluster, ipsets: [...cluster.ipsets] }));
        });
    }

    it("holds in every order of ups and destroys of the three stacks on one cluster", () => {
        const names = Object.keys(stacks);
        const orders = names.flatMap((a) => names.filter((b) => b !== a).flatMap((b) => names.filter((c) => c !== a && c !== b).map((c) => [a, b, c])));
        assert.equal(orders.length, 6);
        for (const order of orders) {
            const cluster = freshCluster();
            for (const name of order) up(cluster, stacks[name]);
            for (const name of order) {
                destroy(cluster, stacks[name]);
                assert.ok(adminsReachNodes(cluster), `locked out after destroying ${name} (order ${order.join(" > ")})`);
            }
        }
    });

    it("keeps the admins' own entries of an existing management set (adopted or imported, never emptied)", () => {
        const cluster = freshCluster();
        cluster.enabled = true;
        cluster.ipsets.set("management", ["10.99.0.0/24"]);
        const owner = stacks["test stack owning the datacenter firewall"];
        up(cluster, owner);
        destroy(cluster, owner);
        assert.deepEqual(cluster.ipsets.get("management"), ["10.99.0.0/24"]);
        assert.ok(nodeAccepts(cluster, "10.99.0.5", 22));
    });

    it("would lock the admins out if the management set were deleted with the stack (the check can fail)", () => {
        const owner = stacks["test stack owning the datacenter firewall"].map((r) => (r.name.endsWith("-management") ? { ...r, retainOnDelete: false } : r));
        const cluster = freshCluster();
        up(cluster, owner);
        destroy(cluster, owner);
        assert.equal(cluster.enabled, true, "the provider's delete leaves the datacenter firewall on");
        assert.equal(adminsReachNodes(cluster), false);
    });

    it("only the owning stack creates cluster-wide firewall state, and it retains it", () => {
        const clusterWide = (resources: CapturedResource[]) =>
            resources.filter((r) => r.type === "proxmoxve:cluster/firewallLegacy:FirewallLegacy" || (r.type === "proxmoxve:firewall/ipsetLegacy:IpsetLegacy" && r.inputs.name === "management"));
        assert.deepEqual(clusterWide(stacks["second unit (manageClusterFirewall false)"]), []);
        const owned = clusterWide(stacks["test stack owning the datacenter firewall"]);
        assert.equal(owned.length, 2);
        for (const r of owned) assert.equal(r.retainOnDelete, true, r.name);
        assert.deepEqual(owned.find((r) => r.name.endsWith("-management"))!.ignoreChanges, ["cidrs"]);
    });

    it("imports an existing management set when told to, under the provider's import id", () => {
        const imported = graphOf({ "elabftw-onprem:importManagementIpset": "true" }).resources.find((r) => r.name.endsWith("-management"))!;
        assert.equal(imported.importId, "cluster/management");
        assert.equal(stacks["test stack owning the datacenter firewall"].find((r) => r.name.endsWith("-management"))!.importId, "");
    });
});
