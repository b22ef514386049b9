// elabftw-status.sh and elabftw-alarms.sh run for real, as the program sends them (scriptCommand),
// inside a network namespace with a private mount namespace, against real MariaDB (TLS-only), real
// Borg repositories, real certificates, a real LUKS2 header, nftables, apt and a tmpfs data mount;
// stand-ins only for Docker, systemd, the journal and timedated (test/support/statusWorld.ts).
// One healthy world, then the same world broken: every check is shown ok, then not ok.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../components/config";
import { projectKeys, readStackConfig } from "../components/config/stackFile";
import { nftablesRuleset } from "../components/network/firewallRules";
import { scriptCommand } from "../components/vm/remoteScript";
import { parseStatusLines } from "../tools/status/results";
import { startMariaDb, MariaDb } from "./support/mariadb";
import { certificates, dockerContainer, dockerImage, execFileAsync, run, standIns } from "./support/statusWorld";

const NS = `st-${process.pid}`;
const PORT = "3307";
const HTTPS_PORT = "8443";
const IMAGE_ID = "sha256:1111";
let dir: string, bin: string, state: string, db: MariaDb, certs: ReturnType<typeof certificates>;
let https: ReturnType<typeof spawn>;
const config = validateConfig(projectKeys(readStackConfig("Pulumi.dev.yaml"))).config;
const at = (...parts: string[]) => path.join(dir, ...parts);
const inNs = (command: string, args: string[]) => run("nsenter", [`--net=/run/netns/${NS}`, command, ...args]);

function borgEnv(name: string) {
    const file = at(`${name}.env`);
    writeFileSync(file, `BORG_REPO='${at("repos", name)}'\nBORG_BASE_DIR='${at("borg-base")}'\nBACKUP_PASSPHRASE_FILE='${at("passphrase")}'\n`);
    return file;
}
const borgProcessEnv = () => ({ ...process.env, BORG_PASSCOMMAND: `cat ${at("passphrase")}`, BORG_BASE_DIR: at("borg-base") });
function borgRepo(name: string, archiveTime?: string) {
    const env = { ...borgProcessEnv(), BORG_REPO: at("repos", name) };
    run("borg", ["init", "--encryption=repokey-blake2", "--make-parent-dirs"], { env });
    run("borg", ["create", ...(archiveTime ? ["--timestamp", archiveTime] : []), "::uploads-1", "."], { env, cwd: at("certs") });
}
/** The real check script against a repository; its exit status recorded as systemd records a oneshot's. */
function recordCheck(name: string, unit: string) {
    const result = run("bash", ["-c", `${scriptCommand("elabftw-backup.sh", ["check", "--env-file", borgEnv(name)]).replace(/^sudo /, "")}; echo "exit=$?"`], { env: borgProcessEnv() });
    const ok = /exit=0$/.test(result.trim());
    writeFileSync(path.join(state, "units", unit), `Result=${ok ? "success" : "exit-code"}\nExecMainExitTimestamp=${new Date().toUTCString()}\n`);
    return ok;
}

before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "elabftw-status-"));
    bin = at("bin");
    state = at("state");
    standIns(bin, state);
    // A recorder for logger: no syslog daemon runs here; the alarms' tags and priorities are what it checks.
    writeFileSync(path.join(bin, "logger"), `#!/bin/bash\nprintf '%s\\n' "$*" >> "${state}/logger.log"\n`, { mode: 0o755 });
    certs = certificates(at("certs"));
    writeFileSync(at("passphrase"), "borg-test-passphrase\n");
    run("ip", ["netns", "add", NS]);
    inNs("ip", ["link", "set", "lo", "up"]);
    db = await startMariaDb(at("mariadb"), [`--port=${PORT}`, "--bind-address=127.0.0.1", "--require-secure-transport=ON", "--tls-version=TLSv1.2,TLSv1.3",
        `--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.server}`, `--ssl-key=${certs.key("server")}`], NS);
    db.sql("CREATE DATABASE elabftw; CREATE USER 'elabftw'@'%' IDENTIFIED BY 'web-pw'; GRANT ALL ON elabftw.* TO 'elabftw'@'%'; CREATE USER 'operator'@'%' IDENTIFIED BY 'op-pw' REQUIRE SSL;");
    writeFileSync(at("operator.cnf"), `[client]\nuser=operator\npassword=op-pw\nhost=127.0.0.1\nport=${PORT}\nssl-ca=${certs.ca}\nssl-verify-server-cert\n`);
    // eLabFTW's /healthcheck.php (a stand-in: its server cannot run here): 200 "ok" when it reaches
    // the database, 500 "ko" otherwise; the answer comes from state/health.
    writeFileSync(path.join(state, "health"), "200 ok");
    https = spawn("nsenter", [`--net=/run/netns/${NS}`, process.execPath, "-e",
        `require("https").createServer({key: require("fs").readFileSync(${JSON.stringify(certs.key("server"))}), cert: require("fs").readFileSync(${JSON.stringify(certs.server)})}, (q, s) => { const [c, b] = require("fs").readFileSync(${JSON.stringify(path.join(state, "health"))}, "utf8").split(" "); s.writeHead(Number(c)); s.end(b); }).listen(${HTTPS_PORT}, "127.0.0.1")`], { stdio: "ignore" });
    mkdirSync(path.join(state, "docker", "root", "elabftw", "bin"), { recursive: true });
    writeFileSync(path.join(state, "docker", "root", "elabftw", "bin", "console"), `#!/bin/bash\nprintf 'Database check\\n==============\\nCurrent version: %s\\nRequired version: 170\\n' "$(cat ${state}/schema)"\n[ "$(cat ${state}/schema)" = 170 ] && echo "No upgrade required." || { echo "An upgrade is required."; exit 1; }\n`, { mode: 0o755 });
    borgRepo("fresh");
    borgRepo("stale", new Date(Date.now() - 3 * 86400_000).toISOString().slice(0, 19));
    borgRepo("broken");
    // Damage the newest segment of one repository: the real borg check must notice.
    const segment = run("bash", ["-c", `ls -S ${at("repos", "broken", "data")}/*/* | head -1`]).trim();
    const bytes = readFileSync(segment);
    bytes.fill(0x41, 64, Math.min(bytes.length - 8, 4096));
    writeFileSync(segment, bytes);
    // A LUKS2 header on a file with a systemd-tpm2 token of the shape systemd-cryptenroll writes (the
    // token plugin refuses an incomplete one); no TPM here, so its blob seals nothing.
    run("truncate", ["-s", "20M", at("luks.img")]);
    run("cryptsetup", ["luksFormat", "--type", "luks2", "--batch-mode", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", at("luks.img")], { input: "recovery" });
    run("cp", [at("luks.img"), at("luks-plain.img")]);
    run("cryptsetup", ["token", "import", "--json-file", "-", at("luks.img")], { input: JSON.stringify({
        type: "systemd-tpm2", keyslots: ["0"], "tpm2-blob": "AAAA", "tpm2-pcrs": [7], "tpm2-pcr-bank": "sha256", "tpm2-primary-alg": "ecc", "tpm2-policy-hash": "00".repeat(32), "tpm2-pin": false,
    }) });
    mkdirSync(at("data"));
    // apt: an empty world (nothing pending), and one with a local repository labelled as Debian's
    // security archive offering a newer bash: real apt-get update and simulation, on the host's dpkg state.
    for (const world of ["apt-clean", "apt-security"]) {
        mkdirSync(at(world, "lists", "partial"), { recursive: true });
        mkdirSync(at(world, "cache", "archives", "partial"), { recursive: true });
        writeFileSync(at(world, "apt.conf"), ["Lists", "Cache"].map((d) => `Dir::${d === "Lists" ? "State::Lists" : d} "${at(world, d.toLowerCase())}";`).join("\n") +
            `\nDir::Etc::SourceList "${at(world, "sources.list")}";\nDir::Etc::SourceParts "${at(world, "lists")}";\n`);
        writeFileSync(at(world, "sources.list"), world === "apt-clean" ? "" : `deb [trusted=yes] file:${at(world, "repo")} ./\n`);
    }
    mkdirSync(at("apt-security", "repo"));
    const bash = run("dpkg-query", ["-W", "-f", "${Version}", "bash"]);
    writeFileSync(at("apt-security", "repo", "Packages"), `Package: bash\nVersion: 99:${bash}\nArchitecture: amd64\nPriority: required\nEssential: yes\nMaintainer: test\nFilename: ./bash.deb\nSize: 1\nMD5sum: ${"0".repeat(32)}\nDescription: test\n\n`);
    writeFileSync(at("apt-security", "repo", "Release"), "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nVersion: 12\nCodename: bookworm-security\nArchitectures: amd64\n");
    for (const world of ["apt-clean", "apt-security"]) run("apt-get", ["-o", "Debug::NoLocking=1", "update"], { env: { ...process.env, APT_CONFIG: at(world, "apt.conf") } });
});

after(async () => {
    https?.kill();
    await db?.stop();
    spawnSyncQuiet("ip", ["netns", "delete", NS]);
});
function spawnSyncQuiet(command: string, args: string[]) {
    try { run(command, args); } catch { /* already gone */ }
}

interface World { healthy: boolean; unlock?: "tpm" | "passphrase"; token?: boolean }
/** Sets the world healthy or broken, then runs the status script there; returns its results by check. */
async function statusIn(world: World, extra: string[] = []) {
    const ok = world.healthy;
    writeFileSync(path.join(state, "docker", "engine"), `27.5.1 ${ok ? at("data", "docker") : "/var/lib/docker"}\n`);
    dockerImage(state, "elabftw/elabimg:5.6.12", IMAGE_ID);
    dockerImage(state, "mysql:8.4.5", "sha256:2222");
    dockerImage(state, "mysql:8.0.40", "sha256:3333");
    dockerContainer(state, "elabftw", { status: "running", health: ok ? "healthy" : "unhealthy", imageId: IMAGE_ID, started: "2026-11-01T10:00:00.1Z" });
    dockerContainer(state, "mysql", { status: "running", health: "healthy", imageId: ok ? "sha256:2222" : "sha256:3333", started: "2026-11-01T10:00:00Z" });
    const other = certificates(at(`other-ca-${Date.now()}`));
    writeFileSync(path.join(state, "docker", "env", "elabftw"), `DB_HOST=127.0.0.1\nDB_PORT=${PORT}\nDB_NAME=elabftw\nDB_USER=elabftw\nDB_PASSWORD=web-pw\nDB_CERT_PATH=${ok ? certs.ca : other.ca}\n`);
    writeFileSync(path.join(state, "schema"), ok ? "170" : "168");
    writeFileSync(path.join(state, "health"), ok ? "200 ok" : "500 ko");
    writeFileSync(path.join(state, "ntp"), ok ? "yes\n" : "no\n");
    db.sql(`SET GLOBAL require_secure_transport=${ok ? "ON" : "OFF"}`);
    assert.equal(recordCheck(ok ? "fresh" : "broken", "elabftw-backup-check-uploads.service"), ok);
    writeFileSync(path.join(state, "units", "elabftw-restore-drill.service"), `Result=${ok ? "success" : "exit-code"}\nExecMainExitTimestamp=${new Date().toUTCString()}\n`);
    // systemd-cryptsetup's messages at this boot: its TPM2 line, or only the mapping being set up.
    writeFileSync(path.join(state, "journal", "systemd-cryptsetup@elabdata.service"),
        world.unlock === "passphrase" ? "Set cipher aes, mode xts-plain64, key size 512 bits for device /dev/sdb.\n" : "Automatically discovered security TPM2 token unlocks volume.\n");
    const sysfs = at(ok ? "sys" : "sys-empty");
    mkdirSync(path.join(sysfs, "block"), { recursive: true });
    if (ok) {
        mkdirSync(path.join(sysfs, "block", "dm-0", "dm"), { recursive: true });
        writeFileSync(path.join(sysfs, "block", "dm-0", "dm", "name"), "elabdata\n");
        writeFileSync(path.join(sysfs, "block", "dm-0", "dm", "uuid"), "CRYPT-LUKS2-0123456789abcdef-elabdata\n");
    }
    spawnSyncQuiet("nsenter", [`--net=/run/netns/${NS}`, "nft", "delete", "table", "inet", "elabftw"]);
    if (ok) run("nsenter", [`--net=/run/netns/${NS}`, "nft", "-f", "-"], { input: nftablesRuleset(config.flows, "db", "db", [3306]) });
    const args = [
        "--data-mount", at("data"), "--data-source", "/dev/mapper/elabdata", "--luks-name", "elabdata", "--luks-device", at(world.token === false ? "luks-plain.img" : "luks.img"), "--sysfs", sysfs,
        "--containers", "elabftw=elabftw/elabimg:5.6.12,mysql=mysql:8.4.5", "--borg-env", borgEnv(ok ? "fresh" : "stale"), "--archive-prefix", "uploads", "--max-archive-hours", "30",
        "--check-unit", "elabftw-backup-check-uploads.service", "--max-check-days", "8", "--drill-unit", "elabftw-restore-drill.service",
        "--certs", `site:30=${ok ? certs.valid : certs.window},ca:120=${certs.ca},db:30=${ok ? certs.server : certs.expired}`,
        "--nft-table", "inet elabftw", "--disk-threshold", "85", "--mysql-exec", "", "--client-config", at("operator.cnf"),
        "--health-url", `https://localhost:${HTTPS_PORT}/healthcheck.php`, "--health-ca", certs.ca, "--health-resolve", `localhost:${HTTPS_PORT}:127.0.0.1`,
        "--elabftw-container", "elabftw", "--apt-config", at(ok ? "apt-clean" : "apt-security", "apt.conf"), ...extra,
    ];
    // The data disk: a tmpfs whose source reads as the LUKS mapping (healthy), or a plain one filled to 95%.
    const mount = ok ? `mount -t tmpfs -o size=16m /dev/mapper/elabdata "$D"` : `mount -t tmpfs -o size=4m tmpfs "$D" && head -c 3900k /dev/zero > "$D/fill"`;
    const command = scriptCommand("elabftw-status.sh", args).replace(/^sudo /, "");
    const { stdout } = await execFileAsync("nsenter", [`--net=/run/netns/${NS}`, "unshare", "-m", "bash", "-c", `${mount} && ${command}`],
        { env: { ...borgProcessEnv(), PATH: `${bin}:${process.env.PATH}`, D: at("data") }, encoding: "utf8" });
    return { stdout, byCheck: new Map(parseStatusLines("web", stdout).map((r) => [r.check, r])) };
}

const CHECKS = ["luks", "data-mount", "docker", "container-elabftw", "container-mysql", "mysql-tls", "elabftw-db-tls", "elabftw-version", "healthcheck", "archive-uploads",
    "borg-check", "restore-drill", "cert-site", "cert-ca", "cert-db", "nftables", "data-disk", "security-updates", "time-sync"];

describe("elabftw-status.sh on a real world", () => {
    it("reports every check ok on a healthy VM", async () => {
        const { byCheck, stdout } = await statusIn({ healthy: true });
        assert.deepEqual([...byCheck.keys()], CHECKS, stdout);
        for (const check of CHECKS) assert.equal(byCheck.get(check)!.state, "ok", `${check}: ${byCheck.get(check)!.detail}`);
        assert.match(byCheck.get("luks")!.detail, /unlocked by the vTPM.*systemd-tpm2/);
        assert.match(byCheck.get("elabftw-db-tls")!.detail, /TLSv1\.[23]/);
        assert.match(byCheck.get("mysql-tls")!.detail, /require_secure_transport ON, tls_version TLSv1\.2,TLSv1\.3/);
        assert.match(byCheck.get("archive-uploads")!.since, /^\d{4}-\d\d-\d\dT/);
        assert.match(byCheck.get("cert-site")!.detail, /^36[45] days left/);
    });

    it("reports every check not ok on a broken VM, with the reason", async () => {
        const { byCheck, stdout } = await statusIn({ healthy: false });
        const expected: Record<string, [string, RegExp]> = {
            luks: ["fail", /not open/], "data-mount": ["fail", /comes from tmpfs, not \/dev\/mapper\/elabdata/], docker: ["fail", /\/var\/lib\/docker, outside/],
            "container-elabftw": ["fail", /unhealthy/], "container-mysql": ["fail", /runs mysql:8\.0\.40, not the configured mysql:8\.4\.5/],
            "mysql-tls": ["fail", /require_secure_transport is OFF/], "elabftw-db-tls": ["fail", /cannot reach its database/], "elabftw-version": ["fail", /Current version: 168/],
            healthcheck: ["fail", /HTTP 500 ko/], "archive-uploads": ["fail", /7\dh old/], "borg-check": ["fail", /failed \(exit-code\)/], "restore-drill": ["fail", /failed/],
            "cert-site": ["warn", /inside the 30-day renewal window/], "cert-ca": ["ok", /days left/], "cert-db": ["fail", /EXPIRED/], nftables: ["fail", /not loaded/],
            "data-disk": ["fail", /9\d% full \(alarm at 85%\)/], "time-sync": ["fail", /not synchronised/],
            "security-updates": ["fail", /^1 security updates pending/],
        };
        for (const [check, [want, detail]] of Object.entries(expected)) {
            assert.equal(byCheck.get(check)?.state, want, `${check}: ${byCheck.get(check)?.detail}\n${stdout}`);
            assert.match(byCheck.get(check)!.detail, detail, check);
        }
    });

    it("tells how the data disk was unlocked: the vTPM, the passphrase, or no vTPM token at all", async () => {
        const passphrase = (await statusIn({ healthy: true, unlock: "passphrase" })).byCheck.get("luks")!;
        assert.equal(passphrase.state, "warn");
        assert.match(passphrase.detail, /open with the passphrase at this boot: the vTPM did not unlock it/);
        const noToken = (await statusIn({ healthy: true, unlock: "passphrase", token: false })).byCheck.get("luks")!;
        assert.equal(noToken.state, "warn");
        assert.match(noToken.detail, /no vTPM token is enrolled/);
    });

    it("raises one alarm per condition under its stable tag, and a heartbeat when all is well", async () => {
        const { stdout } = await statusIn({ healthy: false });
        writeFileSync(at("status-stub.sh"), `cat <<'OUT'\n${stdout}OUT\n`);
        writeFileSync(path.join(state, "logger.log"), "");
        run("bash", ["-c", scriptCommand("elabftw-alarms.sh", [at("status-stub.sh")]).replace(/^sudo /, "")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
        const logged = readFileSync(path.join(state, "logger.log"), "utf8");
        for (const [tag, priority, check] of [["elabftw-alarm-cert-renewal", "warning", "cert-site"], ["elabftw-alarm-cert-expired", "crit", "cert-db"], ["elabftw-alarm-backup-stale", "err", "archive-uploads"],
            ["elabftw-alarm-backup-check", "err", "borg-check"], ["elabftw-alarm-restore-drill", "err", "restore-drill"], ["elabftw-alarm-disk-full", "err", "data-disk"], ["elabftw-alarm-health", "err", "container-elabftw"]]) {
            assert.match(logged, new RegExp(`^-t ${tag} -p user\\.${priority} -- ${check}: `, "m"), `${tag}\n${logged}`);
        }
        assert.doesNotMatch(logged, /-t elabftw-alarms /);
        const healthy = (await statusIn({ healthy: true })).stdout;
        writeFileSync(at("status-stub.sh"), `cat <<'OUT'\n${healthy}OUT\n`);
        writeFileSync(path.join(state, "logger.log"), "");
        run("bash", ["-c", scriptCommand("elabftw-alarms.sh", [at("status-stub.sh")]).replace(/^sudo /, "")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
        assert.equal(readFileSync(path.join(state, "logger.log"), "utf8"), `-t elabftw-alarms -p user.info -- all ${CHECKS.length} checks ok\n`);
    });
});
