// Over 300 lines on purpose: one case per refusal of the validator, side by side.
// The config validator: the example stack passes, and each kind of bad value is refused with a
// message that names the key, shows the value and says how to fix it.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, validateConfig } from "../components/config";
import { siteCertificateProblem } from "../components/config/tlsKeys";
import { projectKeys, readStackConfig } from "./support/stackConfig";

const dev = projectKeys(readStackConfig());

/** A freshly generated RSA public key in OpenSSH's "ssh-rsa <blob>" form (blob: type, e, n). */
function opensshRsaPublicKey(bits: number): string {
    const jwk = generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ format: "jwk" });
    const wire = (bytes: Buffer) => Buffer.concat([Buffer.from(Uint32Array.of(bytes.length).buffer).reverse(), bytes]);
    const mpint = (b64url: string) => {
        const bytes = Buffer.from(b64url, "base64url");
        return wire(bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
    };
    return `ssh-rsa ${Buffer.concat([wire(Buffer.from("ssh-rsa")), mpint(jwk.e!), mpint(jwk.n!)]).toString("base64")} test@key`;
}

function withChanges(changes: Record<string, string | undefined>): Record<string, string> {
    const raw: Record<string, string> = { ...dev };
    for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) delete raw[key];
        else raw[key] = value;
    }
    return raw;
}

/** Validates and returns the single problem line about `key`; fails if validation passes. */
function problemAbout(changes: Record<string, string | undefined>, key: string): string {
    try {
        validateConfig(withChanges(changes));
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        const problem = error.problems.find((p) => p.key === key);
        assert.ok(problem, `no problem reported about ${key}; got: ${error.message}`);
        assert.match(error.message, new RegExp(`elabftw-onprem:${key}`));
        assert.match(error.message, /Fix: pulumi config /);
        return `${key} = ${JSON.stringify(problem.value)}: ${problem.message}`;
    }
    assert.fail("validation accepted a bad config");
}

describe("config validation", () => {
    it("accepts the example stack and builds the typed object", () => {
        const { config, secrets } = validateConfig(dev);
        assert.equal(config.stackKind, "test");
        assert.equal(config.vms.web.address, "10.20.30.10");
        assert.equal(config.vms.db.vmId, 2102);
        assert.equal(config.vms.web.name, "demo-elabftw-web");
        assert.equal(config.network.prefixLength, 24);
        assert.equal(config.datastores.tpm, "local-zfs");
        assert.equal(config.datastores.snippets, "local");
        assert.equal(config.site.siteUrl, "https://elabftw-test.lab.example.org");
        assert.equal(config.network.searchDomain, "lab.example.org");
        assert.deepEqual(config.cloudImage, { kind: "volume", volumeId: "local:import/debian-13-generic-amd64.qcow2" });
        assert.equal(config.vms.web.osDiskGiB, 16, "defaults apply to keys the stack leaves out");
        assert.deepEqual(secrets, { sshPrivateKey: undefined, httpsPrivateKey: undefined, elabftwSecretKey: undefined, smtpPassword: undefined, timestampPassword: undefined });
    });

    it("refuses an unknown key and suggests the nearest one", () => {
        const line = problemAbout({ webAdress: "10.20.30.10" }, "webAdress");
        assert.match(line, /not a setting of this program \(did you mean webAddress\?/);
    });

    it("refuses a missing required key", () => {
        assert.match(problemAbout({ fqdn: undefined }, "fqdn"), /is required and not set/);
    });

    it("refuses an address outside the server subnet", () => {
        assert.match(problemAbout({ dbAddress: "10.20.31.11" }, "dbAddress"), /"10\.20\.31\.11".*not a usable host address inside serverSubnet 10\.20\.30\.0\/24/);
    });

    it("refuses the same address for both VMs", () => {
        assert.match(problemAbout({ dbAddress: "10.20.30.10" }, "dbAddress"), /same address as webAddress/);
    });

    it("refuses the same VM ID for both VMs", () => {
        assert.match(problemAbout({ dbVmId: "2101" }, "dbVmId"), /2101: is the same VM ID as webVmId/);
    });

    it("refuses an invalid FQDN", () => {
        assert.match(problemAbout({ fqdn: "elab_ftw.lab" }, "fqdn"), /"elab_ftw\.lab": is not a fully qualified lowercase host name/);
    });

    it("refuses a SITE_URL that is not https", () => {
        assert.match(problemAbout({ siteUrl: "http://elabftw-test.lab.example.org" }, "siteUrl"), /must start with https:\/\//);
    });

    it("refuses the floating image tags latest and stable", () => {
        assert.match(problemAbout({ elabftwVersion: "latest" }, "elabftwVersion"), /"latest": is a floating tag/);
        assert.match(problemAbout({ mysqlVersion: "stable" }, "mysqlVersion"), /"stable": is a floating tag/);
    });

    it("refuses MySQL 8.0, which reached end of life", () => {
        assert.match(problemAbout({ mysqlVersion: "8.0.39" }, "mysqlVersion"), /8\.4\.x LTS.*end of life/);
    });

    it("refuses overlapping lab and server subnets", () => {
        assert.match(problemAbout({ labSubnet: "10.20.0.0/16" }, "labSubnet"), /overlaps serverSubnet 10\.20\.30\.0\/24/);
    });

    it("refuses a datastore list that leaves a disk kind unplaced", () => {
        const line = problemAbout({ datastores: JSON.stringify(["local-zfs=os,data,efi,cloudinit", "local=snippets,import"]) }, "datastores");
        assert.match(line, /leaves the "tpm" kind unplaced/);
    });

    it("refuses a disk kind placed twice, and an unknown kind", () => {
        assert.match(problemAbout({ datastores: JSON.stringify(["local-zfs=os,data,efi,tpm,cloudinit", "local=snippets,import,os"]) }, "datastores"), /"os" kind on several storages \(local-zfs, local\)/);
        assert.match(problemAbout({ datastores: JSON.stringify(["local-zfs=os,data,efi,tpm,cloudinit,backups", "local=snippets,import"]) }, "datastores"), /unknown kind\(s\) backups/);
    });

    it("requires every disk's storage to be declared encrypted in host-datastore mode", () => {
        const line = problemAbout({ diskEncryption: "host-datastore", encryptedDatastores: JSON.stringify(["other"]) }, "encryptedDatastores");
        assert.match(line, /does not list "local-zfs", which holds the os, data, efi, tpm, cloudinit volumes/);
        assert.doesNotThrow(() => validateConfig(withChanges({ diskEncryption: "host-datastore", encryptedDatastores: JSON.stringify(["local-zfs"]) })));
    });

    it("requires exactly one image source, and a checksum with a URL", () => {
        assert.match(problemAbout({ cloudImageVolume: undefined }, "cloudImageVolume"), /nor is cloudImageUrl/);
        const url = "https://cloud.debian.org/images/cloud/trixie/20261101-2300/debian-13-generic-amd64-20261101-2300.qcow2";
        assert.match(problemAbout({ cloudImageVolume: undefined, cloudImageUrl: url }, "cloudImageChecksum"), /required with cloudImageUrl/);
        assert.match(problemAbout({ cloudImageVolume: undefined, cloudImageUrl: url.replace("20261101-2300/", "latest/") }, "cloudImageUrl"), /moving image/);
        const { config } = validateConfig(withChanges({ cloudImageVolume: undefined, cloudImageUrl: url, cloudImageChecksum: "ab".repeat(64) }));
        assert.deepEqual(config.cloudImage, { kind: "download", url, sha512: "ab".repeat(64), fileName: "debian-13-generic-amd64-20261101-2300.qcow2" });
    });

    it("refuses a private egress address, and a documentation one outside test stacks", () => {
        assert.match(problemAbout({ egressPublicAddress: "10.1.2.3" }, "egressPublicAddress"), /not a public unicast address/);
        assert.match(problemAbout({ stackKind: "production" }, "egressPublicAddress"), /documentation addresses are accepted on test stacks only/);
    });

    it("refuses weak or malformed SSH keys", () => {
        const rsa2048 = opensshRsaPublicKey(2048);
        assert.match(problemAbout({ adminSshKeys: JSON.stringify(["ssh-dss AAAAB3NzaC1kc3MAAACBA== x"]) }, "adminSshKeys"), /key type ssh-dss/);
        assert.match(problemAbout({ adminSshKeys: JSON.stringify([rsa2048]) }, "adminSshKeys"), /RSA key of 2048 bits/);
        assert.doesNotThrow(() => validateConfig(withChanges({ adminSshKeys: JSON.stringify([opensshRsaPublicKey(3072)]) })));
        const pastedPrivateKey = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string;
        assert.match(problemAbout({ adminSshKeys: JSON.stringify([pastedPrivateKey]) }, "adminSshKeys"), /is a private key/);
    });

    it("takes the program's SSH key only as an unencrypted OpenSSH private key, never printing it", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "elabftw-ssh-key-"));
        const keygen = (file: string, passphrase: string) => {
            const result = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f", path.join(dir, file)], { encoding: "utf8" });
            assert.equal(result.status, 0, result.stderr);
            return readFileSync(path.join(dir, file), "utf8");
        };
        const key = keygen("plain", "");
        assert.ok(validateConfig(withChanges({ sshPrivateKey: key })).secrets.sshPrivateKey === key);
        assert.match(problemAbout({ sshPrivateKey: keygen("locked", "only-for-this-test") }, "sshPrivateKey"), /"\[secret\]": is protected by a passphrase \(aes256-ctr\)/);
        const lines = key.trim().split("\n");
        assert.match(problemAbout({ sshPrivateKey: [lines[0], lines[1].slice(0, 20), lines.at(-1)].join("\n") }, "sshPrivateKey"), /is a truncated OpenSSH private key/);
        const pkcs8 = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string;
        assert.match(problemAbout({ sshPrivateKey: pkcs8 }, "sshPrivateKey"), /is not an OpenSSH private key/);
    });

    it("reports a wrong type with the value and the fix", () => {
        assert.match(problemAbout({ webCores: "two" }, "webCores"), /"two": is not a whole number/);
    });

    it("refuses an escrowed SECRET_KEY of the wrong shape, without printing it", () => {
        assert.match(problemAbout({ elabftwSecretKey: "def00000abc" }, "elabftwSecretKey"), /"\[secret\]": is not an eLabFTW SECRET_KEY/);
    });

    it("accepts an unencrypted PEM key for the institutional certificate, refuses a truncated or encrypted one", () => {
        const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
        const pem = privateKey.export({ format: "pem", type: "pkcs8" }) as string;
        // Alone it lacks its certificate: the only problem reported is that one.
        assert.throws(() => validateConfig(withChanges({ httpsPrivateKey: pem })), (error: ConfigError) => error.problems.map((p) => p.key).join() === "httpsCertificate");
        assert.match(problemAbout({ httpsPrivateKey: pem.slice(0, 80) }, "httpsPrivateKey"), /"\[secret\]": is not an unencrypted PEM private key/);
        const encrypted = privateKey.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "only-for-this-test" }) as string;
        assert.match(problemAbout({ httpsPrivateKey: encrypted }, "httpsPrivateKey"), /is not an unencrypted PEM private key/);
    });

    it("reads the site's certificate and key as nginx would: strength, expiry, order and pairing", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "elabftw-site-cert-"));
        const issue = (name: string, keyArgs: string[], days = 30) => {
            const result = spawnSync("openssl", ["req", "-x509", "-newkey", ...keyArgs, "-nodes", "-days", String(days), "-subj", "/CN=elab.example.org", "-addext", "basicConstraints=critical,CA:FALSE", "-keyout", path.join(dir, `${name}.key`), "-out", path.join(dir, `${name}.crt`)], { encoding: "utf8" });
            assert.equal(result.status, 0, result.stderr);
            return { certificate: readFileSync(path.join(dir, `${name}.crt`), "utf8"), key: readFileSync(path.join(dir, `${name}.key`), "utf8") };
        };
        const good = issue("good", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        const other = issue("other", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        const weak = issue("weak", ["rsa:1024"]);
        const pair = (c: { certificate: string }, k: { key: string }) => ({ httpsCertificate: c.certificate, httpsPrivateKey: k.key });
        assert.doesNotThrow(() => validateConfig(withChanges(pair(good, good))));
        assert.match(problemAbout(pair(good, other), "httpsPrivateKey"), /is not the key of httpsCertificate's first certificate/);
        assert.match(problemAbout(pair(weak, weak), "httpsPrivateKey"), /"\[secret\]": is an RSA key of 1024 bits/);
        assert.match(problemAbout(pair(weak, good), "httpsCertificate"), /is issued for an RSA key of 1024 bits/);
        assert.match(problemAbout({ httpsCertificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", httpsPrivateKey: good.key }, "httpsCertificate"), /is not a PEM certificate chain/);
        const ca = spawnSync("openssl", ["req", "-x509", "-key", path.join(dir, "good.key"), "-days", "30", "-subj", "/CN=Some CA", "-addext", "basicConstraints=critical,CA:TRUE"], { encoding: "utf8" }).stdout;
        assert.match(problemAbout({ httpsCertificate: `${ca}${good.certificate}`, httpsPrivateKey: good.key }, "httpsCertificate"), /starts with a CA certificate/);
        // openssl cannot issue an expired certificate directly: judged at a later date instead.
        assert.match(siteCertificateProblem(good.certificate, new Date(Date.now() + 40 * 86_400_000)) ?? "", /^expired on /);
        // A ten-year site certificate: as long as the key lives, a leak stays usable.
        const decade = issue("decade", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"], 3650);
        assert.match(problemAbout(pair(decade, decade), "httpsCertificate"), /is valid 3650 days \(at most 825\)/);
        const year = issue("year", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"], 397);
        assert.doesNotThrow(() => validateConfig(withChanges(pair(year, year))));
    });

    it("refuses an SSH deploy key that its .pub line would fail: RSA below 3072 bits", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "elabftw-ssh-weak-"));
        assert.equal(spawnSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", path.join(dir, "id")]).status, 0);
        assert.match(problemAbout({ sshPrivateKey: readFileSync(path.join(dir, "id"), "utf8") }, "sshPrivateKey"), /"\[secret\]": holds an RSA key of 1024 bits/);
    });

    it("never prints the value of a secret key", () => {
        try {
            validateConfig(withChanges({ sshPrivateKey: "not a key but still private" }));
            assert.fail("accepted a malformed private key");
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            assert.match(error.message, /sshPrivateKey = "\[secret\]"/);
            assert.doesNotMatch(error.message, /still private/);
        }
    });

    it("lists every problem at once, skipping only cross-key checks that read an invalid key", () => {
        try {
            validateConfig(withChanges({ fqdn: "bad_name", webVmId: "2102", labSubnet: "10.20.30.0/25", serverSubnet: "10.20.30.5/24" }));
            assert.fail("accepted a bad config");
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            // labSubnet and the addresses are checked against serverSubnet, which is itself invalid: no noise about them.
            assert.deepEqual(error.problems.map((p) => p.key).sort(), ["dbVmId", "fqdn", "serverSubnet"]);
        }
    });

    describe("instance settings", () => {
        const manualIdp = { samlIdpEntityId: undefined, samlIdpSsoUrl: undefined, samlIdpSloUrl: undefined, samlIdpCertificate: undefined };
        const smtp = { smtpHost: "smtp.lab.example.org", smtpFrom: "elabftw@lab.example.org", extraFlows: JSON.stringify(["allow tcp web -> 10.20.60.25 587 # SMTP relay"]) };

        it("defaults to the secure settings", () => {
            const { settings } = validateConfig(withChanges({ allowedEmailDomains: undefined, loginAnnouncement: undefined, timestampAuthority: undefined })).config;
            assert.equal(settings.localLogin, "sysadmin-only");
            assert.equal(settings.mfa, "admins");
            assert.deepEqual(settings.password, { minLength: 12, complexity: "strong", maxAgeDays: 0 });
            assert.deepEqual([settings.loginAttempts, settings.rememberMeMinutes, settings.rememberMe, settings.auditLogs], [5, 480, false, true]);
            assert.deepEqual([settings.localRegistration, settings.adminsCreateUsers, settings.anonymousUsers], [false, false, false]);
            assert.equal(settings.timestamping.authority, "digicert");
            assert.equal(settings.smtp, undefined);
            assert.equal(settings.saml?.spEntityId, "https://elabftw-test.lab.example.org");
        });

        it("refuses an unknown enumeration value", () => {
            // The allowed values, then the key's own description of them (the project's words, not zod's).
            assert.match(problemAbout({ mfaEnforcement: "nobody" }, "mfaEnforcement"), /"nobody": is not one of the allowed values [a-z, -]*admins[a-z, -]*: /);
            assert.match(problemAbout({ timestampAuthority: "freetsa" }, "timestampAuthority"), /"freetsa": is not one of the allowed values dfn, digicert, [^:]*: /);
            assert.match(problemAbout({ localLogin: "nobody" }, "localLogin"), /is not one of the allowed values sysadmin-only, everyone: /);
            assert.match(problemAbout({ stackKind: "prod" }, "stackKind"), /"prod": is not one of the allowed values test, production \(did you mean production\?\): test \(destroyable/);
        });

        it("names the new key of a renamed setting, and why it was renamed", () => {
            assert.match(problemAbout({ sessionMinutes: "480" }, "sessionMinutes"), /was renamed rememberMeMinutes: it only ever set the remember-me cookie's lifetime/);
            assert.match(problemAbout({ allowedEmailDomain: "cnrs.fr" }, "allowedEmailDomain"), /was renamed allowedEmailDomains: eLabFTW matches the part after @ exactly/);
        });

        it("refuses an HTML entity or a control character in the announcement, and keeps & as eLabFTW stores it", () => {
            for (const text of ["R&amp;D", "&copy 2026", "&#38;", "R&D"]) assert.match(problemAbout({ loginAnnouncement: text }, "loginAnnouncement"), /has & directly before a letter, digit or #/, text);
            assert.match(problemAbout({ loginAnnouncement: "a\tb" }, "loginAnnouncement"), /without < or > or control characters/);
            assert.equal(validateConfig(withChanges({ loginAnnouncement: "Help & support; Q & A" })).config.settings.loginAnnouncement, "Help & support; Q & A");
        });

        it("hides the local form only with SAML and a sysadmin-only local login", () => {
            assert.match(problemAbout({ localLoginHidden: "true", samlEnabled: "false", localLogin: "everyone" }, "localLoginHidden"), /hides the only login form/);
            assert.match(problemAbout({ localLoginHidden: "true", localLogin: "everyone" }, "localLoginHidden"), /set localLogin sysadmin-only/);
            assert.equal(validateConfig(withChanges({ localLoginHidden: "true" })).config.settings.localLoginHidden, true);
        });

        it("gives SAML users team 1 and no team creation by default, and takes the email domains as a list", () => {
            const { settings } = validateConfig(withChanges({ allowedEmailDomains: JSON.stringify(["cnrs.fr", "ibcp.cnrs.fr"]) })).config;
            assert.deepEqual([settings.saml?.teamDefault, settings.saml?.teamCreate], [1, false]);
            assert.deepEqual(settings.allowedEmailDomains, ["cnrs.fr", "ibcp.cnrs.fr"]);
            assert.match(problemAbout({ allowedEmailDomains: JSON.stringify(["@cnrs.fr"]) }, "allowedEmailDomains"), /is not a lowercase domain name \(item 0\)/);
            assert.match(problemAbout({ samlTeamDefault: "-2" }, "samlTeamDefault"), /-2/);
        });

        it("refuses a misspelt settings key, suggesting the right one", () => {
            assert.match(problemAbout({ smtpVerifyCertificate: "true" }, "smtpVerifyCertificate"), /smtpVerifyCert/);
        });

        it("requires the manual identity provider's companions without a metadata URL", () => {
            for (const key of ["samlIdpEntityId", "samlIdpSsoUrl", "samlIdpCertificate"]) {
                assert.match(problemAbout(manualIdp, key), /\(not set\)|undefined: is required with samlEnabled true when samlIdpMetadataUrl is not set/);
            }
            assert.ok(validateConfig(withChanges({ ...manualIdp, samlIdpMetadataUrl: "https://idp.example.org/idp/shibboleth" })).config.settings.saml);
        });

        it("refuses an identity provider's certificate with a weak key (a real one, made by openssl)", () => {
            const dir = mkdtempSync(path.join(tmpdir(), "idp-cert-"));
            try {
                const make = (bits: number) => {
                    execFileSync("openssl", ["req", "-x509", "-newkey", `rsa:${bits}`, "-nodes", "-days", "30", "-subj", "/CN=idp.example.org", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, `c${bits}.pem`)], { stdio: "ignore" });
                    return readFileSync(path.join(dir, `c${bits}.pem`), "utf8");
                };
                const manual = { samlIdpEntityId: "https://idp.example.org/idp", samlIdpSsoUrl: "https://idp.example.org/sso" };
                assert.match(problemAbout({ ...manual, samlIdpCertificate: make(1024) }, "samlIdpCertificate"), /carries an RSA key of 1024 bits/);
                assert.ok(validateConfig(withChanges({ ...manual, samlIdpCertificate: make(2048) })).config.settings.saml);
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        });

        it("refuses an email attribute that is not the directory's institutional mail", () => {
            assert.match(problemAbout({ samlEmailAttribute: "urn:oid:1.3.6.1.4.1.7135.1.2.1.15" }, "samlEmailAttribute"), /is urn:oid:1\.3\.6\.1\.4\.1\.7135\.1\.2\.1\.15, not the directory's institutional mail/);
            assert.ok(validateConfig(withChanges({ samlEmailAttribute: "mail" })).config.settings.saml);
        });

        it("refuses a metadata URL together with the manual keys", () => {
            assert.match(problemAbout({ samlIdpMetadataUrl: "https://idp.example.org/idp/shibboleth" }, "samlIdpEntityId"), /is set together with samlIdpMetadataUrl/);
        });

        it("refuses local login for the sysadmin only when SAML is off", () => {
            assert.match(problemAbout({ samlEnabled: "false" }, "localLogin"), /nobody else could log in/);
            assert.equal(validateConfig(withChanges({ samlEnabled: "false", localLogin: "everyone" })).config.settings.saml, undefined);
        });

        it("requires ts_url with a custom authority, and credentials where the authority wants them", () => {
            assert.match(problemAbout({ timestampAuthority: "custom" }, "timestampUrl"), /is required with timestampAuthority custom/);
            assert.match(problemAbout({ timestampUrl: "https://tsa.example.org/tsr" }, "timestampUrl"), /is only used with timestampAuthority custom \(not dfn\)/);
            assert.match(problemAbout({ timestampAuthority: "universign", timestampLogin: "unit" }, "timestampPassword"), /is required with timestampAuthority universign/);
            assert.match(problemAbout({ timestampPassword: "secret" }, "timestampPassword"), /"\[secret\]": is not used by timestampAuthority dfn/);
        });

        it("requires the sender with a mail relay, and a flow to the relay", () => {
            assert.match(problemAbout({ ...smtp, smtpFrom: undefined }, "smtpFrom"), /is required with smtpHost/);
            assert.match(problemAbout({ ...smtp, extraFlows: undefined }, "smtpHost"), /has no flow from the web VM to the relay on port 587/);
            assert.match(problemAbout({ ...smtp, smtpPassword: "secret" }, "smtpUser"), /is required with smtpPassword/);
            assert.match(problemAbout({ smtpFrom: "elabftw@lab.example.org" }, "smtpFrom"), /smtpHost is not/);
            assert.deepEqual(validateConfig(withChanges(smtp)).config.settings.smtp, { host: "smtp.lab.example.org", port: 587, from: "elabftw@lab.example.org", user: undefined, verifyCert: true });
        });

        it("refuses a non-https identity provider endpoint and a malformed certificate", () => {
            assert.match(problemAbout({ samlIdpSsoUrl: "http://idp.lab.example.org/sso" }, "samlIdpSsoUrl"), /must use https/);
            assert.match(problemAbout({ samlIdpCertificate: "MIIB..." }, "samlIdpCertificate"), /is not a PEM certificate/);
        });
    });

    describe("flow matrix input", () => {
        it("refuses an endpoint in no known network", () => {
            assert.match(problemAbout({ syslogAddress: "192.168.7.5" }, "syslogAddress"), /192\.168\.7\.5, which is in no known network \(serverSubnet or serviceNetworks/);
        });

        it("refuses an extra flow with a port out of range", () => {
            assert.match(problemAbout({ extraFlows: JSON.stringify(["allow tcp adminNetwork -> db 70000"]) }, "extraFlows"), /port out of range: 70000/);
        });

        it("refuses an extra flow naming an unknown endpoint", () => {
            assert.match(problemAbout({ extraFlows: JSON.stringify(["allow tcp monitoring -> web 9100"]) }, "extraFlows"), /unknown endpoint "monitoring"/);
            // A known name the stack does not define (no egressNetworks here).
            assert.match(problemAbout({ extraFlows: JSON.stringify(["allow tcp egressNetworks -> web 443"]) }, "extraFlows"), /names egressNetworks, which this stack does not define/);
        });

        it("refuses an allow from 0.0.0.0/0", () => {
            assert.match(problemAbout({ extraFlows: JSON.stringify(["allow tcp 0.0.0.0/0 -> web 443"]) }, "extraFlows"), /allows from 0\.0\.0\.0\/0, that is from anywhere/);
            assert.match(problemAbout({ egressNetworks: JSON.stringify(["0.0.0.0/0"]) }, "egressNetworks"), /is the whole Internet/);
        });

        it("refuses extra flows that break the matrix's floor: the lab to the filer, users or the edge beyond 443 to the web VM, SSH from outside the admins", () => {
            const about = (flow: string) => problemAbout({ extraFlows: JSON.stringify([flow]) }, "extraFlows");
            assert.match(about("allow tcp labSubnet -> filer 445 # CIFS"), /extra-1 lets the lab .* reach the filer: row 6/);
            assert.match(about("allow tcp vpnClients -> web 8443"), /reach the web VM directly: rows 1-2/);
            assert.match(about("allow tcp edgeFirewall -> web 22"), /the edge firewall reach the web VM beyond 443\/tcp/);
            assert.match(about("allow tcp 10.20.60.30 -> web 22"), /opens SSH to the web VM from 10\.20\.60\.30/);
            assert.match(about("allow tcp vpnClients -> edgeFirewall 80"), /reach the edge firewall beyond 443\/tcp: row 1/);
        });

        it("refuses service networks and services among the users' machines", () => {
            assert.match(problemAbout({ serviceNetworks: JSON.stringify(["10.20.60.0/24", "10.20.40.0/25"]) }, "serviceNetworks"), /10\.20\.40\.0\/25 overlaps labSubnet/);
            assert.match(problemAbout({ ntpServers: JSON.stringify(["10.8.0.9"]), serviceNetworks: JSON.stringify(["10.20.60.0/24", "10.8.0.0/24"]) }, "ntpServers"), /inside vpnClientRange 10\.8\.0\.0\/16/);
            assert.match(problemAbout({ filerAddress: "10.20.30.11" }, "filerAddress"), /10\.20\.30\.11, the database VM \(dbAddress\): a VM of the platform would double as a service host/);
        });

        it("refuses a public syslog address, a backup host on the server network, and fewer than a week of daily archives", () => {
            assert.match(problemAbout({ syslogAddress: "193.54.62.10", serviceNetworks: JSON.stringify(["10.20.60.0/24", "193.54.62.0/24"]) }, "syslogAddress"), /public address 193\.54\.62\.10: every log line.* in clear UDP/);
            assert.match(problemAbout({ backupTarget: "ssh://borg@10.20.30.2:22/./elabftw-demo" }, "backupTarget"), /inside serverSubnet 10\.20\.30\.0\/24 beside the VMs/);
            assert.match(problemAbout({ backupKeepDaily: "3" }, "backupKeepDaily"), /less than a week of daily archives/);
        });

        it("accepts a well-formed extra flow and adds it to the matrix", () => {
            const { config } = validateConfig(withChanges({ extraFlows: JSON.stringify(["allow tcp adminNetwork -> db 33060 # MySQL X protocol for the DBA"]) }));
            const extra = config.flows.flows.find((f) => f.id === "extra-1");
            assert.deepEqual(extra, { id: "extra-1", action: "allow", protocols: ["tcp"], ports: [33060], from: ["adminNetwork"], to: ["db"], description: "MySQL X protocol for the DBA" });
        });

        it("needs a way out for packages: a proxy or egress networks", () => {
            assert.match(problemAbout({ httpProxy: undefined }, "httpProxy"), /nor is egressNetworks/);
        });

        it("needs the backup host as an address", () => {
            assert.match(problemAbout({ backupTarget: "ssh://borg@backup.lab.example.org/./elabftw" }, "backupTarget"), /give its IPv4 address/);
        });

        it("refuses a backup repository on one of the platform's VMs (or the loopback): backups go off the VMs", () => {
            for (const host of [dev.dbAddress, dev.webAddress, "127.0.0.1"]) {
                assert.match(problemAbout({ backupTarget: `ssh://borg@${host}:2222/./elabftw` }, "backupTarget"), /a VM of this platform/);
            }
            assert.match(problemAbout({ backupTarget: "/srv/elabftw/borg-repo", backupHostKey: "" }, "backupTarget"), /under \/srv\/elabftw, each VM's own data disk/);
        });

        it("keeps the in-guest nftables layer on production", () => {
            assert.match(problemAbout({ stackKind: "production", guestFirewall: "false" }, "guestFirewall"), /false on a production stack/);
            assert.doesNotThrow(() => validateConfig(withChanges({ guestFirewall: "false" })));
        });
    });

    describe("cluster placement", () => {
        const twoNodes = { clusterNodes: JSON.stringify(["pve1", "pve2"]) };

        it("refuses both VMs on one node of a multi-node cluster, unless allowed", () => {
            assert.match(problemAbout(twoNodes, "dbNode"), /puts the MySQL VM on pve1, the eLabFTW VM's node, on a cluster of 2 nodes/);
            assert.doesNotThrow(() => validateConfig(withChanges({ ...twoNodes, allowSameNode: "true" })));
            const { config } = validateConfig(withChanges({ ...twoNodes, dbNode: "pve2" }));
            assert.deepEqual([config.vms.web.node, config.vms.db.node], ["pve1", "pve2"]);
        });

        it("refuses a node outside clusterNodes, and VM IDs outside the unit's range", () => {
            assert.match(problemAbout({ ...twoNodes, dbNode: "pve3" }, "dbNode"), /pve3, which is not in clusterNodes \(pve1, pve2\)/);
            assert.match(problemAbout({ vmIdRange: "2100-2101" }, "dbVmId"), /2102: is outside the unit's vmIdRange 2100-2101/);
        });
    });
});
