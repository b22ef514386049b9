// Borg over SSH for real: a "VM" and a "backup host" in two network namespaces joined by a veth
// pair, the backup host running openssh-server with the authorized_keys lines the program builds
// (the VM's key forced to `borg serve --append-only --restrict-to-repository`, the prune key
// without --append-only), the VM running the real backup script with the borg.env and known_hosts
// the program writes. Shown: a wrong host key is refused before any data moves; the VM's key
// cannot delete history (its delete is rolled back by the backup host, the data byte-identical);
// it cannot reach another repository; only the prune key frees space.
// The backup host's Borg runs as root (no system user is created on this machine).
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { authorizedKeyLine, borgEnvironment, knownHosts, pruneKeyLine } from "../components/backup/backupPlan";
import { parseBackupTarget } from "../components/config";
import { SCRIPTS_DIR } from "../components/vm/remoteScript";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-bk-ssh-"));
const id = randomBytes(3).toString("hex");
const NS = { vm: `bk-vm-${id}`, host: `bk-host-${id}` };
const HOST = "10.99.0.2";
const vmDir = path.join(dir, "vm");
const hostDir = path.join(dir, "host");
const target = parseBackupTarget(`ssh://root@${HOST}:22${hostDir}/repos`);
const repoPath = `${hostDir}/repos/uploads`;
const envFile = path.join(vmDir, "borg.env");
const sshdLog = path.join(hostDir, "sshd.log");
let sshd: ChildProcess | undefined;

const sh = (command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) => spawnSync(command, args, { encoding: "utf8", ...options });
function must(result: SpawnSyncReturns<string>, what: string): string {
    assert.equal(result.status, 0, `${what}: ${result.stdout}${result.stderr}`);
    return result.stdout;
}
const inVm = (args: string[], env: NodeJS.ProcessEnv = {}) => sh("nsenter", [`--net=/run/netns/${NS.vm}`, ...args], { env: { ...process.env, ...env } });
const script = (...args: string[]) => inVm(["bash", path.join(SCRIPTS_DIR, "elabftw-backup.sh"), ...args, "--env-file", envFile]);
/** Borg as the VM runs it: the settings through common.sh's borg_env, the VM's key and pinned host key. */
const vmBorg = (...args: string[]) => inVm(["bash", "-c", `. ${path.join(SCRIPTS_DIR, "common.sh")} && borg_env ${envFile} && borg "$@"`, "vm-borg", ...args]);
const hostLocal = (...args: string[]) => sh("borg", args, { env: { ...process.env, BORG_BASE_DIR: path.join(hostDir, "admin-base"), BORG_PASSPHRASE: readFileSync(path.join(vmDir, "passphrase"), "utf8") } });
const segments = () => readdirSync(path.join(repoPath, "data", "0")).sort((a, b) => Number(a) - Number(b));
const accepted = () => (existsSync(sshdLog) ? readFileSync(sshdLog, "utf8").match(/Accepted publickey/g)?.length ?? 0 : 0);
function keyPair(name: string): { file: string; pub: string } {
    const file = path.join(dir, name);
    must(sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]), "ssh-keygen");
    return { file, pub: readFileSync(`${file}.pub`, "utf8").trim() };
}

before(async () => {
    mkdirSync(vmDir);
    mkdirSync(path.join(hostDir, "repos"), { recursive: true });
    for (const ns of Object.values(NS)) must(sh("ip", ["netns", "add", ns]), "ip netns add");
    must(sh("ip", ["link", "add", `bkv${id}`, "type", "veth", "peer", "name", `bkh${id}`]), "veth");
    must(sh("ip", ["link", "set", `bkv${id}`, "netns", NS.vm]), "veth to vm");
    must(sh("ip", ["link", "set", `bkh${id}`, "netns", NS.host]), "veth to host");
    for (const [ns, dev, address] of [[NS.vm, `bkv${id}`, "10.99.0.1/30"], [NS.host, `bkh${id}`, `${HOST}/30`]]) {
        must(sh("ip", ["-n", ns, "addr", "add", address, "dev", dev]), "addr");
        must(sh("ip", ["-n", ns, "link", "set", dev, "up"]), "up");
        must(sh("ip", ["-n", ns, "link", "set", "lo", "up"]), "lo");
    }
    const hostKey = keyPair("host_ed25519");
    const vmKey = keyPair("vm_ed25519");
    const pruneKey = keyPair("prune_ed25519");
    writeFileSync(path.join(hostDir, "authorized_keys"), [authorizedKeyLine(target, "web", vmKey.pub, "elabftw-test-web"), pruneKeyLine(target, "web", pruneKey.pub), ""].join("\n"));
    mkdirSync("/run/sshd", { recursive: true });
    const config = path.join(hostDir, "sshd_config");
    writeFileSync(
        config,
        [`ListenAddress ${HOST}`, `HostKey ${hostKey.file}`, `AuthorizedKeysFile ${path.join(hostDir, "authorized_keys")}`, "PermitRootLogin forced-commands-only", "StrictModes no",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", `PidFile ${path.join(hostDir, "sshd.pid")}`, "LogLevel VERBOSE",
            `SetEnv BORG_BASE_DIR=${path.join(hostDir, "serve-base")}`, ""].join("\n"),
    );
    sshd = spawn("nsenter", [`--net=/run/netns/${NS.host}`, "/usr/sbin/sshd", "-D", "-f", config, "-E", sshdLog], { stdio: "ignore" });
    const listening = () => existsSync(sshdLog) && readFileSync(sshdLog, "utf8").includes("Server listening");
    for (let i = 0; i < 300 && !listening(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(listening(), `sshd did not start: ${existsSync(sshdLog) ? readFileSync(sshdLog, "utf8") : "no log"}`);

    // The VM's side, as the program installs it.
    writeFileSync(path.join(vmDir, "passphrase"), randomBytes(24).toString("hex"), { mode: 0o400 });
    renameSync(vmKey.file, path.join(vmDir, "id_ed25519"));
    writeFileSync(envFile, borgEnvironment(target, "web", vmDir));
    writeFileSync(path.join(vmDir, "known_hosts"), knownHosts(target, keyPair("impostor_ed25519").pub));
    mkdirSync(path.join(dir, "uploads"));
    writeFileSync(path.join(dir, "uploads", "spectrum.bin"), randomBytes(200_000));
    process.env.BK_PRUNE_KEY = pruneKey.file;
    process.env.BK_HOST_KEY = hostKey.pub;
});

after(() => {
    sshd?.kill("SIGTERM");
    for (const ns of Object.values(NS)) sh("ip", ["netns", "del", ns]);
    rmSync(dir, { recursive: true, force: true });
});

describe("Borg over SSH to a backup host in a network namespace", () => {
    it("refuses a backup host that presents another host key, before any data moves", () => {
        const before = accepted();
        const init = script("init");
        assert.equal(init.status, 1);
        assert.match(init.stderr, /cannot open ssh:\/\/root@10\.99\.0\.2:22\S+ \(.*backupHostKey/);
        // Borg does not always relay ssh's last words before it exits; the same ssh command, alone, says why.
        const rsh = inVm(["bash", "-c", `. ${path.join(SCRIPTS_DIR, "common.sh")} && borg_env ${envFile} && $BORG_RSH root@${HOST} true`]);
        assert.equal(rsh.status, 255);
        assert.match(rsh.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED[\s\S]*Host key verification failed/);
        const files = script("files", "--source", path.join(dir, "uploads"));
        assert.equal(files.status, 1);
        assert.equal(accepted(), before, "the client never authenticated: nothing was sent");
        assert.match(readFileSync(sshdLog, "utf8"), /Connection closed by 10\.99\.0\.1 port \d+ \[preauth\]/);
        assert.equal(existsSync(repoPath), false, "no repository on the backup host");
    });

    it("refuses to start at all with no pinned host key", () => {
        writeFileSync(path.join(vmDir, "known_hosts"), "");
        const result = script("init");
        assert.equal(result.status, 1);
        assert.match(result.stderr, /known_hosts is empty: the backup host's key must be pinned \(backupHostKey\) before any data moves/);
    });

    it("backs up over SSH once the right host key is pinned", () => {
        writeFileSync(path.join(vmDir, "known_hosts"), knownHosts(target, process.env.BK_HOST_KEY!));
        must(script("init"), "init");
        for (let i = 0; i < 2; i++) assert.match(must(script("files", "--source", path.join(dir, "uploads")), "files"), /saved as uploads-/);
        assert.equal(must(vmBorg("list", "--short"), "list").split("\n").filter(Boolean).length, 2);
        assert.ok(accepted() >= 3);
    });

    it("cannot reach a repository other than its own", () => {
        const other = vmBorg("list", `ssh://root@${HOST}:22${hostDir}/repos/db`);
        assert.notEqual(other.status, 0);
        assert.match(other.stderr, /Repository path not allowed/);
    });

    it("cannot delete history with the VM's key: the delete is only appended, and the backup host rolls it back", () => {
        const [first] = must(vmBorg("list", "--short"), "list").split("\n").filter(Boolean);
        const original = must(vmBorg("extract", "--stdout", `::${first}`), "extract before");
        const segmentsBefore = segments();
        const transactionsFile = path.join(repoPath, "transactions");
        const goodTransactions = readFileSync(transactionsFile, "utf8").trim().split("\n");
        const lastGood = Number(/transaction (\d+)/.exec(goodTransactions[goodTransactions.length - 1])![1]);
        const whole = vmBorg("delete", "--force", "::");
        assert.notEqual(whole.status, 0, "deleting the whole repository is refused");
        // A compromised VM deletes an archive and compacts: Borg reports success...
        must(vmBorg("delete", `::${first}`), "delete with the VM key");
        must(vmBorg("compact"), "compact with the VM key");
        assert.ok(!must(vmBorg("list", "--short"), "list").includes(first));
        // ...but no segment is gone: the history is still on the backup host's disk.
        for (const segment of segmentsBefore) assert.ok(segments().includes(segment), `segment ${segment} still there`);
        // The backup host's rollback (docs/operating.md): set aside what came after the last good transaction.
        assert.ok(readFileSync(transactionsFile, "utf8").trim().split("\n").length > goodTransactions.length, "the delete is a transaction of its own");
        const quarantine = path.join(hostDir, "quarantine");
        mkdirSync(quarantine);
        for (const segment of segments()) if (Number(segment) > lastGood) renameSync(path.join(repoPath, "data", "0", segment), path.join(quarantine, segment));
        for (const file of readdirSync(repoPath)) if (/^(index|hints|integrity)\.\d+$/.test(file) && Number(file.split(".")[1]) > lastGood) renameSync(path.join(repoPath, file), path.join(quarantine, file));
        writeFileSync(transactionsFile, goodTransactions.join("\n") + "\n");
        must(sh("borg", ["check", "--repository-only", repoPath]), "repository check on the backup host");
        // The VM forgets its newer view of the repository (cache and manifest replay protection).
        const repoId = /^id = (\w+)$/m.exec(readFileSync(path.join(repoPath, "config"), "utf8"))![1];
        rmSync(path.join(vmDir, "borg", ".cache", "borg", repoId), { recursive: true, force: true });
        rmSync(path.join(vmDir, "borg", ".config", "borg", "security", repoId), { recursive: true, force: true });
        assert.ok(must(vmBorg("list", "--short"), "list after rollback").includes(first), "the deleted archive is back");
        assert.equal(must(vmBorg("extract", "--stdout", `::${first}`), "extract after rollback"), original);
    });

    it("frees space only with the backup host's prune key (no --append-only)", () => {
        const rsh = `ssh -i ${process.env.BK_PRUNE_KEY} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${path.join(vmDir, "known_hosts")}`;
        const prune = (...args: string[]) =>
            inVm(["borg", ...args], { BORG_RSH: rsh, BORG_BASE_DIR: path.join(dir, "prune-base"), BORG_PASSPHRASE: readFileSync(path.join(vmDir, "passphrase"), "utf8") });
        const repo = `ssh://root@${HOST}:22${repoPath}`;
        const before = segments();
        must(prune("prune", "--glob-archives", "uploads-*", "--keep-last", "1", repo), "prune");
        must(prune("compact", repo), "compact");
        assert.equal(must(prune("list", "--short", repo), "list").split("\n").filter(Boolean).length, 1);
        assert.ok(before.some((segment) => !segments().includes(segment)), "old segments are gone: the space is freed");
        assert.equal(hostLocal("list", repoPath).status, 0);
    });
});
