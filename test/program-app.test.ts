// The application layer of the real program under mocks (Pulumi.dev.yaml): the private CA, the
// generated secrets, the eLabFTW container, the files it reads, the database lifecycle (MySQL:
// program-mysql.test.ts).
// Certificates come from the TLS stand-in, so their contents are checked with openssl.
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CapturedResource, ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { env, installed } from "./support/graph";

const COMMAND = "command:remote:Command";
const CONTAINER = "docker:index/container:Container";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const HOURS_PER_DAY = 24;

let run: ProgramRun;
before(async () => {
    run = await runProgram();
});

const container = (role: "mysql" | "elabftw") => run.one(CONTAINER, `-${role}-container`);
const fileCommand = (nameSuffix: string) => run.one(COMMAND, nameSuffix);
const passwordOf = (nameSuffix: string) => run.passwordOf(nameSuffix);
function x509(pem: string, ...args: string[]): string {
    const result = spawnSync("openssl", ["x509", "-noout", ...args], { input: pem, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
}

describe("private CA", () => {
    it("makes an ECDSA P-384 CA valid caValidityDays, renewing 4 x certRenewBeforeDays early", () => {
        assert.deepEqual(run.one("tls:index/privateKey:PrivateKey", "-ca-key").inputs, { algorithm: "ECDSA", ecdsaCurve: "P384" });
        const ca = run.one("tls:index/selfSignedCert:SelfSignedCert", "-pki-ca").inputs;
        assert.equal(ca.isCaCertificate, true);
        assert.equal(ca.validityPeriodHours, 3650 * HOURS_PER_DAY);
        assert.equal(ca.earlyRenewalHours, 4 * 30 * HOURS_PER_DAY);
        assert.deepEqual(ca.allowedUses, ["cert_signing", "crl_signing", "digital_signature"]);
    });

    it("issues leaves of at most 825 days that renew certRenewBeforeDays before expiry", () => {
        for (const leaf of run.ofType("tls:index/locallySignedCert:LocallySignedCert")) {
            assert.equal(leaf.inputs.validityPeriodHours, 365 * HOURS_PER_DAY);
            assert.ok(leaf.inputs.validityPeriodHours <= 825 * HOURS_PER_DAY);
            assert.equal(leaf.inputs.earlyRenewalHours, 30 * HOURS_PER_DAY);
        }
        assert.deepEqual(run.one("tls:index/locallySignedCert:LocallySignedCert", "-mysql-server").inputs.allowedUses, ["digital_signature", "server_auth"]);
        assert.deepEqual(run.one("tls:index/locallySignedCert:LocallySignedCert", "-operator-client").inputs.allowedUses, ["digital_signature", "client_auth"]);
    });

    it("puts exactly the DB_HOST eLabFTW uses, and the DB VM's address, in the MySQL certificate's SANs", () => {
        const dbHost = env(container("elabftw")).DB_HOST;
        assert.equal(dbHost, "demo-elabftw-db.lab.example.org");
        const csr = run.one("tls:index/certRequest:CertRequest", "-mysql-server-csr").inputs;
        assert.equal(csr.dnsNames[0], dbHost);
        assert.deepEqual(csr.ipAddresses, ["10.20.30.11"]);
        assert.equal(csr.subject.commonName, dbHost);
        // And in the certificate actually installed on the DB VM.
        const cert = fileCommand("-mysql-tls-cert").inputs.stdin;
        const san = x509(cert, "-ext", "subjectAltName");
        assert.match(san, new RegExp(`DNS:${dbHost.replace(/\./g, "\\.")}(,|$)`, "m"));
        assert.match(san, /IP Address:10\.20\.30\.11/);
        assert.match(x509(cert, "-ext", "extendedKeyUsage"), /TLS Web Server Authentication/);
    });

    it("gives the site a chain (leaf, then the CA) for its FQDN", () => {
        const chain: string = fileCommand("-elabftw-https-chain").inputs.stdin;
        assert.equal(chain.match(/BEGIN CERTIFICATE/g)?.length, 2);
        assert.match(x509(chain, "-ext", "subjectAltName"), /DNS:elabftw-test\.lab\.example\.org/);
        const caPem: string = run.one("tls:index/locallySignedCert:LocallySignedCert", "-https").inputs.caCertPem;
        assert.equal(chain.slice(chain.lastIndexOf("-----BEGIN CERTIFICATE-----")).trim(), caPem.trim(), "the chain ends with the CA");
    });
});

describe("generated secrets", () => {
    it("makes alphanumeric database passwords and a strong sysadmin password", () => {
        for (const role of ["db-root-password", "db-user-password"]) {
            const p = run.one(PASSWORD, `-${role}`).inputs;
            assert.equal(p.special, false, "eLabFTW's entrypoint substitutes it with sed");
            assert.ok(p.length >= 32);
        }
        const admin = run.one(PASSWORD, "-sysadmin-password").inputs;
        assert.ok(admin.length >= 24);
        for (const min of ["minUpper", "minLower", "minNumeric", "minSpecial"]) assert.ok(admin[min] >= 1, min);
        // SECRET_KEY from 64 hex digits (32 bytes): a RandomPassword, whose id is not its value.
        assert.deepEqual(run.one(PASSWORD, "-secret-key-hex").inputs, { length: 64, upper: false, lower: false, numeric: true, special: true, overrideSpecial: "abcdef" });
        assert.equal(run.ofType("random:index/randomBytes:RandomBytes").length, 0, "RandomBytes keeps its value in plaintext as its id");
    });

    it("exports every generated secret only as a secret", async () => {
        const pulumi = await import("@pulumi/pulumi");
        for (const name of ["sysadminPassword", "elabftwSecretKey", "dbRootPassword", "operatorClientKey", "luksRecoveryPassphrases"]) {
            assert.equal(await pulumi.isSecret(run.outputs[name] as any), true, name);
        }
        assert.equal(await pulumi.isSecret(run.outputs.caCertificate as any), false, "the CA certificate is public");
    });
});

describe("eLabFTW container", () => {
    it("runs the pinned elabimg with the official environment", () => {
        assert.equal(run.one("docker:index/remoteImage:RemoteImage", "-elabftw-image").inputs.name, "elabftw/elabimg:5.6.12");
        const variables = env(container("elabftw"));
        assert.deepEqual(
            { ...variables, DB_PASSWORD: "<checked below>", SECRET_KEY: "<checked below>" },
            {
                AUTO_DB_INIT: "false",
                AUTO_DB_UPDATE: "false",
                DB_CERT_PATH: "/etc/elabftw/mysql-ca.pem",
                DB_HOST: "demo-elabftw-db.lab.example.org",
                DB_NAME: "elabftw",
                DB_PASSWORD: "<checked below>",
                DB_PORT: "3306",
                DB_USER: "elabftw",
                DISABLE_HTTPS: "false",
                ENABLE_LETSENCRYPT: "true",
                PHP_TIMEZONE: "Europe/Paris",
                SECRET_KEY: "<checked below>",
                SERVER_NAME: "elabftw-test.lab.example.org",
                SET_REAL_IP: "true",
                SET_REAL_IP_FROM: "10.20.1.10",
                SITE_URL: "https://elabftw-test.lab.example.org",
                TZ: "Europe/Paris",
            },
        );
        // The two generated secrets first (a preview knows every entry after them), the rest sorted.
        const envs: string[] = container("elabftw").inputs.envs;
        assert.deepEqual(envs.slice(0, 2).map((e) => e.split("=")[0]), ["DB_PASSWORD", "SECRET_KEY"]);
        assert.deepEqual(envs.slice(2), [...envs.slice(2)].sort(), "sorted: the same inputs on every run");
    });

    it("gets the eLabFTW user's password and a defuse SECRET_KEY, and no other secret", () => {
        const variables = env(container("elabftw"));
        assert.equal(variables.DB_PASSWORD, passwordOf("db-user-password"));
        assert.match(variables.SECRET_KEY, /^def00000[0-9a-f]{128}$/);
        assert.ok(run.generatedSecrets.includes(variables.SECRET_KEY));
        assert.ok(container("elabftw").secretInputs.includes("envs"));
        const others = run.generatedSecrets.filter((s) => s !== variables.DB_PASSWORD && s !== variables.SECRET_KEY && !/^[0-9a-f]{64}$/.test(s));
        const text = JSON.stringify(container("elabftw").inputs);
        for (const secret of others) assert.ok(!text.includes(secret), "another generated secret is in the eLabFTW container's inputs");
    });

    it("trusts the private CA for MySQL through DB_CERT_PATH, and resolves DB_HOST to the DB VM", () => {
        const c = container("elabftw").inputs;
        assert.deepEqual(c.mounts.find((m: any) => m.target === "/etc/elabftw/mysql-ca.pem"), {
            readOnly: true,
            source: "/srv/elabftw/elabftw/tls/mysql-ca.pem",
            target: "/etc/elabftw/mysql-ca.pem",
            type: "bind",
        });
        assert.equal(fileCommand("-elabftw-db-ca").inputs.stdin, run.one("tls:index/locallySignedCert:LocallySignedCert", "-mysql-server").inputs.caCertPem);
        assert.deepEqual(c.hosts, [{ host: "demo-elabftw-db.lab.example.org", ip: "10.20.30.11" }]);
    });

    it("serves HTTPS with the mounted certificate, keeps uploads on the encrypted disk, and publishes 443 privately", () => {
        const c = container("elabftw");
        assert.deepEqual(installed(fileCommand("-elabftw-https-chain")).path, "/srv/elabftw/elabftw/ssl/live/elabftw-test.lab.example.org/fullchain.pem");
        assert.deepEqual(installed(fileCommand("-elabftw-https-key")), { path: "/srv/elabftw/elabftw/ssl/live/elabftw-test.lab.example.org/privkey.pem", owner: "0:101", mode: "0440" });
        assert.deepEqual(c.inputs.mounts.find((m: any) => m.target === "/ssl"), { readOnly: true, source: "/srv/elabftw/elabftw/ssl", target: "/ssl", type: "bind" });
        assert.deepEqual(c.inputs.mounts.find((m: any) => m.target === "/elabftw/uploads"), { source: "/srv/elabftw/elabftw/uploads", target: "/elabftw/uploads", type: "bind" });
        assert.match(run.one(COMMAND, "-elabftw-uploads").inputs.create, /^sudo install -d -o 101 -g 101 -m 0750 \/srv\/elabftw\/elabftw\/uploads$/);
        assert.deepEqual(c.inputs.ports, [{ external: 443, internal: 443, ip: "10.20.30.10", protocol: "tcp" }]);
    });

    it("has the official hardening: all capabilities dropped but five, no-new-privileges, restart always", () => {
        const c = container("elabftw");
        assert.deepEqual(c.inputs.capabilities, { adds: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"], drops: ["ALL"] });
        assert.deepEqual(c.inputs.securityOpts, ["no-new-privileges:true"]);
        assert.equal(c.inputs.restart, "always");
        assert.equal(c.inputs.logDriver, "journald");
        assert.equal(run.one("pulumi:providers:docker", "-web-docker").inputs.host, "ssh://elabadmin@10.20.30.10");
    });

    it("does not wait for the DB VM: only the database lifecycle does", () => {
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        const isDbSide = (r: CapturedResource) => r.name === "elabftw-db" || (r.name.startsWith("elabftw-db-") && !r.name.startsWith("elabftw-db-lifecycle")) || r.name.startsWith("elabftw-mysql-");
        const webSide = run.resources.filter((r) => r.name.startsWith("elabftw-web") || r.name.startsWith("elabftw-elabftw-"));
        assert.ok(webSide.length > 10);
        for (const start of webSide) {
            const seen = new Set<string>();
            const queue = [...start.dependencies];
            while (queue.length > 0) {
                const urn = queue.pop()!;
                if (seen.has(urn)) continue;
                seen.add(urn);
                const dependency = byUrn.get(urn);
                assert.ok(dependency && !isDbSide(dependency), `${start.name} waits (transitively) for ${dependency?.name ?? urn}`);
                queue.push(...dependency.dependencies);
            }
        }
    });
});

describe("database lifecycle", () => {
    const lifecycle = (step: string) => run.one(COMMAND, `-db-lifecycle-${step}`);

    it("installs once MySQL is healthy, with the sysadmin's password through stdin only", () => {
        const install = lifecycle("install");
        assert.ok(install.dependencies.includes(container("mysql").urn));
        assert.ok(install.dependencies.includes(container("elabftw").urn));
        assert.match(install.inputs.create, /elabftw-db-install\.sh --container elabftw --email elabftw-admin@lab\.example\.org --firstname eLabFTW --lastname Sysadmin --key-file \/srv\/elabftw\/elabftw\/secrets\/sysadmin-api-key$/);
        assert.equal(install.inputs.stdin, passwordOf("sysadmin-password"));
        assert.ok(install.secretInputs.includes("stdin"));
        assert.ok(!install.inputs.create.includes(passwordOf("sysadmin-password")));
        for (const output of ["stdout", "stderr"]) {
            assert.ok(install.additionalSecretOutputs.includes(output), `db:install's ${output} is not a secret output`);
        }
    });

    it("never resets the database", () => {
        for (const c of run.ofType(COMMAND)) {
            assert.doesNotMatch(c.inputs.create, /db:install[^\n]*\s-r\b|--reset|DROP (DATABASE|TABLE)/i, c.name);
        }
    });

    it("migrates after install and on every version change, then waits for the HTTPS healthcheck", () => {
        const update = lifecycle("update");
        assert.deepEqual(update.inputs.triggers, ["5.6.12"]);
        assert.ok(update.dependencies.includes(lifecycle("install").urn));
        assert.ok(!JSON.stringify(lifecycle("install").inputs).includes("5.6.12"), "the install step does not depend on the version");
        const healthy = lifecycle("https-healthcheck");
        assert.ok(healthy.dependencies.includes(update.urn));
        assert.match(healthy.inputs.create, /wait-https\.sh --name elabftw-test\.lab\.example\.org --address 10\.20\.30\.10 --cacert \/srv\/elabftw\/elabftw\/tls\/site-ca\.pem$/);
    });
});
