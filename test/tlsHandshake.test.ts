// The real TLS proof: the certificates and settings the program deploys, materialised by the TLS
// stand-in, in a real MariaDB server started TLS-only the way the MySQL container is, on the DB
// VM's address inside a network namespace; eLabFTW's own PDO connection (PHP mysqlnd), from the web
// VM's address in another namespace, and the operator's mysql client connect to it. Then the
// program's accounts script (mysql-accounts.sh) runs for real against it.
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CapturedResource, ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { MariaDb, startMariaDb } from "./support/mariadb";
import { scriptCommand } from "../components/vm/remoteScript";
import { REPO } from "./support/stackConfig";

const NETNS = `elabtls${process.pid}`;
const WEB_NETNS = `elabweb${process.pid}`;
const dir = mkdtempSync(path.join(tmpdir(), "elabftw-tls-"));
const tlsDir = path.join(dir, "tls");
const PDO_SCRIPT = path.join(REPO, "test", "fixtures", "pdo-connect.php");

let run: ProgramRun;
let server: MariaDb | undefined;
let started = 0;
let deployed: {
    dbHost: string;
    dbAddress: string;
    webAddress: string;
    env: Record<string, string>;
    operator: { ca: string; cert: string; key: string };
};

function must(result: SpawnSyncReturns<string>, what: string): string {
    assert.equal(result.error, undefined, `${what}: ${result.error}`);
    assert.equal(result.status, 0, `${what} failed: ${result.stdout}${result.stderr}`);
    return result.stdout;
}
const sh = (command: string, args: string[], input?: string) => spawnSync(command, args, { input, encoding: "utf8" });
/** Runs a command on a VM's network (the web VM's by default), with the given /etc/hosts, as the eLabFTW container would see it. */
function onNetwork(hosts: Record<string, string>, command: string[], env: Record<string, string> = {}, netns = WEB_NETNS): SpawnSyncReturns<string> {
    const hostsFile = path.join(dir, `hosts-${Object.keys(hosts).join("-") || "none"}`);
    writeFileSync(hostsFile, `127.0.0.1 localhost\n${Object.entries(hosts).map(([name, ip]) => `${ip} ${name}`).join("\n")}\n`);
    const quoted = command.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
    return spawnSync("nsenter", [`--net=/run/netns/${netns}`, "unshare", "--mount", "sh", "-c", `mount --bind ${hostsFile} /etc/hosts && exec ${quoted}`], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, ...env },
    });
}
const sql = (statement: string) => server!.sql(statement);
const ROOT_PASSWORD = "root-password-of-the-test-0f3a";
/**
 * eLabFTW's connection. PDO reports any TLS failure as "Cannot connect to MySQL using SSL" (2002)
 * without the reason, so each refusal test changes one thing against the successful login.
 */
function pdo(env: Record<string, string>, hosts: Record<string, string>, netns = WEB_NETNS): { ok: boolean; tls?: string; code?: number | string; message?: string } {
    const result = onNetwork(hosts, ["php", "-d", "display_errors=stderr", PDO_SCRIPT], env, netns);
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
        webAddress: /--web-address (\d+\.\d+\.\d+\.\d+)/.exec(run.one("command:remote:Command", "-mysql-operator-account").inputs.create)![1],
        env: { ...envOf(elabftw), DB_CERT_PATH: dbCaPath },
        operator: { ca: path.join(dir, "op-ca.pem"), cert: path.join(dir, "op-cert.pem"), key: path.join(dir, "op-key.pem") },
    };
    writeFileSync(deployed.operator.ca, stdinOf("-mysql-operator-ca"));
    writeFileSync(deployed.operator.cert, stdinOf("-mysql-operator-cert"));
    writeFileSync(deployed.operator.key, stdinOf("-mysql-operator-key"), { mode: 0o400 });

    // The DB VM and the web VM: each address on a network namespace of its own, linked by a veth pair.
    for (const netns of [NETNS, WEB_NETNS]) {
        must(sh("ip", ["netns", "add", netns]), "ip netns add");
        must(sh("ip", ["-n", netns, "link", "set", "lo", "up"]), "lo up");
    }
    must(sh("ip", ["-n", NETNS, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", WEB_NETNS]), "veth");
    for (const [netns, address] of [[NETNS, deployed.dbAddress], [WEB_NETNS, deployed.webAddress]]) {
        must(sh("ip", ["-n", netns, "addr", "add", `${address}/24`, "dev", "eth0"]), "address");
        must(sh("ip", ["-n", netns, "link", "set", "eth0", "up"]), "eth0 up");
    }

    // mysqld's TLS flags exactly as the container's command gives them, with this directory for /etc/mysql/tls.
    const tlsFlags = (mysql.inputs.command as string[]).slice(1).map((flag) => flag.replace("/etc/mysql/tls", tlsDir));
    server = await startMariaDb(dir, [`--bind-address=${deployed.dbAddress}`, "--port=3306", "--skip-name-resolve", ...tlsFlags], NETNS);
    // What the MySQL image's first start does with MYSQL_DATABASE, MYSQL_USER and MYSQL_PASSWORD_FILE.
    const password = stdinOf("-mysql-user-password");
    sql(`CREATE DATABASE elabftw CHARACTER SET utf8mb4; CREATE USER 'elabftw'@'%' IDENTIFIED BY '${password}'; GRANT ALL ON elabftw.* TO 'elabftw'@'%';`);
    // And what it did with MYSQL_ROOT_HOST at its default (%), before the program set localhost.
    sql(`CREATE USER 'root'@'%' IDENTIFIED BY '${ROOT_PASSWORD}'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;`);
    // The operator account the backups will use: no password, the client certificate is the credential.
    sql("CREATE USER 'operator'@'%' REQUIRE SUBJECT '/O=demo/CN=elabftw-operator'; GRANT SELECT ON elabftw.* TO 'operator'@'%';");
});

after(async () => {
    await server?.stop();
    sh("ip", ["netns", "del", NETNS]);
    sh("ip", ["netns", "del", WEB_NETNS]);
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
            onNetwork({ [deployed.dbHost]: deployed.dbAddress }, [
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

describe("the MySQL accounts, set for real by mysql-accounts.sh (MariaDB)", () => {
    const shim = path.join(dir, "shim");
    const config = (name: string, lines: string[]) => {
        writeFileSync(path.join(dir, name), ["[client]", ...lines, ""].join("\n"));
        return path.join(dir, name);
    };
    /** The script as the program sends it, `docker exec` running the command on the DB VM's network. */
    const accounts = (tcpConfig: string, attempts = "3") => {
        mkdirSync(shim, { recursive: true });
        writeFileSync(path.join(shim, "docker"), `#!/bin/sh\n[ "$1" = exec ] || exit 2\nshift\n[ "$1" = -i ] && shift\nshift\nexec nsenter --net=/run/netns/${NETNS} "$@"\n`, { mode: 0o755 });
        const root = config("root.cnf", ["user=root", `socket=${server!.socket}`, "protocol=socket"]);
        const create = run.one("command:remote:Command", "-mysql-operator-account").inputs.create as string;
        const line = scriptCommand("mysql-accounts.sh", ["--container", "mysql", "--web-address", /--web-address (\d+\.\d+\.\d+\.\d+)/.exec(create)![1], "--tcp-config", tcpConfig, "--root-config", root, "--attempts", attempts, "--retry-delay", "0"]);
        // MariaDB has no SHOW_ROUTINE privilege (MySQL 8.4 does): the rest of the program's SQL runs as sent.
        const operatorSql = (run.one("command:remote:Command", "-mysql-operator-account").inputs.stdin as string).split("\n").filter((l) => !l.includes("SHOW_ROUTINE")).join("\n");
        return spawnSync("/bin/sh", ["-c", line.slice("sudo ".length)], { input: operatorSql, encoding: "utf8", env: { PATH: `${shim}:${process.env.PATH}` } });
    };
    // The healthcheck's file as MariaDB's client spells it (ssl-mode=VERIFY_CA is MySQL's): TCP, the CA, the operator's certificate.
    const tcp = (ca: string, user = "operator") =>
        config(`tcp-${user}-${path.basename(ca)}.cnf`, [`user=${user}`, `host=${deployed.dbAddress}`, "port=3306", "protocol=TCP", "ssl", `ssl-ca=${ca}`, "ssl-verify-server-cert", `ssl-cert=${deployed.operator.cert}`, `ssl-key=${deployed.operator.key}`]);
    const rootOverNetwork = () =>
        onNetwork({}, ["mariadb", "--no-defaults", `--host=${deployed.dbAddress}`, "--user=root", `--password=${ROOT_PASSWORD}`, "--ssl", `--ssl-ca=${deployed.operator.ca}`, "-e", "SELECT 1"]);

    it("lets root in from the network before the step, as MYSQL_ROOT_HOST=% left it (the check can fail)", () => {
        const before = rootOverNetwork();
        assert.equal(before.status, 0, before.stderr);
    });

    it("keeps waiting while the server does not answer over TCP with a certificate of the CA", () => {
        const result = accounts(tcp(path.join(dir, "other-ca.pem")), "2"); // the other CA of the refusal test above
        assert.equal(result.status, 1);
        assert.match(result.stderr, /MySQL did not answer over TCP with TLS after 2 attempts/);
    });

    it("counts the server as up when it answers over TLS but refuses the account (the first boot, before the operator exists)", () => {
        const probe = onNetwork({}, ["mysqladmin", `--defaults-extra-file=${tcp(deployed.operator.ca, "nobody")}`, "ping"], {}, NETNS);
        assert.equal(probe.status, 0, probe.stderr);
    });

    it("limits elabftw to the web VM's address and removes root@'%', keeping root on the socket", () => {
        const result = accounts(tcp(deployed.operator.ca));
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, `mysql-accounts: elabftw@'%' renamed elabftw@'${deployed.webAddress}'\nmysql-accounts: root@'%' removed (root logs in on the socket only)\n`);
        assert.equal(sql("SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User IN ('root', 'elabftw') ORDER BY 1"), `elabftw@${deployed.webAddress}\nroot@localhost\n`);
        assert.equal(pdo(deployed.env, { [deployed.dbHost]: deployed.dbAddress }).ok, true, "eLabFTW from the web VM");
        const fromElsewhere = pdo(deployed.env, { [deployed.dbHost]: deployed.dbAddress }, NETNS);
        assert.equal(fromElsewhere.ok, false, "eLabFTW's account from another address");
        const root = rootOverNetwork();
        assert.notEqual(root.status, 0);
        assert.match(root.stderr, /Access denied|is not allowed to connect/);
    });

    it("changes nothing on a second run", () => {
        const again = accounts(tcp(deployed.operator.ca));
        assert.equal(again.status, 0, again.stderr);
        assert.equal(again.stdout, "");
    });
});
