// npm run bench:backup: times the backup and restore scripts on ~200 MB of database and ~1 GB of
// uploads on this machine, with a writer inserting into the database during the dump, and checks
// that the restore is identical. A measurement, not a test: it is not part of npm test.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { SCRIPTS_DIR } from "../../components/vm/remoteScript";
import { startMariaDb } from "../support/mariadb";

const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), "elabftw-bench-"));
const uploads = path.join(dir, "elabftw", "uploads");
const envFile = path.join(dir, "borg.env");
const clientConfig = path.join(dir, "client.cnf");

function timed(what: string, script: string, args: string[]): number {
    const start = process.hrtime.bigint();
    const result = spawnSync("bash", [path.join(SCRIPTS_DIR, script), ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) throw new Error(`${what}: ${result.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e9;
}

function folderDigest(root: string): string {
    const hash = createHash("sha256");
    for (const name of readdirSync(root).sort()) hash.update(name).update(readFileSync(path.join(root, name)));
    return hash.digest("hex");
}

async function main() {
    const db = await startMariaDb(dir, ["--skip-networking", "--innodb-buffer-pool-size=512M"]);
    try {
        writeFileSync(clientConfig, `[client]\nsocket=${db.socket}\nuser=root\n`);
        writeFileSync(path.join(dir, "passphrase"), randomBytes(24).toString("hex"), { mode: 0o400 });
        writeFileSync(envFile, `BORG_REPO='${path.join(dir, "repo")}'\nBACKUP_PASSPHRASE_FILE='${path.join(dir, "passphrase")}'\nBORG_BASE_DIR='${path.join(dir, "borg")}'\n`);

        console.log("filling the database (~200 MB of experiment text) and the uploads (1 GB of random files)...");
        db.sql("CREATE DATABASE elabftw CHARACTER SET utf8mb4");
        db.sql("CREATE TABLE experiments (id INT AUTO_INCREMENT PRIMARY KEY, body MEDIUMTEXT) ENGINE=InnoDB; CREATE TABLE writes (id INT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3))", "elabftw");
        for (let batch = 0; batch < 10; batch++) {
            // ~2 KB of random text per row: about as compressible as real notes (base64 of random bytes).
            db.sql("INSERT INTO experiments (body) SELECT CONCAT(TO_BASE64(RANDOM_BYTES(1024)), TO_BASE64(RANDOM_BYTES(512))) FROM seq_1_to_10000", "elabftw");
        }
        db.sql("ANALYZE TABLE experiments", "elabftw");
        const dataMb = Number(db.sql("SELECT ROUND(SUM(data_length + index_length) / 1048576) FROM information_schema.tables WHERE table_schema = 'elabftw'").trim());
        const rows = db.sql("SELECT COUNT(*), ROUND(SUM(LENGTH(body)) / 1048576) FROM experiments", "elabftw").trim().split("\t");
        mkdirSync(uploads, { recursive: true });
        for (let i = 0; i < 100; i++) writeFileSync(path.join(uploads, `file-${String(i).padStart(3, "0")}.bin`), randomBytes(10 * 1024 * 1024));

        if (spawnSync("bash", [path.join(SCRIPTS_DIR, "elabftw-backup.sh"), "init", "--env-file", envFile]).status !== 0) throw new Error("init failed");

        // A writer that inserts a row every 20 ms for as long as the dump runs.
        const writer: ChildProcess = spawn("bash", ["-c", `while :; do mariadb --no-defaults --socket=${db.socket} -uroot elabftw -e 'INSERT INTO writes () VALUES ()' || echo failed >&2; sleep 0.02; done`], { stdio: ["ignore", "ignore", "pipe"] });
        let writerErrors = 0;
        writer.stderr!.on("data", (data) => (writerErrors += data.toString().split("\n").filter(Boolean).length));
        const dumpStart = db.sql("SELECT NOW(3)").trim();
        const backupDb = timed("db backup", "elabftw-backup.sh", ["db", "--env-file", envFile, "--client-config", clientConfig]);
        const dumpEnd = db.sql("SELECT NOW(3)").trim();
        writer.kill("SIGKILL");
        const writesDuringDump = Number(db.sql(`SELECT COUNT(*) FROM writes WHERE at BETWEEN '${dumpStart}' AND '${dumpEnd}'`, "elabftw").trim());

        const backupFiles = timed("uploads backup", "elabftw-backup.sh", ["files", "--env-file", envFile, "--source", uploads]);
        const experimentsBefore = db.sql("SELECT COUNT(*), SUM(CRC32(body)) FROM experiments", "elabftw").trim();
        const filesBefore = folderDigest(uploads);

        db.sql("DROP DATABASE elabftw");
        rmSync(uploads, { recursive: true });
        const restoreDb = timed("db restore", "elabftw-restore.sh", ["db", "--env-file", envFile, "--client-config", clientConfig, "--collation", "utf8mb4_unicode_ci"]);
        const restoreFiles = timed("uploads restore", "elabftw-restore.sh", ["files", "--env-file", envFile, "--target", uploads]);
        const identical = db.sql("SELECT COUNT(*), SUM(CRC32(body)) FROM experiments", "elabftw").trim() === experimentsBefore && folderDigest(uploads) === filesBefore;
        const repoMb = spawnSync("du", ["-sm", path.join(dir, "repo")], { encoding: "utf8" }).stdout.split("\t")[0];

        console.log(`database: ${rows[0]} rows, ${rows[1]} MB of text, ${dataMb} MB in InnoDB; uploads: 1000 MB in 100 files; repository after both: ${repoMb} MB`);
        console.log(`backup:  database ${backupDb.toFixed(1)} s, uploads ${backupFiles.toFixed(1)} s`);
        console.log(`restore: database ${restoreDb.toFixed(1)} s, uploads ${restoreFiles.toFixed(1)} s`);
        console.log(`writes accepted during the ${backupDb.toFixed(1)} s dump: ${writesDuringDump} (failed: ${writerErrors})`);
        console.log(`restore identical to the original: ${identical}`);
        if (!identical || writesDuringDump === 0 || writerErrors > 0) process.exitCode = 1;
    } finally {
        await db.stop();
        rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
