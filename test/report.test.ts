// `npm run report` as the security officer runs it: the dossier of the example stack passes all six
// requirements with plain-language evidence, a cover block, inventories, a glossary, a signature
// block and a diagram; each defect a newcomer found has its check here; hostile config values stay text.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { REPO, readYaml } from "../components/config/stackFile";
import { findChromium } from "../tools/report/html";
import { titleCrossings } from "./support/svgGeometry";
import { marked } from "marked";
import { text } from "../tools/report/markdown";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-report-"));

/** `stack` is "--stack FILE" unless it starts with "=": then FILE alone, as the positional argument. */
function report(stack: string, out: string, ...extra: string[]) {
    const started = Date.now();
    const stackArgs = stack.startsWith("=") ? [stack.slice(1)] : ["--stack", stack];
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "tools", "report", "report.ts"), ...stackArgs, "--out", out, ...extra], { cwd: REPO, encoding: "utf8" });
    return { ...result, seconds: (Date.now() - started) / 1000, md: () => readFileSync(path.join(out, "dossier.md"), "utf8"), html: () => readFileSync(path.join(out, "dossier.html"), "utf8"), svg: () => readFileSync(path.join(out, "architecture.svg"), "utf8") };
}

const section = (markdown: string, title: string) => markdown.split(`\n## ${title}`)[1].split("\n## ")[0];
const rowOf = (markdown: string, needle: string) => markdown.split("\n").find((line) => line.startsWith("| ") && line.includes(needle)) ?? assert.fail(`no row with ${needle}`);

function xmllint(file: string) {
    const lint = spawnSync("xmllint", ["--noout", file], { encoding: "utf8" });
    assert.equal(lint.error, undefined, "xmllint must be installed (tools/prerequisites.sh installs libxml2-utils)");
    assert.equal(lint.status, 0, lint.stderr);
}

/** A stack file derived from the example. */
function stack(name: string, change: (config: Record<string, unknown>) => void): string {
    const document = readYaml("Pulumi.dev.yaml");
    change(document.config);
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    writeFileSync(file, stringify(document));
    return file;
}

describe("compliance dossier of the example stack", () => {
    const out = path.join(dir, "dev");
    const run = report("Pulumi.dev.yaml", out);
    const markdown = run.status === 0 ? run.md() : "";
    const html = run.status === 0 ? run.html() : "";

    it("passes, and its last line names the stack and the verdict", () => {
        assert.equal(run.status, 0, run.stdout + run.stderr);
        console.log(`report: ${run.seconds.toFixed(1)} s for Pulumi.dev.yaml`);
        assert.match(run.stdout.trimEnd().split("\n").at(-1)!, /^Pulumi\.dev\.yaml: compliant \(.*dossier\.md, .*dossier\.html, .*architecture\.svg.* written in [\d.]+ s\)$/);
    });

    it("opens with a cover block: unit, stack file, date, program version and commit, pack version, policy config", () => {
        const cover = markdown.split("\n## ")[0];
        assert.match(cover, /\| Unit \| `demo` \|/);
        assert.match(cover, /\| Stack file \| `Pulumi\.dev\.yaml` \(test stack\) \|/);
        assert.match(cover, /\| Generated \| \d{4}\\?-\d\d\\?-\d\dT\d\d:\d\d:\d\dZ \|/);
        assert.match(cover, /\| Program \| elabftw-onprem 0\.1\.0, commit `[0-9a-f]{12}( \+ uncommitted changes)?` \|/);
        assert.match(cover, /\| Policy pack \| `policies\/` \d+\.\d+\.\d+ \|/);
        assert.match(cover, /\| Policy config \| none: the pack's defaults \|/);
        assert.match(cover, /\| Verdict \| \*\*compliant\*\*/);
    });

    it("shows each CNRS requirement passed with evidence in sentences, each cited name in the glossary", () => {
        const rows = markdown.split("\n").filter((line) => line.startsWith("| ") && line.includes("`cnrs-"));
        assert.equal(rows.length, 6);
        for (const row of rows) assert.match(row, /\| pass \| [A-Za-z].+\S \|$/);
        assert.match(rowOf(markdown, "`cnrs-no-access-from-outside`"), /The eLabFTW VM accepts only: TCP 443 from `demo-edge-firewall` \(`10\.20\.1\.10`\); TCP 22 from `\+demo-admin-network` \(`10\.20\.50\.0\/28`\); everything else is dropped/);
        const glossary = section(markdown, "Glossary of the resource names cited");
        const cited = new Set([...section(markdown, "CNRS requirements (JRES 2024, section 2.2)").matchAll(/`(elabftw-[\w-]+)`/g)].map((m) => m[1]));
        assert.ok(cited.size >= 10);
        for (const name of cited) assert.match(glossary, new RegExp(`\\| \`${name}\` \\| [a-z]`), `${name} is cited but not in the glossary`);
    });

    it("says n/a for the rules that do not apply to a test stack without mail", () => {
        assert.match(rowOf(markdown, "`production-data-protected`"), /\| n\/a \(applies to production stacks only\) \|$/);
        assert.match(rowOf(markdown, "`saml-sso-on-production`"), /\| n\/a \(applies to production stacks only\) \|$/);
        assert.match(rowOf(markdown, "`smtp-verifies-certificate`"), /\| n\/a \(eLabFTW sends no mail on this stack \(no smtpHost\)\) \|$/);
        assert.match(rowOf(markdown, "`mysql-tls-only`"), /\| pass \|$/);
    });

    it("lists every certificate without undefined, NaN or unknown fields; the SAML certificate is not called a CA", () => {
        const certificates = section(markdown, "Certificates");
        assert.doesNotMatch(certificates, /undefined|NaN|\| \? \||null/);
        assert.match(rowOf(markdown, "`elabftw-settings-saml-sp-cert`"), /\| CN=elabftw-test\.lab\.example\.org \| no SAN \| RSA 3072 \| 3650 days \| none: renewed only when its inputs change \| digital\\_signature, key\\_encipherment \|/);
        assert.match(rowOf(markdown, "`elabftw-pki-ca`"), /\| CA \| ECDSA P384 \| 3650 days \| 120 days before expiry \|/);
        assert.match(rowOf(markdown, "`elabftw-pki-mysql-server`"), /CN=demo-elabftw-db\.lab\.example\.org, O=demo \| DNS:demo-elabftw-db\.lab\.example\.org, IP:10\.20\.30\.11 \| ECDSA P384 \| 365 days/);
    });

    it("names the other resources that use each secret, never the secret itself", () => {
        for (const line of section(markdown, "Secrets (names and uses only, never values)").split("\n").filter((l) => l.startsWith("| `"))) {
            const [secret, , , users] = line.split(" | ");
            assert.ok(!users.split("<br>").some((user) => user === secret || user.startsWith(`${secret} (private key`)), line);
        }
        assert.match(rowOf(markdown, "| `elabftw-backup-web-ssh-key` | private key"), /\| `elabftw-backup-web-ssh-key` \(command run on a VM\) \|$/);
        // One passphrase per repository: the web VM's and the DB VM's are different secrets.
        assert.match(rowOf(markdown, "`elabftw-secrets-backup-passphrase`"), /\| `elabftw-backup-web-passphrase` \(command run on a VM\) \|$/);
        assert.match(rowOf(markdown, "`elabftw-backup-db-repository-passphrase`"), /\| `elabftw-backup-db-passphrase` \(command run on a VM\) \|$/);
    });

    it("gives the backup destination, schedule and retention; schedules and ssh:// addresses stay literal in the HTML", () => {
        const backups = section(markdown, "Backups");
        assert.match(backups, /The MySQL VM \(`10\.20\.30\.11`\) writes its archives to `ssh:\/\/borg@10\.20\.60\.20:22\/\.\/elabftw-demo\/db`, encryption `repokey-blake2`/);
        assert.match(backups, /`elabftw-backup-db\.timer` on the MySQL VM runs at `\*-\*-\* 02:30:00`/);
        assert.match(backups, /The backup host prunes the MySQL VM.s repository: keeps 14 daily and 6 monthly archives/);
        assert.match(html, /<code>\*-\*-\* 02:30:00<\/code>/);
        assert.doesNotMatch(html, /<em>|<strong>-|mailto:/, "no emphasis from a schedule, no mailto link from user@host");
        assert.match(html, /<code>ssh:\/\/elabadmin@10\.20\.30\.10<\/code>/);
    });

    it("ends with a signature block", () => {
        assert.match(section(markdown, "Signatures"), /generated \d{4}.*from Pulumi\.dev\.yaml at commit [0-9a-f]{12}/);
        for (const role of ["Security officer (CSSI)", "System administrator (ASR)", "Director of the unit"]) assert.match(markdown, new RegExp(`^\\| ${role.replace(/[()]/g, "\\$&")} \\|\\s+\\|\\s+\\|\\s+\\|$`, "m"));
    });

    it("draws a diagram with a legend, an address on every box, deny rows, the NAT address, and no edge through a VM's title", () => {
        const svgFile = path.join(out, "architecture.svg");
        xmllint(svgFile);
        const svg = run.svg();
        assert.match(svg, /<svg [^>]*width="\d+pt"/);
        assert.match(svg, />Legend</);
        for (const box of ["vpnClients", "edgeFirewall", "adminNetwork", "labSubnet", "filer", "syslog", "dns", "ntp", "proxy", "backupHost"]) {
            assert.match(svg, new RegExp(`>${box}</text>\\n<text [^>]*>\\d+\\.\\d+\\.\\d+\\.\\d+`), `${box} has no address`);
        }
        assert.match(svg, />Proxmox nodes<\/text>\n<text [^>]*>pve1</);
        assert.match(svg, />VM 2102 on pve1, 10\.20\.30\.11</);
        assert.match(svg, /#5: any DENIED/);
        assert.equal((svg.match(/stroke-dasharray/g) ?? []).length, 2, "rows 5 and 6 (deny) are dashed");
        assert.match(svg, />203\.0\.113\.25 \(source NAT\)</);
        assert.deepEqual(titleCrossings(svg), []);
        const y = -440; // the check can fail: an edge drawn straight across the web VM's title bar
        const doctored = svg.replace("</svg>", `<g id="edge999" class="edge">\n<title>fake</title>\n<path fill="none" d="M0,${y}C300,${y} 900,${y} 1200,${y}"/>\n</g></svg>`);
        assert.ok(titleCrossings(doctored).includes("fake crosses web's title"), "the geometric check must see a crossing");
        assert.match(html, /<svg /, "the diagram is inlined in the HTML");
    });

    it("prints a PDF beside the HTML when chromium is installed", (t) => {
        const pdf = path.join(out, "dossier.pdf");
        if (!findChromium()) {
            assert.match(run.stdout, /no PDF: chromium is not installed/);
            return t.skip("chromium is not installed");
        }
        assert.equal(readFileSync(pdf).subarray(0, 5).toString(), "%PDF-");
        assert.match(run.stdout, /dossier\.pdf/);
    });
});

describe("dossiers of other stacks", () => {
    it("host-datastore mode: evidence and diagram speak of the host's encrypted storage, never of LUKS2", () => {
        // The validator now admits only letters, digits, spaces and . , : ( ) / _ + - in a flow's
        // comment (issue 15): the most a comment can still try is Markdown emphasis.
        const HOSTILE = "relay (submission) _x_ / +1";
        const file = stack("host", (config) => {
            config["elabftw-onprem:diskEncryption"] = "host-datastore";
            config["elabftw-onprem:encryptedDatastores"] = ["local-zfs", "local"];
            config["elabftw-onprem:extraFlows"] = [`allow tcp web -> 10.20.60.25 587 # ${HOSTILE}`, "deny udp labSubnet -> web 161 # no SNMP from the lab"];
        });
        const policy = path.join(dir, "policy.json");
        writeFileSync(policy, JSON.stringify({ "cnrs-disk-encryption": { encryptedDatastores: ["local-zfs", "local"] } }));
        const out = path.join(dir, "host");
        const run = report(file, out, "--policy-config", policy, "--no-pdf");
        assert.equal(run.status, 0, run.stdout + run.stderr);
        const markdown = run.md();
        const disk = rowOf(markdown, "`cnrs-disk-encryption`");
        assert.doesNotMatch(disk, /LUKS/);
        assert.match(disk, /The eLabFTW VM: no encryption inside the VM; volumes on `local-zfs`, declared encrypted on the host: `local-zfs`\./);
        assert.doesNotMatch(run.svg(), /LUKS/);
        assert.match(run.svg(), /volumes on local&#45;zfs \(host encryption\)/);
        assert.match(markdown, /\| Policy config \| `.*policy\.json`: `\{"cnrs-disk-encryption":\{"encryptedDatastores":\["local-zfs","local"\]\}\}` \|/);

        // The comment is text everywhere: in the flow matrix, the HTML and the diagram.
        const html = run.html();
        assert.doesNotMatch(html, /<em>x<\/em>/);
        assert.match(html, /relay \(submission\) _x_ \/ \+1/);
        xmllint(path.join(out, "architecture.svg"));
        assert.match(run.svg(), />relay \(submission\) _x_ \/ \+1: 587 TCP</, "the extra flow is labelled with its comment");
        // What no config value can carry any more is still escaped (defence in depth).
        const html2 = marked.parse(text("<img src=x onerror=alert(1)> *x* [l](javascript:alert(1)) | a \u0060 b & c")) as string;
        assert.doesNotMatch(html2, /<img|href="javascript|<em>x<\/em>/);
        assert.match(run.svg(), />no SNMP from the lab: 161 UDP DENIED</);
    });

    it("fails, naming the requirement, for a stack that claims host encryption the policy config does not declare", () => {
        const file = stack("mutated", (config) => {
            config["elabftw-onprem:diskEncryption"] = "host-datastore";
            config["elabftw-onprem:encryptedDatastores"] = ["local-zfs"];
        });
        const out = path.join(dir, "mutated");
        const run = report(`=${file}`, out, "--no-pdf"); // the stack file as the argument is evaluated, not Pulumi.dev.yaml
        assert.equal(run.status, 1, run.stdout + run.stderr);
        assert.match(run.stdout, /^  - cnrs-disk-encryption: [^\n]*elabftw-web[\s\S]*elabftw-db/m);
        assert.match(run.stdout.trimEnd().split("\n").at(-1)!, new RegExp(`^${file.replace(/[/.]/g, "\\$&")}: NOT COMPLIANT, 2 mandatory violation\\(s\\) \\(`));
        assert.ok(!existsSync(path.join(out, "dossier.pdf")));
        const markdown = run.md();
        assert.match(markdown, /\| Verdict \| \*\*NOT COMPLIANT\*\*/);
        assert.match(rowOf(markdown, "`cnrs-disk-encryption`"), /\| \*\*FAIL\*\*: .*Chiffrement des disques durs/);
    });
});
