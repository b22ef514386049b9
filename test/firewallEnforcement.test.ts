// The flow matrix enforced for real: one network namespace per host of the example stack (VPN
// client, edge firewall, web VM, DB VM, filer, syslog, lab host, admin host, DNS/NTP, proxy, and
// an Internet host), joined by a bridge; the web and DB hosts load their rendered nftables
// rulesets through apply-nftables.sh; TCP and UDP probes with short timeouts check that every
// flow the matrix allows passes and every other one is dropped. Namespace addresses only.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../components/config";
import { FlowMatrix, Protocol } from "../components/network/flowMatrix";
import { nftablesRuleset } from "../components/network/firewallRules";
import { scriptCommand } from "../components/vm/remoteScript";
import { matrixAllows, Packet, PORTS_OF_INTEREST, representative } from "./support/flowSemantics";
import { inNetns, ip, Netns, probe as probeFrom } from "./support/netns";
import { projectKeys, readStackConfig } from "./support/stackConfig";

const PREFIX = `fw${process.pid % 100000}`;
const SWITCH = `${PREFIX}-sw`;
const INTERNET = "203.0.113.80";
const TIMEOUT_MS = 300;
const dir = mkdtempSync(path.join(tmpdir(), "elabftw-fw-"));
const namespaces = new Netns();
let matrix: FlowMatrix;
let hosts: { name: string; address: string; netns: string }[];
let web: string;
let db: string;

before(async () => {
    const { config } = validateConfig(projectKeys(readStackConfig()));
    matrix = config.flows;
    web = config.vms.web.address;
    db = config.vms.db.address;
    const addresses = new Map<string, string>();
    for (const endpoint of matrix.endpoints.values()) for (const a of endpoint.addresses) if (!addresses.has(representative(a))) addresses.set(representative(a), endpoint.name);
    addresses.set(INTERNET, "internet");
    hosts = [...addresses].map(([address, name], i) => ({ name, address, netns: `${PREFIX}-h${i}` }));

    namespaces.add(SWITCH);
    ip("-n", SWITCH, "link", "add", "br0", "type", "bridge");
    ip("-n", SWITCH, "link", "set", "br0", "up");
    hosts.forEach((host, i) => {
        namespaces.add(host.netns);
        const [inside, outside] = [`${PREFIX}h${i}`, `${PREFIX}b${i}`];
        ip("link", "add", inside, "type", "veth", "peer", "name", outside);
        ip("link", "set", inside, "netns", host.netns);
        ip("link", "set", outside, "netns", SWITCH);
        ip("-n", SWITCH, "link", "set", outside, "master", "br0", "up");
        namespaces.host(host.netns, inside, [host.address]);
    });

    // The VMs load their rulesets exactly as the program sends them (apply-nftables.sh, ruleset on stdin).
    for (const [role, address, port] of [["web", web, 443], ["db", db, 3306]] as const) {
        const host = hosts.find((h) => h.address === address)!;
        const line = scriptCommand("apply-nftables.sh", ["--ruleset", path.join(dir, `${role}.nft`), "--no-systemd", "yes"]).slice("sudo ".length);
        const result = spawnSync("nsenter", inNetns(host.netns, ["/bin/sh", "-c", line]), { input: nftablesRuleset(matrix, role, role, [port]), encoding: "utf8" });
        assert.equal(result.status, 0, `${role}: ${result.stderr}`);
    }

    await Promise.all(hosts.map((host) => namespaces.startProbeServer(host.netns, PORTS_OF_INTEREST)));
});

after(() => {
    namespaces.cleanup();
    rmSync(dir, { recursive: true, force: true });
});

function probe(from: string, packets: readonly Packet[]): string[] {
    const host = hosts.find((h) => h.address === from)!;
    return probeFrom(host.netns, packets.map((p) => ({ dst: p.dst, proto: p.proto, port: p.port })), TIMEOUT_MS);
}

describe("the flow matrix enforced by nftables between network-namespace hosts", () => {
    it("the test network carries traffic where no ruleset applies (control)", () => {
        const lab = hosts.find((h) => h.name === "labSubnet")!.address;
        const filer = hosts.find((h) => h.name === "filer")!.address;
        assert.deepEqual(probe(lab, [{ src: lab, dst: filer, proto: "tcp", port: 2049 }, { src: lab, dst: filer, proto: "udp", port: 2049 }]), ["open", "open"]);
    });

    it("passes every allowed flow and drops every other one, to and from both VMs", () => {
        let passed = 0;
        let dropped = 0;
        const failures: string[] = [];
        for (const source of hosts) {
            const packets: Packet[] = [];
            for (const target of hosts) {
                if (target === source || (![web, db].includes(source.address) && ![web, db].includes(target.address))) continue;
                for (const proto of ["tcp", "udp"] as Protocol[]) for (const port of PORTS_OF_INTEREST[proto]) packets.push({ src: source.address, dst: target.address, proto, port });
            }
            if (packets.length === 0) continue;
            probe(source.address, packets).forEach((outcome, i) => {
                const expected = matrixAllows(matrix, packets[i]) ? "open" : "timeout";
                if (outcome !== expected) failures.push(`${source.name} -> ${packets[i].dst} ${packets[i].proto}/${packets[i].port}: ${outcome}, expected ${expected}`);
                if (outcome === "open") passed++;
                else dropped++;
            });
        }
        console.log(`firewall enforcement: ${hosts.length} hosts, ${passed + dropped} probes: ${passed} passed, ${dropped} dropped`);
        assert.deepEqual(failures, []);
        assert.ok(passed >= 15 && dropped > 300, `${passed} passed, ${dropped} dropped`);
    });
});
