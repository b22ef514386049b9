// backupTarget and backupHostKey can never run code: a corpus of hostile values goes through the
// real validator; each value it accepts then goes through the real borg.env writer, the real
// scripts (which read borg.env without sourcing it) and the real forced command of the backup
// host's authorized_keys, run by bash as sshd would. A canary file shows whether anything ran.
// Stand-in: `borg` on PATH records its argv (the backup host's Borg, for the forced command, and
// the VM's, for the scripts), so the words each receives are checked exactly.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { authorizedKeyLine, borgEnvironment } from "../components/backup/backupPlan";
import { ConfigError, parseBackupTarget, validateConfig } from "../components/config";
import { SCRIPTS_DIR } from "../components/vm/remoteScript";
import { projectKeys, readStackConfig } from "./support/stackConfig";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-hostile-"));
const canary = path.join(dir, "canary");
const argvLog = path.join(dir, "argv");
writeFileSync(path.join(dir, "borg"), `#!/bin/bash\nprintf '%s\\n' "$@" > ${argvLog}\nexit 3\n`);
chmodSync(path.join(dir, "borg"), 0o755);
const shimEnv = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
after(() => rmSync(dir, { recursive: true, force: true }));

const dev = projectKeys(readStackConfig());
const touch = `touch ${canary}`;
const HOSTILE_FRAGMENTS = [`$(${touch})`, `\`${touch}\``, `;${touch};#`, `|${touch}`, `&&${touch}`, `'${touch}'`, `"${touch}"`, `\\$(${touch})`, `\n${touch}`, "\0", "%n%s", " x", "/../../etc", "${IFS}", "A".repeat(5000)];
const corpus = (prefix: string) => HOSTILE_FRAGMENTS.map((f) => `${prefix}${f}`);

function validate(key: string, value: string): { accepted: true } | { accepted: false; message: string } {
    try {
        validateConfig({ ...dev, [key]: value });
        return { accepted: true };
    } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        return { accepted: false, message: error.message };
    }
}

describe("hostile backup settings", () => {
    it("backupTarget: the validator refuses every hostile value, naming the key and the fix", () => {
        const values = [...corpus("/mnt/borg/"), ...corpus("ssh://borg@10.20.60.20:22/./elabftw"), ...corpus("ssh://borg@10.20.60.20"), `ssh://b$(${touch})@10.20.60.20/x`, "ssh://borg@10.20.60.20:22/../etc"];
        for (const value of values) {
            const result = validate("backupTarget", value);
            assert.equal(result.accepted, false, JSON.stringify(value));
            if (!result.accepted) {
                assert.match(result.message, /elabftw-onprem:backupTarget = /);
                assert.match(result.message, /Fix: pulumi config set backupTarget ssh:\/\/borg@<backup host IPv4>\/\.\/elabftw/);
            }
        }
        assert.equal(existsSync(canary), false);
    });

    it("backupTarget: what it accepts reaches borg.env, the scripts and the forced command as plain words", () => {
        const accepted = ["/mnt/borg/elabftw", "/mnt/borg/-rf", "/srv/.x/a_b-c.d", "ssh://borg@10.20.60.20:22/./elabftw", "ssh://borg_1@10.20.60.20:2222/srv/--help"];
        for (const value of accepted) {
            assert.deepEqual(validate("backupTarget", value), { accepted: true }, value);
            const target = parseBackupTarget(value);
            for (const role of ["web", "db"] as const) {
                const envFile = path.join(dir, "borg.env");
                writeFileSync(envFile, borgEnvironment(target, role, dir));
                writeFileSync(path.join(dir, "known_hosts"), "10.20.60.20 ssh-ed25519 AAAA\n");
                rmSync(argvLog, { force: true });
                const run = spawnSync("bash", [path.join(SCRIPTS_DIR, "elabftw-backup.sh"), "check", "--env-file", envFile], { encoding: "utf8", env: shimEnv });
                assert.equal(run.status, 1, run.stderr);
                const borgArgs = readFileSync(argvLog, "utf8").split("\n");
                assert.deepEqual(borgArgs.slice(0, 3), ["--lock-wait", "900", "check"], value);
                if (target.kind === "ssh") {
                    const line = authorizedKeyLine(target, role, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBh1GxCkAO9AwNQjZJ5XiA2LZ8fvrUYL9o5BLNo8RhaP", "c");
                    const forced = /^command="([^"]*)",restrict /.exec(line)![1];
                    rmSync(argvLog, { force: true });
                    spawnSync("bash", ["-c", forced], { env: shimEnv });
                    const expected = `${target.path.replace(/^\/\.\//, "")}/${role === "db" ? "db" : "uploads"}`;
                    assert.deepEqual(readFileSync(argvLog, "utf8").trimEnd().split("\n"), ["serve", "--append-only", "--restrict-to-repository", expected]);
                }
            }
        }
        assert.equal(existsSync(canary), false);
    });

    it("borg.env is read, never run: a hand-edited file with shell syntax is refused by line and name", () => {
        const lines = [
            `BORG_REPO=$(${touch})`,
            `BORG_REPO='$(${touch})'`,
            `BORG_REPO="/x"; ${touch}`,
            `BORG_REPO='/x';${touch}`,
            `BORG_REPO='/x\`${touch}\`'`,
            "BORG_REPO='/x\\'",
            `BASH_ENV='${canary}'`,
            "PATH='/tmp'",
            `export BORG_REPO='/x'`,
            `${touch}`,
        ];
        for (const line of lines) {
            const envFile = path.join(dir, "hostile.env");
            writeFileSync(envFile, `# hand-edited\nBACKUP_PASSPHRASE_FILE='/x/passphrase'\n${line}\n`);
            const run = spawnSync("bash", [path.join(SCRIPTS_DIR, "elabftw-backup.sh"), "check", "--env-file", envFile], { encoding: "utf8", env: shimEnv });
            assert.equal(run.status, 1, line);
            assert.match(run.stderr, /hostile\.env line 3 (is not KEY='value' with a plain value|sets \w+, which the backup scripts do not read): refusing the file/, line);
        }
        assert.equal(existsSync(canary), false);
    });

    it("the borg.env writer refuses a value outside the safe set even if the validator were bypassed", () => {
        assert.throws(() => borgEnvironment({ kind: "filer", path: `/mnt/$(${touch})` }, "web"), /BORG_REPO holds a character outside/);
    });

    it("backupHostKey: one line of an OpenSSH public key, nothing else", () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBh1GxCkAO9AwNQjZJ5XiA2LZ8fvrUYL9o5BLNo8RhaP";
        // A private key pasted by mistake, made here: refused, and never echoed.
        const privateKey = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
        assert.deepEqual(validate("backupHostKey", `${key} root@backup`), { accepted: true });
        for (const value of [`${key}\n10.0.0.1 ${key}`, `${key} $(${touch})`, `${key} a;b`, `@cert-authority * ${key}`, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBh1Gx", privateKey]) {
            const result = validate("backupHostKey", value);
            assert.equal(result.accepted, false, value);
            if (!result.accepted) {
                assert.match(result.message, /elabftw-onprem:backupHostKey = [\s\S]*Fix: pulumi config set backupHostKey/);
                assert.ok(!result.message.includes(privateKey.split("\n")[1]), "the private key is not echoed");
            }
        }
        const missing = validate("backupHostKey", "");
        assert.equal(missing.accepted, false);
        const without = { ...dev };
        delete without.backupHostKey;
        assert.throws(() => validateConfig(without), /backupHostKey \(not set\): is not set, and backupTarget is an ssh:\/\/ repository/);
    });
});
