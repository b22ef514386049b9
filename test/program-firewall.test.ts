// The flow matrix as the real program renders it (Pulumi.dev.yaml, under mocks): the Proxmox
// firewall resources, their semantics checked by an evaluator against the matrix for every
// endpoint pair and port of interest, the in-guest nftables commands and the edge hand-off.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { validateConfig } from "../components/config";
import { FlowMatrix, Protocol } from "../components/network/flowMatrix";
import { nftablesRuleset } from "../components/network/firewallRules";
import { matrixAllows, Packet, PORTS_OF_INTEREST, proxmoxAllows, PveObjectsOf, PveWorld, representative } from "./support/flowSemantics";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { projectKeys, readStackConfig } from "./support/stackConfig";

const RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy";
const OPTIONS = "proxmoxve:firewall/optionsLegacy:OptionsLegacy";
const IPSET = "proxmoxve:firewall/ipsetLegacy:IpsetLegacy";
const ALIAS = "proxmoxve:firewall/aliasLegacy:AliasLegacy";
const VM = "proxmoxve:index/vmLegacy:VmLegacy";

let run: ProgramRun;
let matrix: FlowMatrix;
const WEB = "10.20.30.10";
const DB = "10.20.30.11";

before(async () => {
    run = await runProgram();
    matrix = validateConfig(projectKeys(readStackConfig())).config.flows;
});

const rulesOf = (role: string) => run.one(RULES, `-${role}-rules`).inputs.rules as Record<string, string>[];

function world(): PveWorld {
    const addressOf = new Map(run.ofType(VM).map((vm) => [vm.inputs.vmId, vm.inputs.initialization.ipConfigs[0].ipv4.address.split("/")[0]]));
    const options = new Map<number, Record<string, any>>(run.ofType(OPTIONS).map((o) => [o.inputs.vmId, o.inputs]));
    // Each scope's objects: the datacenter's (no vmId), or one VM's.
    const objectsOf = (vmId: number | undefined): PveObjectsOf => ({
        aliases: new Map(run.ofType(ALIAS).filter((a) => a.inputs.vmId === vmId).map((a) => [a.inputs.name, a.inputs.cidr])),
        ipsets: new Map(run.ofType(IPSET).filter((s) => s.inputs.vmId === vmId).map((s) => [s.inputs.name, s.inputs.cidrs.map((c: { name: string }) => c.name)])),
    });
    return {
        ...objectsOf(undefined),
        vms: new Map(
            run.ofType(RULES).map((r) => [
                addressOf.get(r.inputs.vmId)!,
                { rules: r.inputs.rules, inputPolicy: options.get(r.inputs.vmId)!.inputPolicy, outputPolicy: options.get(r.inputs.vmId)!.outputPolicy, own: objectsOf(r.inputs.vmId) },
            ]),
        ),
    };
}

describe("Proxmox firewall resources", () => {
    it("switches on the datacenter firewall last, with a management set for the admin network", () => {
        const datacenter = run.one("proxmoxve:cluster/firewallLegacy:FirewallLegacy", "-datacenter");
        assert.equal(datacenter.inputs.enabled, true);
        assert.equal(datacenter.inputs.inputPolicy, "DROP");
        const management = run.one(IPSET, "-management");
        assert.deepEqual(management.inputs.cidrs, [{ name: "10.20.50.0/28" }]);
        assert.equal(management.inputs.name, "management");
        for (const o of run.ofType(OPTIONS)) assert.ok(datacenter.dependencies.includes(o.urn), "the VMs' rules and options exist first");
        assert.ok(datacenter.dependencies.includes(management.urn));
    });

    it("gives each VM DROP policies both ways, MAC and IP filters, logged drops, and its ipfilter-net0 set", () => {
        for (const [role, vmId, address] of [["web", 2101, WEB], ["db", 2102, DB]] as const) {
            const options = run.one(OPTIONS, `-${role}-options`);
            assert.deepEqual(
                { ...options.inputs },
                { dhcp: false, enabled: true, inputPolicy: "DROP", ipfilter: true, logLevelIn: "info", logLevelOut: "info", macfilter: true, ndp: false, nodeName: "pve1", outputPolicy: "DROP", radv: false, vmId },
            );
            const ipfilter = run.one(IPSET, `-${role}-ipfilter`);
            assert.deepEqual([ipfilter.inputs.name, ipfilter.inputs.vmId, ipfilter.inputs.cidrs.map((c: { name: string }) => c.name)], ["ipfilter-net0", vmId, [address]]);
            assert.ok(options.dependencies.includes(run.one(RULES, `-${role}-rules`).urn), "enabled once its rules exist");
        }
    });

    it("has one rules resource per VM, owning the whole list, and no other", () => {
        assert.deepEqual(run.ofType(RULES).map((r) => r.inputs.vmId).sort(), [2101, 2102]);
    });

    it("renders each flow exactly once per VM, peer and protocol, in the right direction", () => {
        for (const role of ["web", "db"] as const) {
            const rules = rulesOf(role);
            for (const f of matrix.flows.filter((f) => f.from.includes(role) || f.to.includes(role))) {
                const label = f.row ? `row ${f.row}:` : `${f.id}:`;
                const expected =
                    (f.to.includes(role) ? f.from.filter((p) => p !== role).length : 0) * Math.max(1, f.protocols.length) +
                    (f.from.includes(role) ? f.to.filter((p) => p !== role).length : 0) * Math.max(1, f.protocols.length);
                assert.equal(rules.filter((r) => r.comment.startsWith(label)).length, expected, `${role}: ${f.id}`);
            }
            for (const f of matrix.flows.filter((f) => !f.from.includes(role) && !f.to.includes(role))) {
                const label = f.row ? `row ${f.row}:` : `${f.id}:`;
                assert.equal(rules.filter((r) => r.comment.startsWith(label)).length, 0, `${role} renders ${f.id}, which is not its own`);
            }
        }
    });

    it("never accepts from or to any address: every accept names its peer", () => {
        for (const role of ["web", "db"]) {
            for (const rule of rulesOf(role).filter((r) => r.action === "ACCEPT")) {
                assert.ok(rule.type === "in" ? rule.source : rule.dest, `${role}: ${rule.comment} has no peer`);
                assert.doesNotMatch(`${rule.source ?? ""}${rule.dest ?? ""}`, /0\.0\.0\.0|\/0\b/);
            }
        }
    });

    it("opens the database port to the web VM only", () => {
        const to3306 = rulesOf("db").filter((r) => r.type === "in" && r.action === "ACCEPT" && r.dport?.split(",").includes("3306"));
        assert.deepEqual(to3306.map((r) => r.source), ["demo-web"]);
        assert.equal(world().vms.get(DB)!.own!.aliases.get("demo-web"), WEB);
        assert.equal(world().aliases.size, 0, "no alias of the unit on the datacenter");
        assert.deepEqual(rulesOf("db")[0], { action: "DROP", comment: "row 5: no access to the database from the lab (paper: 2049; intent: any port)", log: "info", source: "+demo-lab-subnet", type: "in" });
    });

    it("names every Proxmox object after the unit", () => {
        for (const r of [...run.ofType(ALIAS), ...run.ofType(IPSET).filter((s) => s.inputs.name !== "management" && s.inputs.name !== "ipfilter-net0")]) {
            assert.match(r.inputs.name, /^demo-[a-z-]+$/);
            assert.ok(r.inputs.vmId === 2101 || r.inputs.vmId === 2102, `${r.name} is on its VM, not on the datacenter`);
        }
    });
});

describe("Proxmox rules mean what the matrix says", () => {
    it("agrees with the matrix for every endpoint pair involving a VM and every port of interest", () => {
        const pve = world();
        const hosts = [...new Set([...matrix.endpoints.values()].flatMap((e) => e.addresses.map(representative)))];
        let checked = 0;
        let allowed = 0;
        for (const src of hosts) {
            for (const dst of hosts) {
                if (src === dst || (!pve.vms.has(src) && !pve.vms.has(dst))) continue;
                for (const proto of ["tcp", "udp"] as Protocol[]) {
                    for (const port of PORTS_OF_INTEREST[proto]) {
                        const packet: Packet = { src, dst, proto, port };
                        assert.equal(proxmoxAllows(pve, packet), matrixAllows(matrix, packet), JSON.stringify(packet));
                        checked++;
                        if (matrixAllows(matrix, packet)) allowed++;
                    }
                }
            }
        }
        console.log(`firewall semantics: ${checked} packets checked, ${allowed} allowed by the matrix`);
        assert.ok(checked > 300 && allowed > 10 && allowed < checked / 4);
    });

    it("catches a wrong rule (the check can fail)", () => {
        const pve = world();
        const db = pve.vms.get(DB)!;
        const broken: PveWorld = { ...pve, vms: new Map([...pve.vms, [DB, { ...db, rules: db.rules.map((r) => (r.dport === "3306" ? { ...r, source: "+demo-lab-subnet" } : r)) }]]) };
        const packet: Packet = { src: WEB, dst: DB, proto: "tcp", port: 3306 };
        assert.equal(matrixAllows(matrix, packet), true);
        assert.equal(proxmoxAllows(broken, packet), false);
    });
});

describe("in-guest nftables and the edge hand-off", () => {
    it("installs on each VM, after cloud-init, the ruleset rendered from the matrix", () => {
        for (const [role, port] of [["web", 443], ["db", 3306]] as const) {
            const command = run.one("command:remote:Command", `-${role}-guest-firewall-nftables`);
            assert.match(command.inputs.create, /apply-nftables\.sh$/);
            assert.equal(command.inputs.stdin, nftablesRuleset(matrix, role, `demo-elabftw-${role}`, [port]));
            assert.ok(command.dependencies.includes(run.one("command:remote:Command", `-${role}-cloud-init`).urn));
        }
    });

    it("exports the edge firewall's rules in the paper's columns, with the NAT to the dedicated address", () => {
        const rows = run.outputs.edgeFirewallRules as Record<string, string>[];
        assert.deepEqual(Object.keys(rows[0]), ["num", "source", "sourcePort", "destination", "destinationPort", "action", "description"]);
        assert.deepEqual(rows.slice(0, 7).map((r) => r.num), ["1", "2", "3", "4", "5", "6", "7"]);
        assert.equal(rows[0].destination, "edgeFirewall (10.20.1.10)");
        assert.ok(rows.some((r) => r.action === "allow, source NAT to 203.0.113.25"));
        assert.deepEqual(rows.at(-1), { num: "8", source: "any", sourcePort: "any", destination: "any", destinationPort: "any", action: "deny", description: "everything else" });
        const markdown = run.outputs.edgeFirewallRulesMarkdown as string;
        assert.match(markdown, /^\| Num \| Source address \| Source port \| Destination address \| Destination port \| Action \| Description \|$/m);
        assert.equal(markdown.split("\n").length, rows.length + 2);
    });
});
