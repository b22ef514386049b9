// The real TLS proof: the certificates and settings the program deploys, materialised by the TLS
// stand-in, in a real MariaDB server started TLS-only the way the MySQL container is, on the DB
// VM's address inside a network namespace; eLabFTW's own PDO connection (PHP mysqlnd) and the
// operator's mysql client connect to it.
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CapturedResource, ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { MariaDb, startMariaDb } from "./support/mariadb";
import { REPO } from "./support/stackConfig";

const NETNS = `elabtls${process.pid}`;
const dir = mkdtempSync(path.join(tmpdir(), "elabftw-tls-"));
const tlsDir = path.join(dir, "tls");
const PDO_SCRIPT = path.join(REPO, "test", "fixtures", "pdo-connect.php");

let run: ProgramRun;
let server: MariaDb | undefined;
let started = 0;
let deployed: {
    dbHost: string;
    dbAddress: string;
    env: Record<string, string>;
    operator: { ca: string; cert: string; key: string };
};

function must(result: SpawnSyncReturns<string>, what: string): string {
    assert.equal(result.error, undefined, `${what}: ${result.error}`);
    assert.equal(result.status, 0, `${what} failed: ${result.stdout}${result.stderr}`);
    return result.stdout;
}
const sh = (command: string, args: string[], input?: string) => spawnSync(command, args, { input, encoding: "utf8" });
/** Runs a command on the DB VM's network, with the given /etc/hosts, as the eLabFTW container would see it. */
function onDbNetwork(hosts: Record<string, string>, command: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
    const hostsFile = path.join(dir, `hosts-${Object.keys(hosts).join("-") || "none"}`);
    writeFileSync(hostsFile, `127.0.0.1 localhost\n${Object.entries(hosts).map(([name, ip]) => `${ip} ${name}`).join("\n")}\n`);
    const quoted = command.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
    return spawnSync("nsenter", [`--net=/run/netns/${NETNS}`, "unshare", "--mount", "sh", "-c", `mount --bind ${hostsFile} /etc/hosts && exec ${quoted}`], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, ...env },
    });
}
const sql = (statement: string) => server!.sql(statement);
/**
 * eLabFTW's connection. PDO reports any TLS failure as "Cannot connect to MySQL using SSL" (2002)
 * without the reason, so each refusal test changes one thing against the successful login.
 */
function pdo(env: Record<string, string>, hosts: Record<string, string>): { ok: boolean; tls?: string; code?: number | string; message?: string } {
    const result = onDbNetwork(hosts, ["php", "-d", "display_errors=stderr", PDO_SCRIPT], env);
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
}
const envOf = (c: CapturedResource): Record<string, string> => Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

before(async () => {
    started = Date.now();
    run = await runProgram();
    const stdinOf = (suffix: string): string => run.one("command:remote:Command", suffix).inputs.stdin;
    const mysql = run.one("docker:index/container:Container", "-mysql-container");
    const elabftw = run.one("docker:index/container:Container", "-elabftw-container");

    // The MySQL server's files, where its command line expects them (/etc/mysql/tls inside the container).
    mkdirSync(tlsDir);
    const files: Record<string, string> = { "ca.pem": stdinOf("-mysql-tls-ca"), "server-cert.pem": stdinOf("-mysql-tls-cert"), "server-key.pem": stdinOf("-mysql-tls-key") };
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(tlsDir, name), content);
    chmodSync(path.join(tlsDir, "server-key.pem"), 0o400);
    const dbCaPath = path.join(dir, "mysql-ca.pem");
    writeFileSync(dbCaPath, stdinOf("-elabftw-db-ca"));
    deployed = {
        dbHost: envOf(elabftw).DB_HOST,
        dbAddress: mysql.inputs.ports[0].ip,
        env: { ...envOf(elabftw), DB_CERT_PATH: dbCaPath },
        operator: { ca: path.join(dir, "op-ca.pem"), cert: path.join(dir, "op-cert.pem"), key: path.join(dir, "op-key.pem") },
    };
    writeFileSync(deployed.operator.ca, stdinOf("-mysql-operator-ca"));
    writeFileSync(deployed.operator.cert, stdinOf("-mysql-operator-cert"));
    writeFileSync(deployed.operator.key, stdinOf("-mysql-operator-key"), { mode: 0o400 });

    // The DB VM: its address on a network namespace of its own.
    must(sh("ip", ["netns", "add", NETNS]), "ip netns add");
    must(sh("ip", ["-n", NETNS, "link", "set", "lo", "up"]), "lo up");
    must(sh("ip", ["-n", NETNS, "addr", "add", `${deployed.dbAddress}/32`, "dev", "lo"]), "address");

    // mysqld's TLS flags exactly as the container's command gives them, with this directory for /etc/mysql/tls.
    const tlsFlags = (mysql.inputs.command as string[]).slice(1).map((flag) => flag.replace("/etc/mysql/tls", tlsDir));
    server = await startMariaDb(dir, [`--bind-address=${deployed.dbAddress}`, "--port=3306", "--skip-name-resolve", ...tlsFlags], NETNS);
    // What the MySQL image's first start does with MYSQL_DATABASE, MYSQL_USER and MYSQL_PASSWORD_FILE.
    const password = stdinOf("-mysql-user-password");
    sql(`CREATE DATABASE elabftw CHARACTER SET utf8mb4; CREATE USER 'elabftw'@'%' IDENTIFIED BY '${password}'; GRANT ALL ON elabftw.* TO 'elabftw'@'%';`);
    // The operator account the backups will use: no password, the client certificate is the credential.
    sql("CREATE USER 'operator'@'%' REQUIRE SUBJECT '/O=demo/CN=elabftw-operator'; GRANT SELECT ON elabftw.* TO 'operator'@'%';");
});

after(async () => {
    await server?.stop();
    sh("ip", ["netns", "del", NETNS]);
    rmSync(dir, { recursive: true, force: true });
    console.log(`real TLS proof: ${((Date.now() - started) / 1000).toFixed(1)} s including the program run and MariaDB's start`);
});

describe("TLS between eLabFTW and the database, for real (MariaDB + PHP mysqlnd)", () => {
    it("runs the server TLS-only with TLS 1.2 and 1.3 and the program's certificate", () => {
        assert.equal(sql("SELECT @@require_secure_transport, @@tls_version").trim(), "1\tTLSv1.2,TLSv1.3");
        assert.equal(sql("SHOW VARIABLES LIKE 'have_ssl'").trim(), "have_ssl\tYES");
    });

    it("carries DB_HOST itself in the server certificate's SAN (PHP would fall back to the CN otherwise)", () => {
        const san = must(sh("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-in", path.join(tlsDir, "server-cert.pem")]), "openssl x509");
        assert.ok(san.split(/[\s,]+/).includes(`DNS:${deployed.dbHost}`), san);
    });

    it("lets eLabFTW log in, with its DB_CERT_PATH and DB_HOST, over TLS 1.2 or newer", () => {
        const outcome = pdo(deployed.env, { [deployed.dbHost]: deployed.dbAddress });
        assert.equal(outcome.ok, true, JSON.stringify(outcome));
        assert.match(outcome.tls ?? "", /^TLSv1\.[23]$/);
    });

    it("refuses eLabFTW when the host name is not in the certificate (same address, same CA)", () => {
        const wrongName = "wrong-name.lab.example.org";
        const outcome = pdo({ ...deployed.env, DB_HOST: wrongName }, { [wrongName]: deployed.dbAddress });
        assert.equal(outcome.ok, false);
        assert.equal(outcome.code, 2002, JSON.stringify(outcome));
        assert.match(outcome.message ?? "", /Cannot connect to MySQL using SSL/);
    });

    it("refuses the server when DB_CERT_PATH holds another CA (same name, same address)", () => {
        const otherCa = path.join(dir, "other-ca.pem");
        const key = path.join(dir, "other-ca-key.pem");
        must(sh("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", key, "-out", otherCa, "-subj", "/CN=other", "-days", "1"]), "other CA");
        const outcome = pdo({ ...deployed.env, DB_CERT_PATH: otherCa }, { [deployed.dbHost]: deployed.dbAddress });
        assert.equal(outcome.ok, false);
        assert.equal(outcome.code, 2002, JSON.stringify(outcome));
        assert.match(outcome.message ?? "", /Cannot connect to MySQL using SSL/);
    });

    it("refuses a plaintext login (what eLabFTW would do without DB_CERT_PATH)", () => {
        const outcome = pdo({ ...deployed.env, DB_CERT_PATH: "" }, { [deployed.dbHost]: deployed.dbAddress });
        assert.equal(outcome.ok, false);
        // MariaDB answers require_secure_transport with an ordinary access-denied error.
        assert.equal(outcome.code, 1045, JSON.stringify(outcome));
        assert.match(outcome.message ?? "", /Access denied/);
    });

    it("lets the operator in with the client certificate, verifying the server, and not without it", () => {
        const client = (extra: string[]) =>
            onDbNetwork({ [deployed.dbHost]: deployed.dbAddress }, [
                "mariadb", "--no-defaults", `--host=${deployed.dbHost}`, "--port=3306", "--user=operator", "--ssl", `--ssl-ca=${deployed.operator.ca}`,
                "--ssl-verify-server-cert", ...extra, "--batch", "--skip-column-names", "-e", "SELECT CURRENT_USER(); SHOW SESSION STATUS LIKE 'Ssl_version';",
            ]);
        const withCert = client([`--ssl-cert=${deployed.operator.cert}`, `--ssl-key=${deployed.operator.key}`]);
        assert.equal(withCert.status, 0, withCert.stderr);
        assert.match(withCert.stdout, /^operator@%$/m);
        assert.match(withCert.stdout, /Ssl_version\tTLSv1\.[23]/);
        const without = client([]);
        assert.notEqual(without.status, 0);
        assert.match(without.stderr, /Access denied/);
    });
});
