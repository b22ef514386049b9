// The scripts that run on the VMs, run for real: shellcheck on all of them, and the LUKS
// formatting on a file-backed disk image with the real cryptsetup (device-mapper is absent here,
// so the volume is checked with --test-passphrase rather than opened).
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SCRIPTS_DIR, scriptCommand } from "../components/vm/remoteScript";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-scripts-"));
const PASSPHRASE = "Recovery0Passphrase0For0Tests0Only0123456789abc";

function sh(commandLine: string, stdin = ""): SpawnSyncReturns<string> {
    return spawnSync("/bin/sh", ["-c", commandLine], { input: stdin, encoding: "utf8" });
}

function cryptsetup(args: string[], stdin = ""): SpawnSyncReturns<string> {
    return spawnSync("cryptsetup", args, { input: stdin, encoding: "utf8" });
}

/** The command line the program sends over SSH, run here by a real shell (as root already, so without sudo). */
function luksFormat(device: string, crypttab: string, stdin: string): SpawnSyncReturns<string> {
    const line = scriptCommand("luks-format.sh", ["--device", device, "--name", "elabdata", "--tpm2", "no", "--crypttab", crypttab]);
    assert.ok(line.startsWith("sudo "));
    return sh(line.slice("sudo ".length), stdin);
}

function newImage(name: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, "");
    truncateSync(file, 64 * 1024 * 1024);
    return file;
}

/** SHA-256 of the LUKS2 header area (the first 16 MiB). */
function headerHash(file: string): string {
    const buffer = Buffer.alloc(16 * 1024 * 1024);
    const fd = openSync(file, "r");
    readSync(fd, buffer, 0, buffer.length, 0);
    closeSync(fd);
    return createHash("sha256").update(buffer).digest("hex");
}

describe("VM scripts", () => {
    it("are all shellcheck-clean", () => {
        const scripts = readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh"));
        assert.ok(scripts.length >= 3);
        // -x: follow each script's `. common.sh`, as it is sent ahead of the script.
        const result = spawnSync("shellcheck", ["--severity=style", "--external-sources", "--source-path=SCRIPTDIR", ...scripts.map((s) => path.join(SCRIPTS_DIR, s))], { encoding: "utf8" });
        assert.equal(result.error, undefined, "shellcheck must be installed (.ci/run installs it)");
        assert.equal(result.status, 0, result.stdout);
    });

    it("shellcheck does flag a faulty script (the check can fail)", () => {
        const bad = path.join(dir, "bad.sh");
        writeFileSync(bad, "#!/bin/bash\nrm -rf $1/*\n");
        assert.notEqual(spawnSync("shellcheck", [bad]).status, 0);
    });
});

describe("luks-format.sh on a file-backed disk", () => {
    const image = newImage("data.img");
    const crypttab = path.join(dir, "crypttab");

    it("formats an empty disk as LUKS2 that the recovery passphrase opens, and records it in crypttab", () => {
        const result = luksFormat(image, crypttab, PASSPHRASE);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /formatted .* as LUKS2/);
        assert.equal(cryptsetup(["isLuks", image]).status, 0);
        const dump = cryptsetup(["luksDump", image]).stdout;
        assert.match(dump, /^Version:\s+2$/m);
        assert.match(dump, /^Label:\s+elabdata$/m);
        assert.match(dump, /PBKDF:\s+argon2id/);
        assert.equal(cryptsetup(["open", "--test-passphrase", "--key-file=-", image], PASSPHRASE).status, 0);
        assert.notEqual(cryptsetup(["open", "--test-passphrase", "--key-file=-", image], PASSPHRASE.replace("Tests", "Tosts")).status, 0);
        const uuid = cryptsetup(["luksUUID", image]).stdout.trim();
        assert.equal(readFileSync(crypttab, "utf8"), `elabdata UUID=${uuid} none luks,discard,nofail\n`);
    });

    it("leaves the header untouched when run again, and does not duplicate the crypttab entry", () => {
        const before = headerHash(image);
        const crypttabBefore = readFileSync(crypttab, "utf8");
        const result = luksFormat(image, crypttab, PASSPHRASE);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /already holds LUKS; keeping it/);
        assert.equal(headerHash(image), before);
        assert.equal(readFileSync(crypttab, "utf8"), crypttabBefore);
    });

    it("refuses, without writing, when the passphrase given does not open the existing header", () => {
        const before = headerHash(image);
        const result = luksFormat(image, crypttab, "AnotherPassphraseOfEnoughLength123");
        assert.equal(result.status, 1);
        assert.match(result.stderr, /does not open it: refusing to touch it/);
        assert.equal(headerHash(image), before);
    });

    it("refuses to format a disk that holds another file system", () => {
        const ext4 = newImage("ext4.img");
        assert.equal(spawnSync("mkfs.ext4", ["-q", "-F", ext4]).status, 0);
        const before = headerHash(ext4);
        const result = luksFormat(ext4, path.join(dir, "crypttab-ext4"), PASSPHRASE);
        assert.equal(result.status, 1);
        assert.match(result.stderr, /holds data .*TYPE=ext4.*refusing to format it/);
        assert.equal(headerHash(ext4), before);
    });

    it("refuses a missing or short passphrase on stdin", () => {
        const empty = newImage("empty.img");
        const result = luksFormat(empty, path.join(dir, "crypttab-empty"), "short");
        assert.equal(result.status, 1);
        assert.match(result.stderr, /expected the recovery passphrase/);
        assert.notEqual(cryptsetup(["isLuks", empty]).status, 0);
    });

    it("rejects unknown arguments with its usage, sent over SSH or run from the checkout", () => {
        const remote = sh(scriptCommand("luks-format.sh", ["--device", "/dev/null", "--name", "elabdata", "--reformat", "yes"]).slice("sudo ".length));
        const local = sh(`bash ${path.join(SCRIPTS_DIR, "luks-format.sh")} --device /dev/null --name elabdata --reformat yes`);
        for (const result of [remote, local]) {
            assert.equal(result.status, 2);
            assert.match(result.stderr, /^usage: luks-format\.sh --device PATH --name NAME/);
        }
        const missing = sh(`bash ${path.join(SCRIPTS_DIR, "install-file.sh")} --path /tmp/x --owner 0:0`);
        assert.equal(missing.status, 2, "a required flag is missing");
    });
});

describe("install-file.sh", () => {
    const target = path.join(dir, "installed", "secrets", "password");
    const install = (content: string, mode = "0400") => sh(scriptCommand("install-file.sh", ["--path", target, "--owner", "999:999", "--mode", mode]).slice("sudo ".length), content);

    it("writes stdin to the file with the owner and mode asked, creating the folder", () => {
        const result = install("s3cret-from-stdin");
        assert.equal(result.status, 0, result.stderr);
        assert.equal(readFileSync(target, "utf8"), "s3cret-from-stdin");
        const stat = statSync(target);
        assert.equal(stat.mode & 0o777, 0o400);
        assert.equal(`${stat.uid}:${stat.gid}`, "999:999");
        assert.doesNotMatch(result.stdout + result.stderr, /s3cret/, "the content is never echoed");
    });

    it("replaces the content atomically on a second run and leaves no temporary file", () => {
        assert.equal(install("second-version", "0440").status, 0);
        assert.equal(readFileSync(target, "utf8"), "second-version");
        assert.equal(statSync(target).mode & 0o777, 0o440);
        assert.deepEqual(readdirSync(path.dirname(target)), ["password"]);
    });

    it("refuses empty content and a symbolic owner, keeping the old file", () => {
        assert.equal(install("").status, 1);
        const symbolic = sh(scriptCommand("install-file.sh", ["--path", target, "--owner", "mysql:mysql", "--mode", "0400"]).slice("sudo ".length), "x");
        assert.equal(symbolic.status, 1);
        assert.match(symbolic.stderr, /owner must be numeric/);
        assert.equal(readFileSync(target, "utf8"), "second-version");
    });
});

describe("luks-header-backup.sh on a file-backed disk (real cryptsetup)", () => {
    it("prints one line that restores a destroyed header, after which the passphrase opens the disk again", () => {
        const image = newImage("header-backup.img");
        assert.equal(luksFormat(image, path.join(dir, "crypttab-header"), PASSPHRASE).status, 0);
        const backup = sh(scriptCommand("luks-header-backup.sh", ["--device", image, "--work-dir", dir]).slice("sudo ".length));
        assert.equal(backup.status, 0, backup.stderr);
        const lines = backup.stdout.split("\n").filter(Boolean);
        assert.equal(lines.length, 1);
        assert.ok(lines[0].length < 2_000_000, `${lines[0].length} characters: too big for the state`);
        const restored = path.join(dir, "restored-header");
        writeFileSync(restored, gunzipSync(Buffer.from(lines[0], "base64")));
        // Destroy the header: the disk no longer opens.
        const fd = openSync(image, "r+");
        writeSync(fd, Buffer.alloc(4 * 1024 * 1024), 0, 4 * 1024 * 1024, 0);
        closeSync(fd);
        assert.notEqual(cryptsetup(["isLuks", image]).status, 0);
        assert.notEqual(cryptsetup(["open", "--test-passphrase", "--key-file=-", image], PASSPHRASE).status, 0);
        const restore = cryptsetup(["luksHeaderRestore", "--batch-mode", image, "--header-backup-file", restored]);
        assert.equal(restore.status, 0, restore.stderr);
        assert.equal(cryptsetup(["open", "--test-passphrase", "--key-file=-", image], PASSPHRASE).status, 0);
        assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("luks-header.")), [], "the temporary copy was left behind");
    });

    it("refuses a device without a LUKS header", () => {
        const result = sh(scriptCommand("luks-header-backup.sh", ["--device", newImage("plain.img"), "--work-dir", dir]).slice("sudo ".length));
        assert.equal(result.status, 1);
        assert.equal(result.stdout, "");
    });
});
