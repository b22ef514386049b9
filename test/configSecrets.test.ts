// Secrets in the stack config: a secret key set without --secret is refused (the real loader, with
// the secret keys' names as the Pulumi language host hands them), and no error ever shows a secret
// key's value nor anything shaped like a private key, whatever key it was pasted into.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, KEYS, KEY_NAMES, loadConfig, validateConfig } from "../components/config";
import { projectKeys, readStackConfig } from "./support/stackConfig";
import { PROVIDER_SECRET_KEYS } from "../components/config/providerSecrets";
import { PRODUCTION_OVERRIDES } from "./support/stacks";

const dev = projectKeys(readStackConfig());
const SECRET_KEYS = KEY_NAMES.filter((key) => (KEYS[key] as { secret?: boolean }).secret);
const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const dir = mkdtempSync(path.join(tmpdir(), "elabftw-config-secrets-"));
spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "id")]);
const openssh = readFileSync(path.join(dir, "id"), "utf8");
/** A value of each secret key that passes its own schema. */
const VALID: Record<string, string> = {
    elabftwSecretKey: `def00000${"ab".repeat(64)}`,
    httpsPrivateKey: pem,
    sshPrivateKey: openssh,
    smtpPassword: "Smtp-Password-For-Tests-Only",
    timestampPassword: "Tsa-Password-For-Tests-Only",
};

function errorOf(run: () => unknown): string {
    try {
        run();
    } catch (error) {
        return (error as Error).message;
    }
    return assert.fail("accepted");
}

describe("secret keys set in plaintext", () => {
    it("covers every secret key of the table", () => {
        assert.deepEqual([...SECRET_KEYS].sort(), Object.keys(VALID).sort());
    });

    for (const key of SECRET_KEYS) {
        it(`refuses ${key} without --secret, with the fix, never showing it`, () => {
            const raw = { ...dev, [key]: VALID[key] };
            const message = errorOf(() => validateConfig(raw, undefined, new Set()));
            assert.match(message, new RegExp(`elabftw-onprem:${key} = "\\[secret\\]": is a secret set in plaintext`));
            assert.match(message, new RegExp(`Fix: pulumi config set --secret ${key}`));
            assert.ok(!message.includes(VALID[key].slice(10, 30)), "the secret is in the message");
            // Set with --secret, the same value raises no plaintext problem.
            const encrypted = errorOrNothing(() => validateConfig(raw, undefined, new Set([key])));
            assert.doesNotMatch(encrypted, /set in plaintext/);
        });
    }

    it("is what the program's loader does with the keys Pulumi marks secret (PULUMI_CONFIG_SECRET_KEYS)", () => {
        const config = Object.fromEntries(Object.entries({ ...dev, smtpPassword: VALID.smtpPassword, elabftwSecretKey: VALID.elabftwSecretKey }).map(([k, v]) => [`elabftw-onprem:${k}`, v]));
        pulumi.runtime.setAllConfig(config, ["elabftw-onprem:elabftwSecretKey"]);
        const message = errorOf(() => loadConfig());
        assert.match(message, /elabftw-onprem:smtpPassword = "\[secret\]": is a secret set in plaintext/);
        assert.doesNotMatch(message, /elabftwSecretKey/);
        pulumi.runtime.setAllConfig(config, ["elabftw-onprem:elabftwSecretKey", "elabftw-onprem:smtpPassword"]);
        assert.doesNotMatch(errorOrNothing(() => loadConfig()), /set in plaintext/);
    });
});

describe("provider secrets set in plaintext", () => {
    it("covers every input the Proxmox provider's SDK marks secret", () => {
        const sdk = readFileSync(require.resolve("@muhlba91/pulumi-proxmoxve/provider.js"), "utf8");
        const marked = [...sdk.matchAll(/resourceInputs\["(\w+)"\] = args\?\.\w+ \? pulumi\.secret/g)].map((m) => `proxmoxve:${m[1]}`);
        assert.ok(marked.length >= 2);
        for (const key of marked) assert.ok(key in PROVIDER_SECRET_KEYS, key);
    });

    it("refuses proxmoxve:apiToken and an ssh password in plaintext through the loader, naming the --secret fix; accepts them encrypted", () => {
        const config = {
            ...Object.fromEntries(Object.entries(dev).map(([k, v]) => [`elabftw-onprem:${k}`, v])),
            "proxmoxve:endpoint": "https://pve.example.org:8006/",
            "proxmoxve:apiToken": "pulumi@pve!elabftw=11111111-2222-3333-4444-555555555555",
            "proxmoxve:ssh": JSON.stringify({ username: "root", password: "Pve-Root-Password" }),
        };
        pulumi.runtime.setAllConfig(config, []);
        const message = errorOf(() => loadConfig());
        assert.match(message, /proxmoxve:apiToken = "\[secret\]": is a provider secret set in plaintext/);
        assert.match(message, /Fix: pulumi config rm proxmoxve:apiToken; pulumi config set --secret proxmoxve:apiToken/);
        assert.match(message, /proxmoxve:ssh = "\[secret\]"/);
        assert.doesNotMatch(message, /elabftw-onprem:proxmoxve|proxmoxve:endpoint|11111111|Pve-Root-Password/);
        pulumi.runtime.setAllConfig(config, ["proxmoxve:apiToken", "proxmoxve:ssh"]);
        assert.doesNotMatch(errorOrNothing(() => loadConfig()), /provider secret/);
        pulumi.runtime.setAllConfig({ ...config, "proxmoxve:ssh": JSON.stringify({ username: "root", agent: true }) }, ["proxmoxve:apiToken"]);
        assert.doesNotMatch(errorOrNothing(() => loadConfig()), /provider secret/);
    });

    it("refuses a token or a login of root@pam, even encrypted, naming the dedicated user's fix and not the secret", () => {
        const base = { ...Object.fromEntries(Object.entries(dev).map(([k, v]) => [`elabftw-onprem:${k}`, v])), "proxmoxve:endpoint": "https://pve.example.org:8006/" };
        pulumi.runtime.setAllConfig({ ...base, "proxmoxve:apiToken": "root@pam!pulumi=11111111-2222-3333-4444-555555555555" }, ["proxmoxve:apiToken"]);
        const message = errorOf(() => loadConfig());
        assert.match(message, /proxmoxve:apiToken = "root@pam!…": is a credential of root@pam/);
        assert.match(message, /Fix: create the unit's own API user \(npm run -s proxmox-acl -- <stack file> prints its pveum commands/);
        assert.doesNotMatch(message, /11111111/);
        pulumi.runtime.setAllConfig({ ...base, "proxmoxve:username": "root@pam" }, []);
        assert.match(errorOf(() => loadConfig()), /proxmoxve:username = "root@pam": is a credential of root@pam/);
        pulumi.runtime.setAllConfig({ ...base, "proxmoxve:apiToken": "pulumi@pve!elabftw=11111111-2222-3333-4444-555555555555" }, ["proxmoxve:apiToken"]);
        assert.doesNotMatch(errorOrNothing(() => loadConfig()), /root@pam/);
    });

    it("refuses proxmoxve:insecure on a production stack, tolerates it on a test stack", () => {
        const base = { ...Object.fromEntries(Object.entries(dev).map(([k, v]) => [`elabftw-onprem:${k}`, v])), "proxmoxve:insecure": "true" };
        pulumi.runtime.setAllConfig(base, []);
        assert.doesNotMatch(errorOrNothing(() => loadConfig()), /proxmoxve:insecure/);
        const production: Record<string, string> = { ...base };
        for (const [key, value] of Object.entries(PRODUCTION_OVERRIDES)) {
            if (value === undefined) delete production[key];
            else production[key] = value;
        }
        pulumi.runtime.setAllConfig(production, []);
        assert.match(errorOrNothing(() => loadConfig()), /proxmoxve:insecure = "true": turns off the verification of the Proxmox API's TLS certificate on a production stack/);
    });

    it("refuses a Proxmox endpoint that is not https, on any stack", () => {
        const base = Object.fromEntries(Object.entries(dev).map(([k, v]) => [`elabftw-onprem:${k}`, v]));
        pulumi.runtime.setAllConfig({ ...base, "proxmoxve:endpoint": "http://pve.lab.example.org:8006/" }, []);
        assert.match(errorOrNothing(() => loadConfig()), /proxmoxve:endpoint = "http:\/\/pve\.lab\.example\.org:8006\/": is not an https:\/\/ URL/);
        pulumi.runtime.setAllConfig({ ...base, "proxmoxve:endpoint": "https://pve.lab.example.org:8006/" }, []);
        assert.doesNotMatch(errorOrNothing(() => loadConfig()), /proxmoxve:endpoint/);
    });
});

function errorOrNothing(run: () => unknown): string {
    try {
        run();
        return "";
    } catch (error) {
        return (error as Error).message;
    }
}

describe("private keys are never echoed", () => {
    const material = [pem, openssh, openssh.split("\n").slice(1, 3).join("")];
    for (const key of ["adminSshKeys", "fqdn", "extraFlows", "httpsCertificate", "sysadminLastName", "backupTarget", "adminSshKey"]) {
        it(`${key}: a pasted private key is refused without being shown`, () => {
            for (const value of material) {
                const text = key === "adminSshKeys" || key === "extraFlows" ? JSON.stringify([value]) : value;
                const message = errorOf(() => validateConfig({ ...dev, [key]: text }, undefined, new Set()));
                assert.match(message, new RegExp(`elabftw-onprem:${key}`));
                for (const line of value.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"))) {
                    assert.ok(!message.includes(line.slice(0, 20)), `key material shown for ${key}: ${message}`);
                }
                assert.doesNotMatch(message, /PRIVATE KEY|b3BlbnNzaC1rZXktdjE/);
            }
        });
    }

    it("still shows an ordinary bad value (the redaction is not blanket)", () => {
        assert.match(errorOf(() => validateConfig({ ...dev, fqdn: "Not A Host" }, undefined, new Set())), /fqdn = "Not A Host"/);
    });

    it("throws the ConfigError the loader turns into a plain message", () => {
        assert.throws(() => validateConfig({ ...dev, smtpPassword: "x" }, undefined, new Set()), ConfigError);
    });
});
