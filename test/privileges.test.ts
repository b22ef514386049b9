// The API role in docs/deploying.md holds exactly the privileges the program needs: derived from the
// Proxmox resource types the program creates in its widest configurations (a test stack owning the
// datacenter firewall; production with HA on shared storage and a downloaded image), through the
// table in components/vm/privileges.ts, for each Proxmox VE release the docs give a line for.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { PRIVILEGES, PVE_VERSIONS, PveVersion, rolePrivileges } from "../components/vm/privileges";
import { REPO } from "../components/config/stackFile";
import { graphOf } from "./support/twoRuns";
import { HA_ON_SHARED_STORAGE, PRODUCTION_OVERRIDES } from "./support/stacks";

let types: Set<string>;
before(() => {
    types = new Set(
        [graphOf({}), graphOf({ ...PRODUCTION_OVERRIDES, ...HA_ON_SHARED_STORAGE })].flatMap((g) =>
            g.resources.filter((r) => r.custom && r.type.startsWith("proxmoxve:")).map((r) => r.type),
        ),
    );
});

/** The privileges of the `pveum role add` line under the "# Proxmox VE <version>" comment. */
function documentedRole(version: PveVersion): string[] {
    const docs = readFileSync(path.join(REPO, "docs", "deploying.md"), "utf8");
    const line = new RegExp(`# Proxmox VE ${version.replace(".", "\\.")}\\n\\s*pveum role add ElabftwPulumi -privs "([^"]+)"`).exec(docs);
    assert.ok(line, `docs/deploying.md has no pveum role line for Proxmox VE ${version}`);
    return line[1].split(/\s+/).sort();
}

describe("the API role", () => {
    it("covers every Proxmox resource type the program creates", () => {
        assert.ok(types.size >= 10, [...types].join(", "));
        for (const type of types) assert.ok(PRIVILEGES[type], `${type} has no row in components/vm/privileges.ts`);
        for (const must of ["proxmoxve:index/poolLegacy:PoolLegacy", "proxmoxve:index/haresourceLegacy:HaresourceLegacy", "proxmoxve:download/file:File", "proxmoxve:cluster/firewallLegacy:FirewallLegacy"]) {
            assert.ok(types.has(must), `the widest configurations create no ${must}`);
        }
    });

    for (const version of PVE_VERSIONS) {
        it(`is documented exactly for Proxmox VE ${version}`, () => {
            assert.deepEqual(documentedRole(version), rolePrivileges(types, version));
        });
    }

    it("holds what a first deploy was refused for: pools, HA, downloads, snippets, firewall", () => {
        const role = rolePrivileges(types, "9");
        for (const privilege of ["Pool.Allocate", "Sys.Console", "Datastore.AllocateTemplate", "Datastore.Allocate", "Sys.Modify", "VM.Config.Network"]) assert.ok(role.includes(privilege), privilege);
        assert.ok(rolePrivileges(types, "8.4").includes("VM.Monitor") && !role.includes("VM.Monitor"), "VM.Monitor exists on 8.4 only");
    });

    it("refuses a resource type it knows nothing about (the derivation can fail)", () => {
        assert.throws(() => rolePrivileges(["proxmoxve:index/replicationLegacy:ReplicationLegacy"], "9"), /no privileges known for proxmoxve:index\/replicationLegacy/);
        assert.notDeepEqual(rolePrivileges([...types].filter((t) => !t.includes("haresource")), "9"), rolePrivileges(types, "9"));
    });
});
