// What `pulumi destroy` cannot touch on a production stack: besides the VMs and the secrets
// (program-production.test.ts), the two containers, every Proxmox firewall resource (rules,
// aliases, IP sets, options) and the datacenter firewall switch are protected, so a destroy's
// preview stops before anything goes. The images stay unprotected: an upgrade replaces them. (On a
// test stack nothing is protected: program.test.ts, "lets a test stack be destroyed completely".)
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { PRODUCTION_OVERRIDES } from "./support/stacks";

const CONTAINER = "docker:index/container:Container";
const isFirewall = (type: string) => type.startsWith("proxmoxve:firewall/") || type === "proxmoxve:cluster/firewallLegacy:FirewallLegacy";

let production: ProgramRun;
before(async () => {
    production = await runProgram({ overrides: PRODUCTION_OVERRIDES });
});

describe("production protection", () => {
    it("protects both containers, every firewall resource and the datacenter switch", () => {
        const containers = production.ofType(CONTAINER);
        assert.equal(containers.length, 2);
        for (const c of containers) assert.equal(c.protect, true, c.name);
        const firewall = production.resources.filter((r) => isFirewall(r.type));
        assert.ok(firewall.some((r) => r.type === "proxmoxve:cluster/firewallLegacy:FirewallLegacy"), "the datacenter switch is in the graph");
        assert.ok(firewall.length >= 8, `${firewall.length} firewall resources`);
        for (const r of firewall) assert.equal(r.protect, true, `${r.type} ${r.name}`);
        for (const image of production.ofType("docker:index/remoteImage:RemoteImage")) assert.equal(image.protect, false, "an upgrade replaces the image");
    });
});
