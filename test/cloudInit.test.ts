// The user-data the program uploads, checked by Debian's real cloud-init validator and against
// cloud-init's own JSON schema (the validator lets unknown keys through, so those are checked here).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";

const SCHEMA = "/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json";

let run: ProgramRun;
let snippets: { role: string; text: string; data: any }[];
const dir = mkdtempSync(path.join(tmpdir(), "elabftw-cloud-init-"));

function cloudInitSchema(text: string, name: string) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
}

before(async () => {
    run = await runProgram();
    snippets = ["web", "db"].map((role) => {
        const text: string = run.one("proxmoxve:index/fileLegacy:FileLegacy", `-${role}-user-data`).inputs.sourceRaw.data;
        return { role, text, data: parse(text) };
    });
});

describe("cloud-init user-data", () => {
    it("passes `cloud-init schema` for both VMs", () => {
        for (const { role, text } of snippets) {
            const result = cloudInitSchema(text, `${role}.yaml`);
            assert.equal(result.error, undefined, "cloud-init must be installed (.ci/run installs it)");
            assert.equal(result.status, 0, `${role}: ${result.stdout}${result.stderr}`);
            assert.match(result.stdout, /Valid cloud-config/);
        }
    });

    it("is refused by the same validator when broken (the check can fail)", () => {
        const broken = snippets[0].text.replace("ssh_pwauth: false", "ssh_pwauth: [not, a, boolean]");
        assert.notEqual(broken, snippets[0].text);
        assert.notEqual(cloudInitSchema(broken, "broken.yaml").status, 0);
    });

    it("uses only keys that cloud-init's schema defines (unknown keys would be ignored silently)", () => {
        const schema = JSON.parse(readFileSync(SCHEMA, "utf8"));
        const topLevel = new Set<string>(
            schema.allOf.flatMap((entry: any) => Object.keys(schema.$defs[entry.$ref.split("/").pop()].properties ?? {})),
        );
        const userKeys = new Set(Object.keys(schema.$defs["users_groups.user"].properties));
        const fileKeys = new Set(Object.keys(schema.$defs.cc_write_files.properties.write_files.items.properties));
        for (const { role, data } of snippets) {
            for (const key of Object.keys(data)) assert.ok(topLevel.has(key), `${role}: unknown top-level key ${key}`);
            for (const user of data.users) for (const key of Object.keys(user)) assert.ok(userKeys.has(key), `${role}: unknown user key ${key}`);
            for (const file of data.write_files) for (const key of Object.keys(file)) assert.ok(fileKeys.has(key), `${role}: unknown write_files key ${key}`);
        }
    });

    it("creates the administrator with SSH keys only: no password anywhere, root and password logins off", () => {
        for (const { data, text } of snippets) {
            assert.deepEqual(data.users.map((u: any) => u.name), ["elabadmin"]);
            const [admin] = data.users;
            assert.equal(admin.lock_passwd, true);
            for (const key of ["passwd", "plain_text_passwd", "hashed_passwd"]) assert.equal(admin[key], undefined);
            assert.equal(data.chpasswd, undefined);
            assert.equal(data.password, undefined);
            assert.equal(data.ssh_pwauth, false);
            assert.equal(data.disable_root, true);
            const sshd = data.write_files.find((f: any) => f.path.startsWith("/etc/ssh/sshd_config.d/")).content;
            for (const line of ["PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "AllowUsers elabadmin", "AllowTcpForwarding no"]) {
                assert.ok(sshd.split("\n").includes(line), `sshd lacks "${line}"`);
            }
            assert.doesNotMatch(text, /BEGIN [A-Z ]*PRIVATE KEY/);
        }
    });

    it("installs Debian's Docker engine, LUKS with TPM2 unlocking, the guest agent, rsyslog, Borg and unattended upgrades", () => {
        for (const { data } of snippets) {
            for (const pkg of ["docker.io", "curl", "nftables", "cryptsetup", "systemd-cryptsetup", "tpm2-tools", "qemu-guest-agent", "rsyslog", "borgbackup", "unattended-upgrades"]) {
                assert.ok(data.packages.includes(pkg), `missing package ${pkg}`);
            }
            assert.equal(data.package_upgrade, true);
            assert.equal(data.timezone, "Europe/Paris");
        }
    });

    it("keeps Docker's data on the encrypted disk and off until that disk is mounted; no swap", () => {
        for (const { data } of snippets) {
            const file = (p: string) => data.write_files.find((f: any) => f.path === p)?.content as string;
            assert.equal(JSON.parse(file("/etc/docker/daemon.json"))["data-root"], "/srv/elabftw/docker");
            const dropIn = file("/etc/systemd/system/docker.service.d/10-data-disk.conf");
            assert.match(dropIn, /^ConditionPathIsMountPoint=\/srv\/elabftw$/m);
            assert.match(dropIn, /^RequiresMountsFor=\/srv\/elabftw$/m);
            assert.deepEqual(data.swap, { size: 0 });
            assert.ok(data.runcmd.some((c: string[]) => c.join(" ") === "systemctl mask --now swap.target"));
        }
    });

    it("sends apt and Docker through the unit's proxy, except for the server subnet", () => {
        for (const { data } of snippets) {
            assert.deepEqual(data.apt, { http_proxy: "http://10.20.60.8:3128", https_proxy: "http://10.20.60.8:3128" });
            const daemon = JSON.parse(data.write_files.find((f: any) => f.path === "/etc/docker/daemon.json").content);
            assert.deepEqual(daemon.proxies, { "http-proxy": "http://10.20.60.8:3128", "https-proxy": "http://10.20.60.8:3128", "no-proxy": "localhost,127.0.0.1,10.20.30.0/24" });
        }
    });

    it("forwards logs to the unit's syslog server on 514/udp", () => {
        for (const { data } of snippets) {
            const forward = data.write_files.find((f: any) => f.path.startsWith("/etc/rsyslog.d/")).content;
            assert.match(forward, /target="10\.20\.60\.5" port="514" protocol="udp"/);
        }
    });
});
