// The MySQL container of the real program under mocks (Pulumi.dev.yaml): image, TLS, password files,
// data and port, hardening, healthcheck, and the accounts step.
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { before, describe, it } from "node:test";
import { MOCK_IMAGE_ID, ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { env, installed } from "./support/graph";

const COMMAND = "command:remote:Command";
const CONTAINER = "docker:index/container:Container";

let run: ProgramRun;
before(async () => {
    run = await runProgram();
});

const container = (role: "mysql") => run.one(CONTAINER, `-${role}-container`);
const fileCommand = (nameSuffix: string) => run.one(COMMAND, nameSuffix);
const passwordOf = (nameSuffix: string) => run.passwordOf(nameSuffix);

describe("MySQL container", () => {
    it("runs the pinned 8.4 image over the Docker host of the DB VM, reached by SSH", () => {
        const image = run.one("docker:index/remoteImage:RemoteImage", "-mysql-image");
        assert.equal(image.inputs.name, "mysql:8.4.8");
        assert.equal(container("mysql").inputs.image, MOCK_IMAGE_ID("mysql:8.4.8"), "the container runs the pulled image, by id");
        const provider = run.one("pulumi:providers:docker", "-db-docker");
        assert.equal(provider.inputs.host, "ssh://elabadmin@10.20.30.11");
        assert.ok(image.dependencies.includes(run.one(COMMAND, "-db-data-mount").urn), "images land on the encrypted disk");
    });

    it("is TLS-only with TLS 1.2/1.3 and the private CA's files", () => {
        const c = container("mysql").inputs;
        assert.deepEqual(c.command, [
            "mysqld",
            "--require-secure-transport=ON",
            "--tls-version=TLSv1.2,TLSv1.3",
            "--ssl-ca=/etc/mysql/tls/ca.pem",
            "--ssl-cert=/etc/mysql/tls/server-cert.pem",
            "--ssl-key=/etc/mysql/tls/server-key.pem",
        ]);
        assert.ok(!c.command.some((arg: string) => arg.includes("default_authentication_plugin") || arg.includes("native_password")));
        assert.deepEqual(
            c.mounts.find((m: any) => m.target === "/etc/mysql/tls"),
            { readOnly: true, source: "/srv/elabftw/mysql/tls", target: "/etc/mysql/tls", type: "bind" },
        );
    });

    it("reads its passwords from files, never from plain variables", () => {
        const variables = env(container("mysql"));
        assert.equal(variables.MYSQL_ROOT_PASSWORD_FILE, "/run/secrets/mysql/root-password");
        assert.equal(variables.MYSQL_PASSWORD_FILE, "/run/secrets/mysql/elabftw-password");
        assert.equal(variables.MYSQL_USER, "elabftw");
        assert.equal(variables.MYSQL_ROOT_PASSWORD, undefined);
        // The image's default (%) would create root@'%': root over the network.
        assert.equal(variables.MYSQL_ROOT_HOST, "localhost");
        assert.equal(variables.MYSQL_PASSWORD, undefined);
        const text = JSON.stringify(container("mysql").inputs);
        for (const secret of run.generatedSecrets) assert.ok(!text.includes(secret), "a generated secret is in the MySQL container's inputs");
    });

    it("gets its key readable by uid 999 only, and the passwords as root-only-readable files on the encrypted disk", () => {
        assert.deepEqual(installed(fileCommand("-mysql-tls-key")), { path: "/srv/elabftw/mysql/tls/server-key.pem", owner: "999:999", mode: "0400" });
        assert.deepEqual(installed(fileCommand("-mysql-tls-cert")), { path: "/srv/elabftw/mysql/tls/server-cert.pem", owner: "0:0", mode: "0444" });
        assert.deepEqual(installed(fileCommand("-mysql-root-password")), { path: "/srv/elabftw/mysql/secrets/root-password", owner: "999:999", mode: "0400" });
        for (const suffix of ["-mysql-tls-key", "-mysql-root-password", "-mysql-user-password", "-mysql-root-cnf", "-mysql-operator-key"]) {
            assert.ok(fileCommand(suffix).secretInputs.includes("stdin"), `${suffix} content is not secret`);
        }
        assert.equal(fileCommand("-mysql-root-password").inputs.stdin, passwordOf("db-root-password"));
        assert.equal(fileCommand("-mysql-user-password").inputs.stdin, passwordOf("db-user-password"));
        // The key the TLS stand-in generated: it parses as an EC key.
        assert.equal(createPrivateKey(fileCommand("-mysql-tls-key").inputs.stdin).asymmetricKeyType, "ec");
        // Keys, passwords and passphrases only ever land on the encrypted disk (scripts and units may go to the OS disk).
        const secretFiles = run.ofType(COMMAND).filter((c) => c.inputs.create.includes("install-file.sh") && c.secretInputs.includes("stdin"));
        assert.ok(secretFiles.length >= 10);
        for (const file of secretFiles) assert.ok(installed(file).path.startsWith("/srv/elabftw/"), `${file.name} writes a secret outside the encrypted disk`);
    });

    it("keeps its data on the encrypted disk and publishes 3306 on the DB VM's private address only", () => {
        const c = container("mysql").inputs;
        assert.deepEqual(c.mounts.find((m: any) => m.target === "/var/lib/mysql"), { source: "/srv/elabftw/mysql/data", target: "/var/lib/mysql", type: "bind" });
        assert.deepEqual(c.ports, [{ external: 3306, internal: 3306, ip: "10.20.30.11", protocol: "tcp" }]);
    });

    it("sets its accounts once the real server answers over TCP with TLS: operator, elabftw from the web VM only, no root@'%'", () => {
        const accounts = run.one(COMMAND, "-mysql-operator-account");
        assert.match(accounts.inputs.create, /mysql-accounts\.sh --container mysql --web-address 10\.20\.30\.10 --tcp-config \/run\/secrets\/mysql\/healthcheck\.cnf --root-config \/run\/secrets\/mysql\/root\.cnf$/);
        assert.ok(accounts.dependencies.includes(container("mysql").urn));
    });

    it("has the official example's capability changes, no-new-privileges, a healthcheck, restart always and journald logs", () => {
        const c = container("mysql");
        assert.deepEqual(c.inputs.capabilities, { adds: ["SYS_NICE"], drops: ["AUDIT_WRITE", "MKNOD", "NET_RAW", "SETFCAP", "SYS_CHROOT"] });
        assert.deepEqual(c.inputs.securityOpts, ["no-new-privileges:true"]);
        // Over TCP with TLS verified against the CA, as the operator by certificate: no password anywhere.
        assert.deepEqual(c.inputs.healthcheck.tests, ["CMD", "mysqladmin", "--defaults-extra-file=/run/secrets/mysql/healthcheck.cnf", "ping"]);
        const healthcheckConfig = fileCommand("-mysql-healthcheck-cnf").inputs.stdin as string;
        for (const line of ["protocol=TCP", "host=127.0.0.1", "ssl-mode=VERIFY_CA", "ssl-ca=/etc/mysql/operator/ca.pem", "user=operator"]) assert.ok(healthcheckConfig.split("\n").includes(line), line);
        assert.doesNotMatch(healthcheckConfig, /password|socket/);
        assert.equal(c.inputs.restart, "always");
        assert.equal(c.inputs.logDriver, "journald");
        assert.equal(c.inputs.wait, true, "creation waits for the healthcheck");
        assert.equal(c.deleteBeforeReplace, true);
        assert.match(c.inputs.labels[0].value, /^[0-9a-f]{64}$/, "a certificate hash: a rotated certificate recreates the container");
        assert.ok(c.dependencies.includes(fileCommand("-mysql-tls-key").urn));
    });
});
