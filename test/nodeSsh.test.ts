// The provider's SSH user on a Proxmox node, for real: `npm run proxmox-acl`'s node commands run
// as root on this machine (real useradd, real sudo and visudo from Debian), then the user does what
// bpg's file upload does (`sudo -n /usr/bin/tee <snippet path>` with the file on stdin, after the
// `sudo -n /usr/sbin/pvesm apiinfo` probe) and what an attacker holding its key would try.
// Stand-ins for pvesm, which exists only on Proxmox: `pvesm path` as a shell function giving what
// pve-storage's dir plugin gives for a snippets volume (`<storage path>/snippets/<file>`,
// Plugin.pm get_subdir) under a scratch directory; /usr/sbin/pvesm, put there for the test when
// absent and removed after, printing `pvesm apiinfo`'s two lines (APIVER, APIAGE; pvesm.pm), so
// that sudo resolves the command and the provider's probe reads APIVER. Needs root, like the rest of
// npm test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { nodeUserScript, snippetUploads } from "../components/vm/nodeSsh";
import { graphOf } from "./support/twoRuns";

const USER = "elabftw-sudotest";
const PVESM = "/usr/sbin/pvesm";
let pvesmStandIn = false;
const SUDOERS = `/etc/sudoers.d/${USER}`;
const storage = mkdtempSync(path.join(tmpdir(), "elabftw-pve-local-"));
const snippets = path.join(storage, "snippets");

/** The script's node part as a root shell runs it, with the pvesm stand-in (storage `local` at `dir`). */
function runAsRoot(script: string, dir = snippets) {
    const pvesm = `pvesm() { [ "$1" = path ] || return 1; case $2 in local:snippets/*) echo "${dir}/\${2#local:snippets/}";; *) echo "storage '\${2%%:*}' does not exist" >&2; return 1;; esac; }`;
    return spawnSync("bash", ["-c", `${pvesm}\n${script}`], { encoding: "utf8" });
}

/** A command as the SSH user, through sudo without a password, as the provider runs it. */
const asUser = (argv: string[], input = "") => spawnSync("runuser", ["-u", USER, "--", "sudo", "-n", ...argv], { input, encoding: "utf8" });
const allowed = (argv: string[]) => spawnSync("sudo", ["-l", "-U", USER, ...argv], { encoding: "utf8" }).status === 0;

let volumes: string[];
before(() => {
    const uploads = snippetUploads(graphOf({}, true).resources.filter((r) => r.custom));
    assert.deepEqual([...uploads.keys()], ["pve1"]);
    volumes = uploads.get("pve1")!;
    // As on a node: /var/lib/vz/snippets is root's, mode 755, so the user reads but does not write.
    chmodSync(storage, 0o755);
    mkdirSync(snippets, { mode: 0o755 });
    if (!existsSync(PVESM)) {
        writeFileSync(PVESM, '#!/bin/sh\n[ "$1" = apiinfo ] && printf "APIVER 11\\nAPIAGE 2\\n" && exit 0\necho "pvesm stand-in: $*" >&2; exit 2\n', { mode: 0o755 });
        pvesmStandIn = true;
    }
});
after(() => {
    spawnSync("userdel", ["--remove", USER]);
    rmSync(SUDOERS, { force: true });
    rmSync(`${SUDOERS}.new`, { force: true });
    rmSync(storage, { recursive: true, force: true });
    if (pvesmStandIn) rmSync(PVESM, { force: true });
});

describe("the provider's SSH user on a node (real sudo)", () => {
    it("is created with a sudoers file that visudo accepts, and a second run changes nothing", () => {
        assert.equal(volumes.length, 4);
        const script = nodeUserScript(USER, volumes);
        const first = runAsRoot(script);
        assert.equal(first.status, 0, first.stderr);
        assert.equal(statSync(SUDOERS).mode & 0o777, 0o440);
        const rules = readFileSync(SUDOERS, "utf8");
        assert.equal(rules.trim().split("\n").length, 5, rules);
        const again = runAsRoot(script);
        assert.equal(again.status, 0, again.stderr);
        assert.equal(readFileSync(SUDOERS, "utf8"), rules);
    });

    it("uploads a snippet the way the provider does: sudo probe, tee as root, read back as the user", () => {
        assert.ok(allowed([PVESM, "apiinfo"]), "the provider's sudo probe");
        assert.match(asUser([PVESM, "apiinfo"]).stdout, /^APIVER /m, "the probe reads APIVER, so the provider uses sudo");
        const target = path.join(snippets, "demo-elabftw-web-user-data.yaml");
        const upload = asUser(["/usr/bin/tee", target], "#cloud-config\nhostname: demo-elabftw-web\n");
        assert.equal(upload.status, 0, upload.stderr);
        assert.equal(readFileSync(target, "utf8"), "#cloud-config\nhostname: demo-elabftw-web\n");
        assert.equal(statSync(target).uid, 0, "written by root");
        const readBack = spawnSync("runuser", ["-u", USER, "--", "cat", target], { encoding: "utf8" });
        assert.equal(readBack.status, 0, "the provider checks the size over SFTP as the user");
        const direct = spawnSync("runuser", ["-u", USER, "--", "sh", "-c", `echo x > ${target}`], { encoding: "utf8" });
        assert.notEqual(direct.status, 0, "without sudo the user cannot write the snippets");
    });

    it("refuses everything else as root: another file, a second file, an option, another pvesm command, a shell", () => {
        const mine = path.join(snippets, "demo-elabftw-db-meta-data.yaml");
        const other = path.join(snippets, "other-unit-elabftw-web-user-data.yaml");
        for (const argv of [
            ["/usr/bin/tee", other],
            ["/usr/bin/tee", "/etc/sudoers.d/evil"],
            ["/usr/bin/tee", mine, "/etc/sudoers.d/evil"],
            ["/usr/bin/tee", "-a", mine],
            ["/usr/bin/tee", `${snippets}/../../etc/evil`],
            [PVESM, "set", "local", "--content", "images"],
            ["/bin/bash"],
        ]) {
            assert.ok(!allowed(argv), `allowed: ${argv.join(" ")}`);
            const tried = asUser(argv, "x\n");
            assert.notEqual(tried.status, 0, `ran as root: ${argv.join(" ")}`);
        }
        assert.ok(!existsSync("/etc/sudoers.d/evil") && !existsSync(other));
    });

    it("stops before writing any rule when a path would not be one sudo argument, or a volume does not exist", () => {
        rmSync(SUDOERS, { force: true });
        const spaced = runAsRoot(nodeUserScript(USER, volumes), "/mnt/my storage/snippets");
        assert.match(spaced.stderr, /unexpected path \/mnt\/my storage\/snippets\//);
        assert.equal(existsSync(SUDOERS), false);
        assert.equal(existsSync(`${SUDOERS}.new`), false, "the half-written file is removed");
        const missing = runAsRoot(nodeUserScript(USER, ["cephfs:snippets/x.yaml"]));
        assert.match(missing.stderr, /storage 'cephfs' does not exist/);
        assert.equal(existsSync(SUDOERS), false);
    });

    it("would be root through the wildcard rule the provider's documentation suggests: hence full paths", () => {
        // bpg docs/index.md: tee /var/lib/vz/snippets/[a-zA-Z0-9_][a-zA-Z0-9_.-]* (here on the scratch storage).
        writeFileSync(SUDOERS, `${USER} ALL=(root) NOPASSWD: /usr/bin/tee ${snippets}/[a-zA-Z0-9_][a-zA-Z0-9_.-]*\n`, { mode: 0o440 });
        assert.equal(spawnSync("visudo", ["-cqf", SUDOERS]).status, 0);
        assert.ok(allowed(["/usr/bin/tee", path.join(snippets, "aa"), "/etc/sudoers.d/evil"]), "sudo's * also matches spaces: a second file");
        rmSync(SUDOERS);
    });
});
