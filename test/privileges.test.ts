// The unit's Proxmox API user holds exactly what the program needs, where the API checks it: derived
// from the Proxmox resources the program creates (a test stack owning the datacenter firewall, one
// that does not; production with HA on shared storage and a downloaded image) through the table
// in components/vm/privileges.ts. docs/deploying.md shows `npm run proxmox-acl`'s output as it is.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { aclPlan, AclEntry, PRIVILEGES } from "../components/vm/privileges";
import { proxmoxSetup } from "../components/vm/proxmoxSetup";
import { REPO } from "../components/config/stackFile";
import { CapturedResource } from "../tools/offline/mockEngine";
import { graphOf } from "./support/twoRuns";
import { HA_ON_SHARED_STORAGE, PRODUCTION_OVERRIDES } from "./support/stacks";

let dev: CapturedResource[];
let production: CapturedResource[];
let notOwner: CapturedResource[];
before(() => {
    const proxmox = (overrides: Record<string, string | undefined>) => graphOf(overrides, true).resources.filter((r) => r.custom && r.type.startsWith("proxmoxve:"));
    dev = proxmox({});
    production = proxmox({ ...PRODUCTION_OVERRIDES, ...HA_ON_SHARED_STORAGE });
    notOwner = proxmox({ "elabftw-onprem:manageClusterFirewall": "false" });
});

const on = (plan: readonly AclEntry[], aclPath: string) => plan.find((e) => e.path === aclPath)?.privileges ?? [];

describe("the unit's Proxmox API user", () => {
    it("covers every Proxmox resource type the program creates", () => {
        const types = new Set([...dev, ...production].map((r) => r.type));
        assert.ok(types.size >= 10, [...types].join(", "));
        for (const type of types) assert.ok(PRIVILEGES[type], `${type} has no row in components/vm/privileges.ts`);
        for (const must of ["proxmoxve:index/poolLegacy:PoolLegacy", "proxmoxve:index/haresourceLegacy:HaresourceLegacy", "proxmoxve:download/file:File", "proxmoxve:cluster/firewallLegacy:FirewallLegacy"]) {
            assert.ok(types.has(must), `the widest configurations create no ${must}`);
        }
    });

    it("is granted on the stack's own pool, VMs, storages and VLAN only, and only Sys.* on / (the example stack)", () => {
        const plan = aclPlan(dev, "9", "demo");
        assert.deepEqual(
            plan.map((e) => e.path),
            ["/", "/pool/elabftw-demo", "/vms/2101", "/vms/2102", "/storage/local", "/storage/local-zfs", "/sdn/zones/localnetwork/vmbr0/30"],
        );
        assert.deepEqual(on(plan, "/"), ["Sys.Audit", "Sys.Modify"]);
        assert.deepEqual(on(plan, "/pool/elabftw-demo"), ["Pool.Allocate", "Pool.Audit"]);
        for (const vm of ["/vms/2101", "/vms/2102"]) {
            assert.ok(on(plan, vm).every((p) => p.startsWith("VM.")), on(plan, vm).join(" "));
            for (const p of ["VM.Allocate", "VM.Config.Disk", "VM.Config.Network", "VM.Migrate", "VM.GuestAgent.FileRead", "VM.PowerMgmt"]) assert.ok(on(plan, vm).includes(p), `${vm}: ${p}`);
        }
        // The VMs' volumes allocate space; snippets and the imported image's storage are read and cleaned up.
        assert.deepEqual(on(plan, "/storage/local-zfs"), ["Datastore.AllocateSpace", "Datastore.Audit"]);
        assert.deepEqual(on(plan, "/storage/local"), ["Datastore.Allocate", "Datastore.Audit"]);
        assert.deepEqual(on(plan, "/sdn/zones/localnetwork/vmbr0/30"), ["SDN.Use"]);
        assert.equal(new Set(plan.filter((e) => e.path.startsWith("/vms/")).map((e) => e.role)).size, 1, "both VMs share one role");
    });

    it("grants nothing on / to a unit that does not own the datacenter firewall: its firewall objects are its VMs' own", () => {
        const plan = aclPlan(notOwner, "9", "demo");
        assert.deepEqual(plan.map((e) => e.path), ["/pool/elabftw-demo", "/vms/2101", "/vms/2102", "/storage/local", "/storage/local-zfs", "/sdn/zones/localnetwork/vmbr0/30"]);
        const aliases = notOwner.filter((r) => r.type === "proxmoxve:firewall/aliasLegacy:AliasLegacy" || r.type === "proxmoxve:firewall/ipsetLegacy:IpsetLegacy");
        assert.ok(aliases.length >= 10 && aliases.every((r) => r.inputs.vmId === 2101 || r.inputs.vmId === 2102), "every alias and IP set on a VM");
    });

    it("adds what production with HA and a downloaded image needs: HA on /, the download on its node and on the image's storage", () => {
        const plan = aclPlan(production, "9", "demo");
        assert.deepEqual(on(plan, "/"), ["Sys.Audit", "Sys.Console", "Sys.Modify"]);
        assert.deepEqual(on(plan, "/nodes/pve1"), ["Sys.AccessNetwork"]);
        assert.deepEqual(on(plan, "/nodes/pve2"), [], "the image lands once on the shared storage: one download, from the first node");
        assert.deepEqual(on(plan, "/storage/cephfs"), ["Datastore.Allocate", "Datastore.AllocateTemplate", "Datastore.Audit"]);
        assert.deepEqual(on(plan, "/storage/ceph-crypt"), ["Datastore.AllocateSpace", "Datastore.Audit"]);
        assert.ok(!plan.some((e) => e.path === "/storage/local" || e.path === "/storage/local-zfs"), "no storage the stack does not use");
        assert.notDeepEqual(aclPlan(production.filter((r) => !r.type.includes("haresource")), "9", "demo"), plan);
    });

    it("names the guest-agent privileges of each release (VM.Monitor on 8.4)", () => {
        assert.ok(on(aclPlan(dev, "8.4", "demo"), "/vms/2101").includes("VM.Monitor"));
        assert.ok(!on(aclPlan(dev, "9", "demo"), "/vms/2101").includes("VM.Monitor"));
    });

    it("refuses a resource type it knows nothing about (the derivation can fail)", () => {
        assert.throws(() => aclPlan([{ type: "proxmoxve:index/replicationLegacy:ReplicationLegacy", inputs: {} }], "9", "demo"), /no privileges known for proxmoxve:index\/replicationLegacy/);
    });

    it("is what docs/deploying.md shows, and what npm run proxmox-acl prints: valid shell, nothing propagated, an SSH user per node", () => {
        const { script } = proxmoxSetup("Pulumi.dev.yaml", "9", "demo", dev);
        // The block sits in a list item: two spaces of indent on each non-empty line.
        const docs = readFileSync(path.join(REPO, "docs", "deploying.md"), "utf8");
        const block = /\n( *)```sh\n((?:\1# The Proxmox API user of[^\n]*\n)(?:[^\n]*\n)*?)\1```/.exec(docs);
        assert.ok(block, "docs/deploying.md has no block of `npm run -s proxmox-acl`'s output");
        assert.equal(block[2].split("\n").map((l) => l.slice(block[1].length)).join("\n"), `${script}\n`, "docs/deploying.md: paste `npm run -s proxmox-acl` into its block again");
        const tool = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "tools", "proxmoxAcl.ts")], { cwd: REPO, encoding: "utf8" });
        assert.equal(tool.status, 0, tool.stderr);
        assert.equal(tool.stdout, `${script}\n`);
        assert.match(tool.stderr, /^Pulumi\.dev\.yaml: valid configuration; 7 ACL paths for elabftw-demo@pve on Proxmox VE 9; SSH user elabftw-demo on pve1\n$/);
        assert.equal(spawnSync("bash", ["-n"], { input: script, encoding: "utf8" }).status, 0);
        const acl = script.split("\n").filter((l) => l.startsWith("pveum acl modify"));
        assert.equal(acl.length, 7);
        assert.ok(acl.every((l) => l.endsWith("--propagate 0")), acl.join("\n"));
        assert.match(script, /^# On node pve1, as root: the SSH user/m);
        const refused = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "tools", "proxmoxAcl.ts"), "--pve", "8"], { cwd: REPO, encoding: "utf8" });
        assert.equal(refused.status, 64);
        assert.match(refused.stderr, /^proxmox-acl: --pve 8: give the cluster's release, 8\.4 or 9\. Try: npm run proxmox-acl -- --help\n$/);
    });
});
