// grub-lock.sh, run for real (bash, grub-mkpasswd-pbkdf2, grub-script-check from Debian's
// grub-common) on a copy of Debian's /etc/grub.d: the lock it writes is valid GRUB script, the
// Debian entries stay bootable without the password, a second run changes nothing, and the random
// password is on no command line (a PATH shim records every program's argv). Booting GRUB to see
// the editor refused is not possible here: that part is GRUB's documented superusers behaviour.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { scriptCommand } from "../components/vm/remoteScript";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-grub-"));
const grubDir = path.join(dir, "grub.d");
const shims = path.join(dir, "path");

function run() {
    const line = scriptCommand("grub-lock.sh", ["--grub-dir", grubDir, "--update-command", "true"]).slice("sudo ".length);
    return spawnSync("/bin/sh", ["-c", line], { encoding: "utf8", env: { PATH: `${shims}:${process.env.PATH}` } });
}

describe("grub-lock.sh on a copy of Debian's /etc/grub.d", () => {
    before(() => {
        mkdirSync(grubDir);
        copyFileSync("/etc/grub.d/10_linux", path.join(grubDir, "10_linux"));
        mkdirSync(shims);
        for (const program of ["head", "base64", "grep", "sed", "chmod", "mv", "grub-mkpasswd-pbkdf2"]) {
            const real = spawnSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).stdout.trim();
            assert.ok(real, `${program} is missing (grub-common provides grub-mkpasswd-pbkdf2)`);
            // grub-mkpasswd-pbkdf2's shim also keeps what it reads, so the test knows the password.
            const body = program === "grub-mkpasswd-pbkdf2" ? `tee -a "${dir}/password-stdin" | ${real} "$@"` : `exec ${real} "$@"`;
            writeFileSync(path.join(shims, program), `#!/bin/bash\nprintf '%s ' ${program} "$@" >> "${dir}/argv.log"\necho >> "${dir}/argv.log"\n${body}\n`);
            chmodSync(path.join(shims, program), 0o755);
        }
    });

    it("writes a superuser with a random password nobody keeps, and leaves the Debian entries bootable", () => {
        const result = run();
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /editor is locked/);
        const lock = path.join(grubDir, "01_elabftw_lock");
        assert.equal(statSync(lock).mode & 0o777, 0o700);
        const emitted = spawnSync("/bin/sh", [lock], { encoding: "utf8" }).stdout;
        assert.match(emitted, /^set superusers="elabftw-lock"\npassword_pbkdf2 elabftw-lock grub\.pbkdf2\.sha512\.100000\.[0-9A-F]+\.[0-9A-F]+\n$/);
        writeFileSync(path.join(dir, "lock.cfg"), emitted);
        const check = spawnSync("grub-script-check", [path.join(dir, "lock.cfg")], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stderr);
        assert.match(readFileSync(path.join(grubDir, "10_linux"), "utf8"), /^CLASS="--class gnu-linux --class gnu --class os --unrestricted"$/m);
        const password = readFileSync(path.join(dir, "password-stdin"), "utf8").split("\n")[0];
        assert.ok(password.length >= 40);
        assert.ok(!readFileSync(path.join(dir, "argv.log"), "utf8").includes(password), "the password is on a command line");
        assert.ok(!emitted.includes(password) && !result.stdout.includes(password));
    });

    it("keeps the lock on a second run", () => {
        const before = readFileSync(path.join(grubDir, "01_elabftw_lock"), "utf8");
        const result = run();
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /already locked/);
        assert.equal(readFileSync(path.join(grubDir, "01_elabftw_lock"), "utf8"), before);
    });

    it("refuses a 10_linux it does not recognise instead of guessing", () => {
        writeFileSync(path.join(grubDir, "10_linux"), 'CLASS="--class other"\n');
        const result = run();
        assert.equal(result.status, 1);
        assert.match(result.stderr, /unexpected CLASS line/);
    });
});
