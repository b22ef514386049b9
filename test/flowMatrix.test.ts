// The flow matrix as data: the paper's rows with their meaning, the named additions, the edge
// hand-off in the paper's columns.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateConfig } from "../components/config";
import { managementSources } from "../components/network/flowMatrix";
import { edgeRules, edgeRulesMarkdown, nftablesRuleset, portRanges } from "../components/network/firewallRules";
import { projectKeys, readStackConfig } from "./support/stackConfig";

const { config } = validateConfig(projectKeys(readStackConfig()));
const matrix = config.flows;
const flow = (id: string) => matrix.flows.find((f) => f.id === id)!;

describe("flow matrix", () => {
    it("holds the paper's rows 1-7 in order, row 5 as a deny on every port", () => {
        assert.deepEqual(matrix.flows.slice(0, 7).map((f) => f.row), [1, 2, 3, 4, 5, 6, 7]);
        assert.deepEqual([flow("row-3").from, flow("row-3").to, flow("row-3").ports], [["web"], ["db"], [3306]]);
        assert.deepEqual({ ...flow("row-5"), description: "" }, { id: "row-5", row: 5, action: "deny", protocols: [], ports: [], from: ["labSubnet"], to: ["db"], description: "" });
        assert.deepEqual(flow("row-7").protocols, ["udp"]);
        assert.deepEqual(flow("row-7").from, ["web", "db"]);
    });

    it("names what the paper leaves implicit: node management, admin SSH, DNS, NTP, proxy, backups", () => {
        assert.deepEqual(matrix.flows.slice(7).map((f) => f.id), ["node-management", "admin-ssh", "dns", "ntp", "http-proxy", "backup"]);
        assert.deepEqual(flow("admin-ssh").from, ["adminNetwork"]);
        assert.deepEqual(flow("http-proxy").ports, [3128]);
        assert.deepEqual(managementSources(matrix), ["10.20.50.0/28"]);
    });

    it("resolves endpoints from the stack config", () => {
        assert.deepEqual(matrix.endpoints.get("dns")?.addresses, ["10.20.60.2", "10.20.60.3"]);
        assert.deepEqual(matrix.endpoints.get("backupHost")?.addresses, ["10.20.60.20"]);
    });

    it("writes port lists as ranges for Proxmox and nftables", () => {
        assert.deepEqual(portRanges([443, 80, 8000, 8001, 8002], ":"), ["80", "443", "8000:8002"]);
        assert.deepEqual(portRanges([8002, 8000, 8001], "-"), ["8000-8002"]);
    });

    it("gives the network team the paper's columns, the NAT of outgoing calls, and the final deny", () => {
        const rows = edgeRules(matrix, "203.0.113.25");
        const markdown = edgeRulesMarkdown(rows);
        assert.match(markdown, /^\| 5 \| labSubnet \(10\.20\.40\.0\/24\) \| any \| db \(10\.20\.30\.11\) \| any \| deny \|/m);
        assert.match(markdown, /^\| nat \| proxy \(10\.20\.60\.8\) \| any \| Internet \| 80,443 TCP \| allow, source NAT to 203\.0\.113\.25 \|/m);
        assert.match(markdown, /^\| node-management \| adminNetwork \(10\.20\.50\.0\/28\) \| any \| proxmoxNodes \| 22,8006 TCP \| allow \|/m);
        assert.equal(rows.at(-1)?.action, "deny");
    });

    it("renders the DB VM's nftables with the lab denied first and 3306 forwarded only from the web VM", () => {
        const ruleset = nftablesRuleset(matrix, "db", "demo-elabftw-db", [3306]);
        const input = ruleset.slice(ruleset.indexOf("chain input"), ruleset.indexOf("chain forward"));
        assert.ok(input.indexOf("ip saddr 10.20.40.0/24 drop") < input.indexOf("tcp dport 3306 accept"));
        assert.match(ruleset, /ip saddr 10\.20\.30\.10 ct status dnat meta l4proto tcp ct original proto-dst 3306 accept/);
        assert.doesNotMatch(ruleset, /proto-dst 22 /, "SSH is for the host, not forwarded to containers");
        assert.match(ruleset, /oifname \{ "lo", "docker0" \} accept/, "the host reaches its own published ports through Docker's DNAT");
    });
});
