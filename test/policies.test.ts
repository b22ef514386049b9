// The policy pack over the real program's graph (Pulumi.dev.yaml): no violation at all; then one
// mutated graph per policy, each with exactly one violation injected, caught by that policy and by
// no other, with a message naming the resource, the requirement and the fix.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cnrsRequirements, hardening, instanceSettings, rules } from "../policies/rules";
import { AUTHORITIES } from "../policies/rules/timestampingConfigured";
import { TS_AUTHORITIES } from "../components/config/settingsKeys";
import { plaintextDump } from "../policies/rules/cnrsBackupEncryption";
import { unpinnedImageProblem } from "../policies/rules/pinnedContainerImages";
import { CapturedResource, ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { changed, mysqlOnWebVm, plain, withResource, without } from "./support/mutations";
import { evaluate } from "../tools/offline/policyEngine";

const T = {
    rules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
    options: "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
    container: "docker:index/container:Container",
    image: "docker:index/remoteImage:RemoteImage",
    provider: "pulumi:providers:docker",
    command: "command:remote:Command",
    edge: "elabftw:firewall:EdgeHandOff",
    key: "tls:index/privateKey:PrivateKey",
    snippet: "proxmoxve:index/fileLegacy:FileLegacy",
    settings: "elabftw:app:ElabftwSettings",
};

let run: ProgramRun;
before(async () => {
    run = await runProgram();
});

/** Runs the whole pack on a mutated graph: the violations must all come from `policy`. */
async function caughtOnlyBy(policy: string, graph: CapturedResource[]): Promise<string[]> {
    const { violations } = await evaluate(rules, graph);
    assert.ok(violations.length > 0, `${policy} did not catch the mutation`);
    assert.deepEqual([...new Set(violations.map((v) => v.policy))], [policy], JSON.stringify(violations, null, 1));
    for (const v of violations) assert.match(v.message, /Fix: /);
    if (cnrsRequirements.some((p) => p.name === policy)) for (const v of violations) assert.match(v.message, /^CNRS requirement « .+ » \(.+\): /);
    return violations.map((v) => v.message);
}

describe("policy pack on the example stack", () => {
    it("has the six CNRS requirements, mandatory, and the hardening rules", () => {
        assert.equal(cnrsRequirements.length, 6);
        for (const p of cnrsRequirements) assert.equal(p.enforcementLevel, "mandatory");
        assert.deepEqual(rules.map((p) => p.name).sort(), [...cnrsRequirements, ...hardening, ...instanceSettings].map((p) => p.name).sort());
        assert.equal(new Set(rules.map((p) => p.name)).size, rules.length);
    });

    it("finds no violation in the program's graph", async () => {
        const { violations, skippedInPreview } = await evaluate(rules, run.resources);
        assert.deepEqual(violations, []);
        assert.deepEqual(skippedInPreview, [], "every value is known outside preview");
    });
});

describe("one injected violation, caught by its policy alone", () => {
    it("key-strength-and-validity: a leaf certificate able to sign; the CA's key installed on a VM or reused as a leaf's key", async () => {
        const leafCa = changed(run.resources, "tls:index/locallySignedCert:LocallySignedCert", "-pki-mysql-server", (p) => Object.assign(p, { isCaCertificate: true, allowedUses: [...p.allowedUses, "cert_signing"] }));
        assert.match((await caughtOnlyBy("key-strength-and-validity", leafCa))[0], /pki-mysql-server: a leaf certificate that can sign others \(isCaCertificate, cert_signing\)/);
        const caPem = String(plain(run.one(T.key, "-pki-ca-key").rawOutputs.privateKeyPem));
        const installed = changed(run.resources, T.command, "-https-key", (p) => (p.stdin = typeof p.stdin === "object" && p.stdin ? { ...p.stdin, value: caPem } : caPem));
        assert.match((await caughtOnlyBy("key-strength-and-validity", installed)).join("\n"), /https-key: its stdin holds the private CA's key/);
        const reused = changed(run.resources, "tls:index/certRequest:CertRequest", "-pki-https-csr", (p) => (p.privateKeyPem = caPem));
        assert.match((await caughtOnlyBy("key-strength-and-validity", reused)).join("\n"), /pki-https-csr: its privateKeyPem holds the private CA's key/);
        const worldReadable = changed(run.resources, T.command, "-mysql-tls-key", (p) => (p.create = String(p.create).replace(/--mode 0400\b/, "--mode 0644")));
        assert.match((await caughtOnlyBy("key-strength-and-validity", worldReadable))[0], /mysql-tls-key: installs the private key .*server-key\.pem with mode 0644, readable by every account/);
    });

    it("cnrs-backup-encryption: a vzdump job of the VMs' pool to a plain storage, accepted to a storage declared encrypted", async () => {
        const vm = run.one("proxmoxve:index/vmLegacy:VmLegacy", "-db");
        const job = withResource(run.resources, vm, "proxmoxve:backup/job:Job", "vzdump-nightly", { resourceId: "nightly", schedule: "*-*-* 01:30", storage: "local", pool: plain(vm.rawOutputs.poolId), mode: "snapshot" });
        assert.match((await caughtOnlyBy("cnrs-backup-encryption", job))[0], /vzdump-nightly backs up .*to the storage local, not declared encrypted/);
        assert.deepEqual((await evaluate(rules, job, { "cnrs-backup-encryption": { encryptedBackupStorages: ["local"] } })).violations, []);
    });

    it("cnrs-disk-encryption: the uploads folder made a symbolic link to the OS disk (Docker follows it)", async () => {
        const linked = changed(run.resources, T.command, "-elabftw-uploads", (p) => (p.create = String(p.create).replace("sudo install -d -o 101 -g 101 -m 0750 /srv/elabftw/elabftw/uploads", "sudo install -d -o 101 -g 101 -m 0750 /var/lib/elabftw-uploads && sudo ln -sfn /var/lib/elabftw-uploads /srv/elabftw/elabftw/uploads")));
        assert.match((await caughtOnlyBy("cnrs-disk-encryption", linked))[0], /\/srv\/elabftw\/elabftw\/uploads \(a symbolic link to \/var\/lib\/elabftw-uploads\) on .*unencrypted OS disk/);
    });

    it("container-hardening: MySQL keeping NET_RAW; key-strength-and-validity: a wildcard name; no-plaintext-secrets: xtrace in a script that handles the passphrase", async () => {
        const raw = changed(run.resources, T.container, "-mysql-container", (p) => (p.capabilities.drops = p.capabilities.drops.filter((c: string) => !/NET_RAW/.test(c))));
        assert.match((await caughtOnlyBy("container-hardening", raw))[0], /keeps NET_RAW/);
        const wildcard = changed(run.resources, "tls:index/certRequest:CertRequest", "-pki-mysql-server-csr", (p) => plain(p.dnsNames).push("*.lab.example.org"));
        assert.match((await caughtOnlyBy("key-strength-and-validity", wildcard))[0], /requests a certificate for \*\.lab\.example\.org/);
        const traced = changed(run.resources, T.command, "-db-data-luks-format", (p) => (p.create = String(p.create).replace("set -euo pipefail", "set -euxo pipefail")));
        assert.match((await caughtOnlyBy("no-plaintext-secrets", traced))[0], /bash's xtrace \(`set -euxo pipefail`\)/);
    });

    it("key-strength-and-validity: the database's Borg passphrase installed on the web VM too", async () => {
        const dbPassphrase = plain(run.one(T.command, "-backup-db-passphrase").rawInputs.stdin);
        const shared = changed(run.resources, T.command, "-backup-web-passphrase", (p) => (p.stdin = typeof p.stdin === "object" && p.stdin ? { ...p.stdin, value: dbPassphrase } : dbPassphrase));
        assert.match((await caughtOnlyBy("key-strength-and-validity", shared))[0], /install the same passphrase on 10\.20\.30\.1[01] and 10\.20\.30\.1[01]/);
    });

    it("cnrs-disk-encryption: MySQL's root option file also written to the admin's home on the OS disk", async () => {
        const copied = changed(run.resources, T.command, "-mysql-root-cnf", (p) => (p.create = `${p.create} && sudo tee /home/elabadmin/.my.cnf >/dev/null`));
        assert.match((await caughtOnlyBy("cnrs-disk-encryption", copied))[0], /mysql-root-cnf writes a secret to \/home\/elabadmin\/\.my\.cnf, on elabftw-db's unencrypted OS disk/);
    });

    it("verified-remote-hosts: a command without its host key; a Docker provider trusting any key (ssh keeps the first -o value)", async () => {
        const unpinned = await caughtOnlyBy("verified-remote-hosts", changed(run.resources, T.command, "-mysql-root-password", (p) => void delete (p.connection.value ?? p.connection).hostKey));
        assert.match(unpinned[0], /mysql-root-password: its connection pins no host key/);
        const first = changed(run.resources, T.provider, "-web-docker", (p) => (p.sshOpts = JSON.stringify(["-o", "StrictHostKeyChecking=no", ...JSON.parse(p.sshOpts)])));
        assert.match((await caughtOnlyBy("verified-remote-hosts", first))[0], /StrictHostKeyChecking=no/);
        const nullFile = changed(run.resources, T.provider, "-web-docker", (p) => (p.sshOpts = JSON.stringify(["-oUserKnownHostsFile=/dev/null", ...JSON.parse(p.sshOpts)])));
        assert.match((await caughtOnlyBy("verified-remote-hosts", nullFile))[0], /UserKnownHostsFile=\/dev\/null/);
        // A later, stricter value changes nothing: ssh already took the first.
        const later = changed(run.resources, T.provider, "-web-docker", (p) => (p.sshOpts = JSON.stringify([...JSON.parse(p.sshOpts), "-o", "StrictHostKeyChecking=no"])));
        assert.deepEqual((await evaluate(rules, later)).violations, []);
    });

    it("cnrs-no-access-from-outside: HTTPS opened to the Internet", async () => {
        const graph = changed(run.resources, T.rules, "-web-rules", (p) => {
            plain(p.rules).push({ type: "in", action: "ACCEPT", source: "0.0.0.0/0", proto: "tcp", dport: "443", comment: "mutation", log: "nolog" });
        });
        const messages = await caughtOnlyBy("cnrs-no-access-from-outside", graph);
        assert.match(messages.join("\n"), /breaks "no packet from the Internet reaches elabftw-web on any port": .*tcp\/443 through rule \d+ "mutation"/);
    });

    it("cnrs-no-access-from-outside: MySQL published on every address", async () => {
        const graph = changed(run.resources, T.container, "-mysql-container", (p) => (plain(p.ports)[0].ip = "0.0.0.0"));
        const { violations } = await evaluate(rules, graph);
        // 0.0.0.0 is also not a private address: the hardening rule says so too, for the same port.
        assert.deepEqual([...new Set(violations.map((v) => v.policy))].sort(), ["cnrs-no-access-from-outside", "private-published-ports"]);
    });

    it("cnrs-two-vms: MySQL moved onto the eLabFTW VM", async () => {
        const messages = await caughtOnlyBy("cnrs-two-vms", mysqlOnWebVm(run.resources, "ssh://elabadmin@10.20.30.10"));
        assert.match(messages[0], /share the VM/);
    });

    it("cnrs-infrastructure-firewall: a VM whose output policy accepts", async () => {
        const graph = changed(run.resources, T.options, "-db-options", (p) => (p.outputPolicy = "ACCEPT"));
        await caughtOnlyBy("cnrs-infrastructure-firewall", graph);
    });

    it("cnrs-dedicated-egress-address: a private address declared", async () => {
        const graph = changed(run.resources, T.edge, "-edge", (p) => (p.egressPublicAddress = "10.1.2.3"));
        const messages = await caughtOnlyBy("cnrs-dedicated-egress-address", graph);
        assert.match(messages.join("\n"), /10\.1\.2\.3, which is not a public unicast address/);
    });

    it("cnrs-disk-encryption: the DB VM's data disk left unencrypted", async () => {
        const messages = await caughtOnlyBy("cnrs-disk-encryption", without(run.resources, T.command, "-db-data-luks-format"));
        assert.match(messages[0], /elabftw-db has volumes on local-zfs, not declared encrypted, and no LUKS/);
        // The same graph passes when the site declares that storage encrypted.
        const { violations } = await evaluate(rules, without(run.resources, T.command, "-db-data-luks-format"), { "cnrs-disk-encryption": { encryptedDatastores: ["local-zfs"] } });
        assert.deepEqual(violations, []);
    });

    it("cnrs-backup-encryption: a repository created without encryption", async () => {
        const graph = changed(run.resources, T.command, "-backup-db-script-elabftw-backup", (p) => (p.stdin = String(plain(p.stdin)).replace("--encryption=repokey-blake2", "--encryption=none")));
        const messages = await caughtOnlyBy("cnrs-backup-encryption", graph);
        assert.match(messages[0], /without encryption/);
    });

    it("cnrs-backup-encryption: a dump written to a file", () => {
        assert.equal(plaintextDump('mysqldump --single-transaction elabftw > /var/backups/elabftw.sql'), true);
        assert.equal(plaintextDump('mysqldump --single-transaction elabftw |\n    borg create ::db -'), false);
        assert.equal(plaintextDump('mysqldump elabftw 2>/dev/null | gzip > /tmp/dump.sql.gz'), true);
    });

    it("pinned-container-images: eLabFTW on a moving tag", async () => {
        await caughtOnlyBy("pinned-container-images", changed(run.resources, T.image, "-elabftw-image", (p) => (p.name = "elabftw/elabimg:stable")));
        assert.equal(unpinnedImageProblem("mysql:8.4.8"), undefined);
    });

    it("mysql-tls-only: plaintext connections allowed", async () => {
        const graph = changed(run.resources, T.container, "-mysql-container", (p) => (p.command = plain(p.command).filter((a: string) => a !== "--require-secure-transport=ON")));
        await caughtOnlyBy("mysql-tls-only", graph);
        await caughtOnlyBy("mysql-tls-only", changed(run.resources, T.image, "-mysql-image", (p) => (p.name = "mysql:8.0.39")));
    });

    it("elabftw-db-cert-path: DB_CERT_PATH removed", async () => {
        const graph = changed(run.resources, T.container, "-elabftw-container", (p) => {
            const envs: string[] = plain(p.envs);
            envs.splice(envs.findIndex((e) => typeof e === "string" && e.startsWith("DB_CERT_PATH=")), 1);
        });
        await caughtOnlyBy("elabftw-db-cert-path", graph);
    });

    it("container-hardening: no-new-privileges dropped", async () => {
        await caughtOnlyBy("container-hardening", changed(run.resources, T.container, "-elabftw-container", (p) => (p.securityOpts = [])));
    });

    it("private-published-ports: HTTPS published on every address", async () => {
        await caughtOnlyBy("private-published-ports", changed(run.resources, T.container, "-elabftw-container", (p) => (plain(p.ports)[0].ip = "0.0.0.0")));
    });

    it("key-strength-and-validity: an RSA-2048 key", async () => {
        await caughtOnlyBy("key-strength-and-validity", changed(run.resources, T.key, "-https-key", (p) => Object.assign(p, { algorithm: "RSA", rsaBits: 2048, ecdsaCurve: undefined })));
    });

    it("smtp-verifies-certificate: certificate checks turned off for the mail relay", async () => {
        const graph = changed(run.resources, T.settings, "-settings", (p) => Object.assign(p.config, { smtp_address: "smtp.lab.example.org", smtp_verify_cert: "0" }));
        const [message] = await caughtOnlyBy("smtp-verifies-certificate", graph);
        assert.match(message, /smtp\.lab\.example\.org.*Fix: pulumi config set smtpVerifyCert true/);
    });

    it("password-policy-baseline: 8-character passwords, no MFA", async () => {
        const graph = changed(run.resources, T.settings, "-settings", (p) => Object.assign(p.config, { min_password_length: "8", enforce_mfa: "0" }));
        const messages = await caughtOnlyBy("password-policy-baseline", graph);
        assert.equal(messages.length, 2);
    });

    it("timestamping-configured: an authority without its credentials, and settings not managed", async () => {
        await caughtOnlyBy("timestamping-configured", changed(run.resources, T.settings, "-settings", (p) => (p.config.ts_authority = "universign")));
        await caughtOnlyBy("timestamping-configured", changed(run.resources, T.settings, "-settings", (p) => (p.config.ts_authority = "freetsa")));
        await caughtOnlyBy("timestamping-configured", without(run.resources, T.settings, "-settings"));
    });

    it("timestamping-configured knows the same authorities as the config", () => {
        assert.deepEqual(AUTHORITIES, TS_AUTHORITIES);
    });

    it("no-plaintext-secrets: a password in a cloud-init snippet", async () => {
        const graph = changed(run.resources, T.snippet, "-web-user-data", (p) => (plain(p.sourceRaw).data += "chpasswd:\n  expire: false\n"));
        await caughtOnlyBy("no-plaintext-secrets", graph);
    });
});
