// Config refuses what the policy pack would refuse, before any resource exists: an extraFlows line
// that lets the VPN clients or the lab reach the DB VM (in any spelling of the endpoints), or users reach
// the web VM but through the edge, and
// egressNetworks that add up to the whole Internet. A line the pack accepts stays accepted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, validateConfig } from "../components/config";
import { projectKeys, readStackConfig } from "./support/stackConfig";

const dev = projectKeys(readStackConfig());

function problems(changes: Record<string, string>): string[] {
    try {
        validateConfig({ ...dev, ...changes });
        return [];
    } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        return error.problems.map((p) => `${p.key}: ${p.message}`);
    }
}
const flows = (...lines: string[]) => ({ extraFlows: JSON.stringify(lines) });

describe("config refuses what the pack refuses", () => {
    for (const line of ["allow tcp vpnClients -> db 3306", "allow any labSubnet -> db", "allow tcp 10.8.4.0/24 -> 10.20.30.11 22", "allow tcp+udp adminNetwork,labSubnet -> web,db 161", "allow tcp 10.20.40.7 -> 10.20.30.0/24 3306"]) {
        it(`refuses "${line}"`, () => {
            const found = problems(flows(line));
            // First the DB VM's finding; a line that also opens the web VM to users has that one too (rows 1-2).
            assert.match(found[0], /^extraFlows: extra-1 .* reach the DB VM 10\.20\.30\.11, which breaks the CNRS requirement « Pas d'accès depuis l'extérieur »/);
            assert.ok(found.slice(1).every((f) => /reach the web VM directly: rows 1-2/.test(f)), found.join("\n"));
        });
    }

    for (const line of ["allow tcp web -> db 22", "allow tcp+udp web -> db 3306", "allow tcp filer -> db 3306", "allow any syslog -> db"]) {
        it(`refuses "${line}" (beyond the paper's row 3 toward the database)`, () => {
            const found = problems(flows(line));
            assert.equal(found.length, 1, found.join("\n"));
            assert.match(found[0], /^extraFlows: extra-1 .* reach the DB VM 10\.20\.30\.11.*, which breaks the CNRS requirement « Pare-feu d'infrastructure capable de segmenter les VM convenablement »/);
        });
    }

    // Toward the web VM: users through the edge only (rows 1-2, as cnrs-no-access-from-outside's "HTTPS only from the edge").
    for (const line of ["allow tcp labSubnet -> web 443", "allow tcp vpnClients -> web 8443"]) {
        it(`refuses "${line}" (users reach eLabFTW through the edge only)`, () => {
            const found = problems(flows(line));
            assert.equal(found.length, 1, found.join("\n"));
            assert.match(found[0], /^extraFlows: extra-1 lets .* reach the web VM directly: rows 1-2/);
        });
    }

    for (const line of ["allow tcp adminNetwork -> db 33060 # MySQL X for the DBA", "deny any vpnClients -> db", "allow tcp adminNetwork -> web 9100", "allow tcp web -> db 3306"]) {
        it(`accepts "${line}"`, () => assert.deepEqual(problems(flows(line)), []));
    }

    it("refuses egressNetworks that add up to the whole Internet, accepts a mirror's network", () => {
        const found = problems({ egressNetworks: JSON.stringify(["0.0.0.0/1", "128.0.0.0/1"]) });
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0], /^egressNetworks: 0\.0\.0\.0\/1, 128\.0\.0\.0\/1 add up to the whole Internet, which breaks the CNRS requirement « Pare-feu d'infrastructure/);
        assert.deepEqual(problems({ egressNetworks: JSON.stringify(["151.101.0.0/16"]) }), []);
    });
});
