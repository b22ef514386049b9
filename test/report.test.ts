// `npm run report` as the security officer runs it: the dossier of the example stack passes all six
// requirements with evidence and a valid SVG diagram; a stack that breaks one fails and names it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { REPO, readYaml } from "../components/config/stackFile";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-report-"));

function report(stackFile: string, out: string) {
    const started = Date.now();
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "tools", "report", "report.ts"), "--stack", stackFile, "--out", out], { cwd: REPO, encoding: "utf8" });
    return { ...result, seconds: (Date.now() - started) / 1000 };
}

describe("compliance dossier", () => {
    it("passes the example stack on all six requirements, with evidence, inventories and a valid SVG", () => {
        const out = path.join(dir, "dev");
        const result = report("Pulumi.dev.yaml", out);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        console.log(`report: ${result.seconds.toFixed(1)} s for Pulumi.dev.yaml`);
        const markdown = readFileSync(path.join(out, "dossier.md"), "utf8");
        const rows = markdown.split("\n").filter((line) => line.startsWith("| ") && line.includes("`cnrs-"));
        assert.equal(rows.length, 6);
        for (const row of rows) assert.match(row, /\| pass \| .+\S \|$/);
        assert.match(markdown, /Verdict: \*\*compliant\*\*/);
        assert.match(markdown, /elabftw-pki-mysql-server \| CN=demo-elabftw-db\.lab\.example\.org, O=demo \| DNS:demo-elabftw-db\.lab\.example\.org, IP:10\.20\.30\.11 \| ECDSA P384 \| 365 days/);
        assert.match(markdown, /elabftw-secrets-backup-passphrase \| RandomPassword \| - \| elabftw-backup-web-passphrase \|/);
        assert.match(markdown, /elabftw-backup-db-repository-passphrase \| RandomPassword \| - \| elabftw-backup-db-passphrase \|/, "one passphrase per repository");
        assert.match(markdown, /elabftw-backup-db\.timer on 10\.20\.30\.11: \*-\*-\* 02:30:00/);
        assert.match(markdown, /- `elabftw\/elabimg:5\.6\.12`/);
        assert.match(markdown, /\| 5 \| labSubnet \(10\.20\.40\.0\/24\) \| any \| db \(10\.20\.30\.11\) \| any \| deny \|/);
        const svg = path.join(out, "architecture.svg");
        const lint = spawnSync("xmllint", ["--noout", svg], { encoding: "utf8" });
        assert.equal(lint.error, undefined, "xmllint must be installed (.ci/run installs libxml2-utils)");
        assert.equal(lint.status, 0, lint.stderr);
        const text = readFileSync(svg, "utf8");
        assert.match(text, /<svg [^>]*width="\d+pt"/);
        assert.match(text, /\(VM 2102, 10\.20\.30\.11, pve1\)/, "the DB VM is drawn");
        const html = readFileSync(path.join(out, "dossier.html"), "utf8");
        assert.match(html, /<table>/);
        assert.match(html, /<svg /, "the diagram is inlined in the HTML");
    });

    it("fails, naming the requirement, for a stack that claims host encryption the security officer did not declare", () => {
        const stack = readYaml("Pulumi.dev.yaml");
        stack.config["elabftw-onprem:diskEncryption"] = "host-datastore";
        stack.config["elabftw-onprem:encryptedDatastores"] = ["local-zfs"];
        const file = path.join(dir, "Pulumi.mutated.yaml");
        writeFileSync(file, stringify(stack));
        const out = path.join(dir, "mutated");
        const result = report(file, out);
        assert.equal(result.status, 1, result.stdout + result.stderr);
        assert.match(result.stdout, /2 mandatory violation\(s\)\n  - cnrs-disk-encryption: [^\n]*elabftw-web[\s\S]*elabftw-db/);
        const markdown = readFileSync(path.join(out, "dossier.md"), "utf8");
        assert.match(markdown, /Verdict: \*\*NOT COMPLIANT\*\*/);
        assert.match(markdown.split("\n").find((line) => line.includes("`cnrs-disk-encryption`"))!, /\*\*FAIL\*\*: CNRS requirement « Chiffrement des disques durs »/);
    });
});
