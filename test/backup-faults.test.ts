// Backups that cannot lie, tried with faults on real MariaDB and Borg: two runs in the same second,
// a dump cut short whose cleanup fails, a truncated archive at restore, a drill facing a garbled
// BLOB and missing schema objects, and every failure reaching syslog.
// Stand-ins on PATH, each for what cannot be provoked for real here: `logger` records its argv
// (util-linux logger writing to the journal, absent here); `date` returns one fixed second (the
// daily timer and the drill's dump starting in the same second); `borg` passes everything to the
// real Borg except `delete`, which fails as it would if the backup host dropped the connection.
import { spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SCRIPTS_DIR } from "../components/vm/remoteScript";
import { MariaDb, startMariaDb } from "./support/mariadb";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-backup-faults-"));
const clientConfig = path.join(dir, "client.cnf");
const envFile = path.join(dir, "borg.env");
const repo = path.join(dir, "repo");
const syslog = path.join(dir, "syslog");
const shims = { logger: path.join(dir, "shim-logger"), clock: path.join(dir, "shim-clock"), noDelete: path.join(dir, "shim-no-delete") };
const PASSPHRASE = randomBytes(24).toString("hex");
const borgEnv = { BORG_REPO: repo, BORG_BASE_DIR: path.join(dir, "borg-base"), BORG_PASSPHRASE: PASSPHRASE };
const common = ["--env-file", envFile, "--client-config", clientConfig];
const drill = [...common, "--collation", "utf8mb4_unicode_ci"];
let db: MariaDb;

const pathWith = (...extra: string[]) => [shims.logger, ...extra, process.env.PATH].join(":");
function run(script: string, args: string[], extraPath: string[] = []): SpawnSyncReturns<string> {
    return spawnSync("bash", [path.join(SCRIPTS_DIR, script), ...args], { encoding: "utf8", env: { ...process.env, PATH: pathWith(...extraPath), TMPDIR: dir } });
}
function runAsync(script: string, args: string[], extraPath: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("bash", [path.join(SCRIPTS_DIR, script), ...args], { env: { ...process.env, PATH: pathWith(...extraPath), TMPDIR: dir } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}
const ok = (r: SpawnSyncReturns<string> | { status: number | null; stdout: string; stderr: string }, what: string) => {
    assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r.stdout;
};
const borg = (...args: string[]) => ok(spawnSync("borg", args, { encoding: "utf8", env: { ...process.env, ...borgEnv } }), `borg ${args.join(" ")}`);
const archives = () => borg("list", "--short").split("\n").filter(Boolean);
const sql = (statement: string, database?: string) => db.sql(statement, database);
const syslogLines = () => readFileSync(syslog, "utf8").split("\n").filter(Boolean);
function shim(folder: string, name: string, body: string) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, name), `#!/bin/bash\n${body}\n`);
    chmodSync(path.join(folder, name), 0o755);
}

before(async () => {
    db = await startMariaDb(dir, ["--skip-networking", "--event-scheduler=OFF"]);
    writeFileSync(clientConfig, `[client]\nsocket=${db.socket}\nuser=root\n`);
    writeFileSync(path.join(dir, "passphrase"), PASSPHRASE, { mode: 0o400 });
    writeFileSync(envFile, `BORG_REPO='${repo}'\nBACKUP_PASSPHRASE_FILE='${path.join(dir, "passphrase")}'\nBORG_BASE_DIR='${borgEnv.BORG_BASE_DIR}'\n`);
    shim(shims.logger, "logger", `printf '%s\\n' "$*" >> ${syslog}`);
    writeFileSync(syslog, "");
    shim(shims.clock, "date", 'echo "2026-11-29T02:30:00Z"');
    shim(shims.noDelete, "borg", 'for a in "$@"; do [ "$a" != delete ] || { echo "Remote: connection closed by the backup host" >&2; exit 2; }; done\nexec /usr/bin/borg "$@"');
    sql("CREATE DATABASE elabftw CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    sql(
        "CREATE TABLE experiments (id INT PRIMARY KEY, title VARCHAR(255), body MEDIUMBLOB);" +
            "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, experiment INT);" +
            "CREATE TRIGGER exp_audit AFTER INSERT ON experiments FOR EACH ROW INSERT INTO audit (experiment) VALUES (NEW.id);" +
            "CREATE VIEW titles AS SELECT id, title FROM experiments;" +
            "CREATE PROCEDURE count_experiments() SELECT COUNT(*) FROM experiments;" +
            "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM audit WHERE id < 0;",
        "elabftw",
    );
    const rows = Array.from({ length: 200 }, (_, i) => `(${i + 1}, 'Expérience ${i + 1} 🧪', UNHEX('${randomBytes(2048).toString("hex")}'))`);
    for (let i = 0; i < rows.length; i += 20) sql(`INSERT INTO experiments VALUES ${rows.slice(i, i + 20).join(",")}`, "elabftw");
    ok(run("elabftw-backup.sh", ["init", "--env-file", envFile]), "init");
});

after(async () => {
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
});

describe("backups under faults, for real", () => {
    it("gives two runs started in the same second two archives, each one there and whole", async () => {
        const before = archives().length;
        const [first, second] = await Promise.all([1, 2].map(() => runAsync("elabftw-backup.sh", ["db", ...common], [shims.clock])));
        const saved = [first, second].map((r) => /saved as (db-\S+)/.exec(ok(r, "db backup"))![1]);
        assert.ok(saved.every((name) => name.startsWith("db-2026-11-29T02:30:00Z-")), `one second for both: ${saved.join(", ")}`);
        assert.notEqual(saved[0], saved[1]);
        const now = archives();
        assert.equal(now.length, before + 2);
        for (const name of saved) {
            assert.ok(now.includes(name), `${name} was reported saved and is in the repository`);
            const dump = spawnSync("borg", ["extract", "--stdout", `::${name}`], { encoding: "utf8", env: { ...process.env, ...borgEnv }, maxBuffer: 64 << 20 });
            assert.match(dump.stdout.trimEnd().split("\n").pop()!, /^-- Dump completed/, name);
        }
    });

    it("names the archive a failed cleanup left behind, and restore refuses that truncated dump", () => {
        // mysqldump cut short: its output stops half-way and it exits 1.
        shim(path.join(dir, "cut"), "cut-dump", '"$@" | head -c 20000; exit 1');
        const failed = run("elabftw-backup.sh", ["db", ...common, "--mysql-exec", path.join(dir, "cut", "cut-dump")], [shims.noDelete]);
        assert.equal(failed.status, 1);
        const left = /archive (db-\S+) is left in \S+ and is NOT a valid backup; delete it \(borg delete ::db-\S+\)/.exec(failed.stderr);
        assert.ok(left, failed.stderr);
        assert.doesNotMatch(failed.stdout + failed.stderr, /nothing was kept|saved as/);
        assert.ok(archives().includes(left[1]), "the named archive is the one left in the repository");
        assert.ok(syslogLines().some((l) => l.startsWith("-t elabftw-backup -p user.err -- FAILED (exit 1): database backup failed AND the cleanup failed")), syslogLines().join("\n"));

        // It is now the newest archive: a restore of "latest" must refuse it before touching anything.
        const restore = run("elabftw-restore.sh", ["db", ...common, "--database", "restored", "--collation", "utf8mb4_unicode_ci"]);
        assert.equal(restore.status, 1);
        assert.match(restore.stderr, new RegExp(`restoring ${left[1]}[\\s\\S]*archive ${left[1]} does not end with mysqldump's '-- Dump completed' line: the dump was cut short; refusing to load it`));
        assert.equal(sql("SHOW DATABASES LIKE 'restored'").trim(), "", "nothing was created");
        // The drill refuses it too, and says so in syslog.
        writeFileSync(syslog, "");
        const drilled = run("elabftw-restore-drill.sh", ["run", ...drill]);
        assert.equal(drilled.status, 1);
        assert.ok(syslogLines().some((l) => /^-t elabftw-restore-drill -p user\.err -- FAILED \(exit 1\): restore drill FAILED: the newest archive could not be restored/.test(l)), syslogLines().join("\n"));
        // Once it is deleted, the previous archive restores.
        borg("delete", `::${left[1]}`);
        ok(run("elabftw-restore.sh", ["db", ...common, "--database", "restored", "--collation", "utf8mb4_unicode_ci"]), "restore of the previous archive");
        assert.equal(sql("SELECT COUNT(*) FROM experiments", "restored").trim(), "200");
        sql("DROP DATABASE restored");
    });

    it("deletes only its own archive when a dump fails and the cleanup works", () => {
        const before = archives();
        const failed = run("elabftw-backup.sh", ["db", ...common, "--mysql-exec", path.join(dir, "cut", "cut-dump")]);
        assert.equal(failed.status, 1);
        assert.match(failed.stderr, /database backup failed: its archive db-\S+ was deleted, nothing was kept/);
        assert.deepEqual(archives(), before);
    });

    it("passes the drill on a faithful archive", () => {
        writeFileSync(syslog, "");
        assert.match(ok(run("elabftw-restore-drill.sh", ["run", ...drill]), "drill"), /restore drill OK: 2 tables with identical checksums; views, triggers, routines and events identical/);
        assert.deepEqual(syslogLines().filter((l) => l.includes("user.err")), []);
    });

    it("fails the drill on a garbled BLOB with the same row count, and on a missing trigger, view, routine and event", () => {
        // The archive lacks the schema objects; the live database then gets them back, and one BLOB byte changes.
        const objects = "DROP TRIGGER exp_audit; DROP VIEW titles; DROP PROCEDURE count_experiments; DROP EVENT nightly;";
        sql(objects, "elabftw");
        ok(run("elabftw-backup.sh", ["db", ...common]), "backup");
        sql(
            "CREATE TRIGGER exp_audit AFTER INSERT ON experiments FOR EACH ROW INSERT INTO audit (experiment) VALUES (NEW.id);" +
                "CREATE VIEW titles AS SELECT id, title FROM experiments;" +
                "CREATE PROCEDURE count_experiments() SELECT COUNT(*) FROM experiments;" +
                "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM audit WHERE id < 0;" +
                "UPDATE experiments SET body = CONCAT(LEFT(body, 1000), CHAR(ASCII(SUBSTRING(body, 1001, 1)) ^ 1), SUBSTRING(body, 1002)) WHERE id = 77;",
            "elabftw",
        );
        writeFileSync(syslog, "");
        const result = run("elabftw-restore-drill.sh", ["run", ...drill]);
        assert.equal(result.status, 1, result.stdout);
        for (const expected of [
            /MISMATCH experiments: CHECKSUM TABLE live \d+, restored \d+ \(rows live 200, restored 200\)/,
            /MISMATCH triggers: exp_audit AFTER INSERT ON experiments is in the live database but not in the restored copy/,
            /MISMATCH views: titles is in the live database/,
            /MISMATCH routines: PROCEDURE count_experiments is in the live database/,
            /MISMATCH events: nightly is in the live database/,
            /restore drill FAILED: 5 differences/,
        ]) {
            assert.match(result.stdout, expected);
            assert.ok(syslogLines().some((l) => l.startsWith("-t elabftw-restore-drill -p user.err -- ") && expected.test(l)), `${expected} in syslog`);
        }
        assert.doesNotMatch(result.stdout, /MISMATCH audit/, "an untouched table matches");
        assert.equal(sql("SHOW DATABASES LIKE 'elabftw_restore_drill'").trim(), "", "the scratch database is dropped after a failure too");
    });

    it("reports to syslog a drill that cannot open the repository", () => {
        writeFileSync(path.join(dir, "wrong"), "not-the-passphrase");
        const wrongEnv = path.join(dir, "wrong.env");
        writeFileSync(wrongEnv, readFileSync(envFile, "utf8").replace(path.join(dir, "passphrase"), path.join(dir, "wrong")));
        writeFileSync(syslog, "");
        const result = run("elabftw-restore-drill.sh", ["run", "--env-file", wrongEnv, "--client-config", clientConfig]);
        assert.equal(result.status, 1);
        assert.ok(syslogLines().some((l) => l.startsWith("-t elabftw-restore-drill -p user.err -- FAILED (exit 1)")), syslogLines().join("\n"));
    });

    it("re-keys, once, a repository still opened by the former shared passphrase, and forgets that passphrase", () => {
        const shared = path.join(dir, "rekey", "passphrase");
        const own = path.join(dir, "rekey", "db", "passphrase");
        mkdirSync(path.dirname(own), { recursive: true });
        writeFileSync(shared, "the-former-shared-passphrase");
        writeFileSync(own, "this-repository-s-own-passphrase");
        const rekeyRepo = path.join(dir, "rekey", "repo");
        const base = path.join(dir, "rekey", "base");
        const open = (passphrase: string) => spawnSync("borg", ["list", rekeyRepo], { encoding: "utf8", env: { ...process.env, BORG_BASE_DIR: base, BORG_PASSPHRASE: passphrase } }).status;
        ok(spawnSync("borg", ["init", "--encryption=repokey-blake2", rekeyRepo], { encoding: "utf8", env: { ...process.env, BORG_BASE_DIR: base, BORG_PASSPHRASE: "the-former-shared-passphrase" } }), "init with the shared passphrase");
        const env = path.join(dir, "rekey", "borg.env");
        writeFileSync(env, `BORG_REPO='${rekeyRepo}'\nBACKUP_PASSPHRASE_FILE='${own}'\nBACKUP_PREVIOUS_PASSPHRASE_FILE='${shared}'\nBORG_BASE_DIR='${base}'\n`);
        assert.match(ok(run("elabftw-backup.sh", ["init", "--env-file", env]), "init re-keys"), /re-keyed: it now opens with its own passphrase only/);
        assert.equal(open("this-repository-s-own-passphrase"), 0);
        assert.notEqual(open("the-former-shared-passphrase"), 0, "the former passphrase no longer opens it");
        assert.equal(existsSync(shared), false, "the former passphrase is gone from the VM");
        assert.match(ok(run("elabftw-backup.sh", ["init", "--env-file", env]), "init again"), /exists; keeping it/);
    });
});
