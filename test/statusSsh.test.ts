// npm run status end to end: the tool runs in an admin-network namespace and reaches both VM
// addresses of Pulumi.dev.yaml on a real sshd in another namespace, as adminUser, with the host key
// pinned; the status script runs there for real (this host is no VM, so most checks fail, which is
// what the tool must report). A changed host key stops the connection before any login.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../components/config";
import { projectKeys, readStackConfig, REPO } from "../components/config/stackFile";
import { run } from "./support/statusWorld";

const config = validateConfig(projectKeys(readStackConfig("Pulumi.dev.yaml"))).config;
const ADMIN = `sa-${process.pid}`;
const VMS = `sv-${process.pid}`;
let dir: string;
let sshd: ReturnType<typeof spawn>;
const at = (file: string) => path.join(dir, file);
const inNs = (ns: string, ...args: string[]) => run("nsenter", [`--net=/run/netns/${ns}`, ...args]);

before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "elabftw-status-ssh-"));
    for (const key of ["host", "other-host", "admin"]) run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", at(key)]);
    writeFileSync(at("authorized_keys"), readFileSync(at("admin.pub")));
    run("ip", ["netns", "add", ADMIN]);
    run("ip", ["netns", "add", VMS]);
    run("ip", ["link", "add", `a${process.pid}`, "netns", ADMIN, "type", "veth", "peer", "name", `v${process.pid}`, "netns", VMS]);
    const adminAddress = config.endpoints.adminNetwork.replace(/\d+\/\d+$/, "2");
    inNs(ADMIN, "ip", "addr", "add", `${adminAddress}/32`, "dev", `a${process.pid}`);
    for (const ns of [ADMIN, VMS]) inNs(ns, "ip", "link", "set", "lo", "up");
    inNs(ADMIN, "ip", "link", "set", `a${process.pid}`, "up");
    inNs(VMS, "ip", "link", "set", `v${process.pid}`, "up");
    for (const vm of [config.vms.web, config.vms.db]) inNs(VMS, "ip", "addr", "add", `${vm.address}/32`, "dev", `v${process.pid}`);
    inNs(ADMIN, "ip", "route", "add", `${config.vms.web.address}/31`, "dev", `a${process.pid}`);
    inNs(VMS, "ip", "route", "add", config.endpoints.adminNetwork, "dev", `v${process.pid}`);
    // The VMs' admin account, uid 0 so the script's sudo runs without a password: in sshd's own mount
    // namespace only (a passwd bind-mounted over /etc/passwd there); the host's accounts are untouched.
    writeFileSync(at("passwd"), `${readFileSync("/etc/passwd", "utf8")}${config.admin.user}:x:0:0:test admin:${dir}:/bin/bash\n`);
    writeFileSync(at("sshd_config"), [`HostKey ${at("host")}`, `AuthorizedKeysFile ${at("authorized_keys")}`, `AllowUsers ${config.admin.user}`, "PermitRootLogin yes",
        "PasswordAuthentication no", "UsePAM no", "StrictModes no", `PidFile ${at("sshd.pid")}`, ""].join("\n"));
    writeFileSync(at("sshd.log"), "");
    run("mkdir", ["-p", "/run/sshd"]);
    sshd = spawn("nsenter", [`--net=/run/netns/${VMS}`, "unshare", "-m", "sh", "-c", `mount --bind ${at("passwd")} /etc/passwd && exec /usr/sbin/sshd -D -e -f ${at("sshd_config")}`], // sshd's log straight into a file: the test reads it while its own event loop waits on the tool.
        { stdio: ["ignore", "ignore", openSync(at("sshd.log"), "a")] });
    for (let i = 0; i < 50 && !readFileSync(at("sshd.log"), "utf8").includes("Server listening"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(readFileSync(at("sshd.log"), "utf8"), /Server listening/);
});

after(() => {
    sshd?.kill();
    for (const ns of [ADMIN, VMS]) spawnSync("ip", ["netns", "delete", ns]);
});

function status(hostKey: string, ...extra: string[]) {
    const line = readFileSync(at(`${hostKey}.pub`), "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(at("known_hosts"), `${config.vms.web.address} ${line}\n${config.vms.db.address} ${line}\n`);
    return spawnSync("nsenter", [`--net=/run/netns/${ADMIN}`, process.execPath, "--import", "tsx", "tools/status.ts", "--stack", "Pulumi.dev.yaml",
        "--known-hosts", at("known_hosts"), "--identity", at("admin"), ...extra], { cwd: REPO, encoding: "utf8", timeout: 120_000 });
}

describe("npm run status over SSH", () => {
    it("reaches both VMs as adminUser with the pinned key and prints their checks; exit 2 on failures", () => {
        const result = status("host", "--json");
        assert.equal(result.status, 2, result.stderr);
        const report = JSON.parse(result.stdout);
        assert.deepEqual(report.unreachable, []);
        const vms = new Set(report.checks.map((c: { vm: string }) => c.vm));
        assert.deepEqual([...vms].sort(), ["db", "web"]);
        const web = report.checks.filter((c: { vm: string }) => c.vm === "web").map((c: { check: string }) => c.check);
        const db = report.checks.filter((c: { vm: string }) => c.vm === "db").map((c: { check: string }) => c.check);
        for (const check of ["data-mount", "docker", "container-elabftw", "healthcheck", "elabftw-db-tls", "archive-uploads", "cert-site", "time-sync"]) assert.ok(web.includes(check), check);
        for (const check of ["container-mysql", "mysql-tls", "archive-db", "restore-drill", "cert-db", "cert-operator", "nftables"]) assert.ok(db.includes(check), check);
        const log = readFileSync(at("sshd.log"), "utf8");
        assert.equal(log.match(new RegExp(`Accepted publickey for ${config.admin.user} from ${config.endpoints.adminNetwork.replace(/\d+\/\d+$/, "2")}`, "g"))?.length, 2, log);
        const table = status("host");
        assert.match(table.stdout, /^VM +CHECK +STATE +DETAIL +SINCE$/m);
        assert.match(table.stdout, /^db +data-mount +FAIL +\/srv\/elabftw is not mounted/m);
    });

    it("refuses a VM whose host key is not the pinned one, before logging in (exit 3)", () => {
        writeFileSync(at("sshd.log"), "");
        const result = status("other-host");
        assert.equal(result.status, 3, result.stdout + result.stderr);
        assert.match(result.stdout, /^web: NOT REACHED: .*Host key verification failed/m);
        assert.match(result.stdout, /^db: NOT REACHED: /m);
        assert.doesNotMatch(readFileSync(at("sshd.log"), "utf8"), /Accepted publickey/);
    });
});
