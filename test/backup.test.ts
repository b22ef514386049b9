// Backups for real: a MariaDB database with data and an uploads folder, backed up by the VM scripts
// into a real Borg repository (repokey-blake2), wiped, restored byte for byte; the restore drill;
// the refusals. MariaDB stands in for MySQL 8.4 (it lacks utf8mb4_0900_ai_ci: the restore gets
// utf8mb4_unicode_ci here), running on a socket in a temporary folder.
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SCRIPTS_DIR } from "../components/vm/remoteScript";
import { MariaDb, startMariaDb } from "./support/mariadb";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-backup-"));
const clientConfig = path.join(dir, "client.cnf");
const envFile = path.join(dir, "borg.env");
const passphraseFile = path.join(dir, "passphrase");
const repo = path.join(dir, "repo");
const uploads = path.join(dir, "elabftw", "uploads");
const scratchTmp = path.join(dir, "tmp");
const PASSPHRASE = randomBytes(24).toString("hex");
const CANARY = `PLAINTEXT-CANARY-${randomBytes(8).toString("hex")}`;

function run(script: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
    return spawnSync("bash", [path.join(SCRIPTS_DIR, script), ...args], { encoding: "utf8", env: { ...process.env, TMPDIR: scratchTmp, ...env } });
}
function ok(result: SpawnSyncReturns<string>, what: string): string {
    assert.equal(result.status, 0, `${what}: ${result.stdout}${result.stderr}`);
    return result.stdout;
}
let db: MariaDb;
const sql = (statement: string, database = "") => db.sql(statement, database || undefined);
const borg = (args: string[], env: Record<string, string> = { BORG_PASSPHRASE: PASSPHRASE }) =>
    spawnSync("borg", args, { encoding: "utf8", env: { ...process.env, BORG_REPO: repo, BORG_BASE_DIR: path.join(dir, "borg-base"), ...env } });
const common = ["--env-file", envFile, "--client-config", clientConfig];

/** Every row of every table, in order, hashed: equal hashes mean the same data. */
function databaseDigest(database: string): string {
    const hash = createHash("sha256");
    for (const table of sql(`SELECT table_name FROM information_schema.tables WHERE table_schema='${database}' ORDER BY table_name`).split("\n").filter(Boolean)) {
        hash.update(table).update(sql(`SELECT * FROM \`${table}\` ORDER BY id`, database));
    }
    return hash.digest("hex");
}
/** Relative path, size, owner and content of every file below a folder. */
function folderDigest(root: string): string {
    const hash = createHash("sha256");
    const walk = (folder: string) => {
        for (const name of readdirSync(folder).sort()) {
            const file = path.join(folder, name);
            const stat = statSync(file);
            hash.update(`${path.relative(root, file)}:${stat.isDirectory() ? "dir" : stat.size}:${stat.uid}:${stat.gid}\n`);
            if (stat.isDirectory()) walk(file);
            else hash.update(readFileSync(file));
        }
    };
    walk(root);
    return hash.digest("hex");
}
/** Files below `root` (outside the database's own folder) that contain `needle`. */
function filesContaining(root: string, needle: string, skip: string): string[] {
    const found: string[] = [];
    const walk = (folder: string) => {
        for (const name of readdirSync(folder)) {
            const file = path.join(folder, name);
            if (file === skip) continue;
            const stat = statSync(file);
            if (stat.isDirectory()) walk(file);
            else if (stat.isFile() && readFileSync(file).includes(needle)) found.push(file);
        }
    };
    walk(root);
    return found;
}

before(async () => {
    mkdirSync(scratchTmp);
    db = await startMariaDb(dir, ["--skip-networking"]);
    writeFileSync(clientConfig, `[client]\nsocket=${db.socket}\nuser=root\n`);
    writeFileSync(passphraseFile, PASSPHRASE, { mode: 0o400 });
    writeFileSync(envFile, `BORG_REPO='${repo}'\nBACKUP_PASSPHRASE_FILE='${passphraseFile}'\nBORG_BASE_DIR='${path.join(dir, "borg-base")}'\n`);

    sql("CREATE DATABASE elabftw CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    sql(
        "CREATE TABLE experiments (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(255), body MEDIUMTEXT, created DATETIME);" +
            "CREATE TABLE uploads (id INT AUTO_INCREMENT PRIMARY KEY, experiment INT, name VARCHAR(255), hash BINARY(32));" +
            "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255), pass VARCHAR(255));" +
            "CREATE TRIGGER exp_title BEFORE INSERT ON experiments FOR EACH ROW SET NEW.title = TRIM(NEW.title);",
        "elabftw",
    );
    const rows: string[] = [];
    for (let i = 1; i <= 500; i++) rows.push(`(' Expérience ${i} — 🧪 ', '${i === 7 ? CANARY : `Notes ${randomBytes(64).toString("base64")}`}', '2026-11-${String((i % 28) + 1).padStart(2, "0")} 10:00:00')`);
    sql(`INSERT INTO experiments (title, body, created) VALUES ${rows.join(",")}`, "elabftw");
    sql("INSERT INTO uploads (experiment, name, hash) SELECT id, CONCAT('file-', id, '.pdf'), UNHEX(SHA2(body, 256)) FROM experiments", "elabftw");
    sql("INSERT INTO users (email, pass) VALUES ('marie@lab.example.org', 'hash1'), ('pierre@lab.example.org', 'hash2')", "elabftw");

    mkdirSync(path.join(uploads, "ab", "cd"), { recursive: true });
    writeFileSync(path.join(uploads, "ab", "cd", "données brutes.csv"), randomBytes(300_000));
    writeFileSync(path.join(uploads, "ab", "spectrum.bin"), randomBytes(1_000_000));
    writeFileSync(path.join(uploads, "readme.txt"), "uploads of the test\n");
    spawnSync("chown", ["-R", "101:101", uploads]);
});

after(async () => {
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
});

describe("backup and restore with Borg, for real", () => {
    let dbBefore = "";
    let filesBefore = "";

    it("initialises an encrypted repository once, and keeps it on a second run", () => {
        ok(run("elabftw-backup.sh", ["init", "--env-file", envFile]), "init");
        assert.match(ok(borg(["info"]), "borg info"), /Encrypted: Yes \(repokey BLAKE2b\)/);
        assert.match(ok(run("elabftw-backup.sh", ["init", "--env-file", envFile]), "init again"), /exists; keeping it/);
    });

    it("cannot be opened without the passphrase, or with a wrong one", () => {
        const without = borg(["list"], { BORG_PASSPHRASE: "", BORG_PASSCOMMAND: "", BORG_DISPLAY_PASSPHRASE: "no" });
        assert.notEqual(without.status, 0);
        const wrong = borg(["list"], { BORG_PASSPHRASE: "not-the-passphrase" });
        assert.notEqual(wrong.status, 0);
        assert.match(wrong.stderr, /passphrase .* is incorrect/);
    });

    it("streams the database into Borg without a plaintext dump on disk, and archives the uploads", () => {
        dbBefore = databaseDigest("elabftw");
        filesBefore = folderDigest(uploads);
        assert.match(ok(run("elabftw-backup.sh", ["db", ...common]), "db backup"), /saved as db-/);
        assert.match(ok(run("elabftw-backup.sh", ["files", "--env-file", envFile, "--source", uploads]), "files backup"), /saved as uploads-/);
        assert.deepEqual(filesContaining(dir, CANARY, path.join(dir, "data")), [], "a plaintext copy of the database is on disk");
        const archives = ok(borg(["list", "--short"]), "list").split("\n").filter(Boolean);
        assert.equal(archives.length, 2);
        assert.match(ok(borg(["extract", "--stdout", `::${archives.find((a) => a.startsWith("db-"))}`]), "extract"), new RegExp(CANARY), "the archive holds the dump");
    });

    it("refuses to restore over a database that has tables, or a folder that has files", () => {
        const db = run("elabftw-restore.sh", ["db", ...common, "--collation", "utf8mb4_unicode_ci"]);
        assert.equal(db.status, 1);
        assert.match(db.stderr, /already has 3 tables: refusing to overwrite it/);
        const files = run("elabftw-restore.sh", ["files", "--env-file", envFile, "--target", uploads]);
        assert.equal(files.status, 1);
        assert.match(files.stderr, /is not empty: refusing/);
    });

    it("brings back every row and every file byte-identical after both are wiped", () => {
        sql("DROP DATABASE elabftw");
        rmSync(uploads, { recursive: true });
        ok(run("elabftw-restore.sh", ["db", ...common, "--collation", "utf8mb4_unicode_ci"]), "restore db");
        ok(run("elabftw-restore.sh", ["files", "--env-file", envFile, "--target", uploads]), "restore files");
        assert.equal(databaseDigest("elabftw"), dbBefore);
        assert.equal(folderDigest(uploads), filesBefore, "files, sizes and owners 101:101");
        assert.equal(sql("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema='elabftw'").trim(), "1", "the trigger came back");
        assert.equal(sql("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.schemata WHERE schema_name='elabftw'").trim(), "utf8mb4");
    });

    it("runs the restore drill: a match, then a mismatch when a row is missing from the restored copy", () => {
        const drill = ["--env-file", envFile, "--client-config", clientConfig, "--collation", "utf8mb4_unicode_ci"];
        assert.match(ok(run("elabftw-restore-drill.sh", ["run", ...drill]), "drill"), /restore drill OK: 3 tables with identical checksums; views, triggers, routines and events identical/);
        assert.equal(sql("SHOW DATABASES LIKE 'elabftw_restore_drill'").trim(), "", "the scratch database is dropped");
        ok(run("elabftw-restore-drill.sh", ["restore", ...drill]), "drill restore");
        sql("DELETE FROM experiments WHERE id = 42", "elabftw_restore_drill");
        const compare = run("elabftw-restore-drill.sh", ["compare", ...drill]);
        assert.equal(compare.status, 1);
        assert.match(compare.stdout, /MISMATCH experiments: CHECKSUM TABLE live \d+, restored \d+ \(rows live 500, restored 499\)/);
        assert.match(compare.stdout, /restore drill FAILED: 1 differences/);
        sql("DROP DATABASE elabftw_restore_drill");
    });

    it("checks the repository and exports its key; the VM scripts have no prune (the backup host prunes)", () => {
        ok(run("elabftw-backup.sh", ["db", ...common]), "second db backup");
        assert.match(ok(run("elabftw-backup.sh", ["check", "--env-file", envFile]), "check"), /checked/);
        assert.match(ok(run("elabftw-backup.sh", ["key-export", "--env-file", envFile]), "key export"), /^BORG_KEY [0-9a-f]{64}$/m);
        assert.equal(run("elabftw-backup.sh", ["prune", "--env-file", envFile]).status, 2, "prune is a usage error");
    });

    it("keeps no archive of a dump that failed half-way", () => {
        const before = ok(borg(["list", "--short"]), "list");
        const failed = run("elabftw-backup.sh", ["db", ...common, "--database", "no_such_database"]);
        assert.equal(failed.status, 1);
        assert.match(failed.stderr, /database backup failed: its archive db-\S+ was deleted, nothing was kept/);
        assert.equal(ok(borg(["list", "--short"]), "list"), before);
    });
});
