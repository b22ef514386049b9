// The database lifecycle scripts, run for real through the command lines the program sends, with a
// stand-in for `docker` (no Docker engine runs here): it records each call's arguments and runs
// `docker exec ... sh -c` code locally against a stand-in eLabFTW `bin/` that records its own.
// The stand-in bin/init reads --ask-password's answer as eLabFTW 5.6.12's db:install does (Symfony
// Console's QuestionHelper: one line from stdin, trimmed). Every other program the scripts start
// through PATH goes through a shim that records its argv, so a secret on any command line shows.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { scriptCommand } from "../components/vm/remoteScript";
import { SYSADMIN_PASSWORD_SPECIALS } from "../components/pki/secrets";

const PASSWORD = "Sysadmin-Pass.w0rd:Of=Test^Only";
let dir: string;

/** A fresh stand-in world: `docker` on PATH, eLabFTW's bin/init and bin/console, and their logs. */
beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "elabftw-db-scripts-"));
    mkdirSync(path.join(dir, "path"));
    mkdirSync(path.join(dir, "elabftw", "bin"), { recursive: true });
    const executable = (file: string, text: string) => {
        writeFileSync(file, text);
        chmodSync(file, 0o755);
    };
    // docker: log the arguments; `exec [-i] CONTAINER CMD...` runs CMD in the stand-in container folder.
    executable(
        path.join(dir, "path", "docker"),
        `#!/bin/bash\nprintf '%s\\n' "$*" >> "${dir}/docker.log"\n[ "$1" = exec ] || exit 0\nshift\n[ "$1" = -i ] && shift\nshift\ncd "${dir}/elabftw" && exec "$@"\n`,
    );
    // bin/init: fails the first INIT_FAILURES calls (MySQL still starting), then succeeds and, on a
    // fresh schema (INIT_KEY set), prints the sysadmin API key as db:install does. With
    // --ask-password it prompts on stderr and reads the answer from stdin, as Symfony does, and only
    // on a fresh schema: on an existing one db:install returns before asking, leaving stdin unread.
    executable(
        path.join(dir, "elabftw", "bin", "init"),
        `#!/bin/bash\nprintf '%s\\n' "$*" >> "${dir}/init.log"\ncount=$(wc -l < "${dir}/init.log")\n[ "$count" -gt "\${INIT_FAILURES:-0}" ] || exit 1\n` +
            `case " $* " in *" --ask-password "*) if [ -n "\${INIT_KEY:-}" ]; then printf '[?] Enter password: ' >&2; IFS= read -r answer || exit 1; ` +
            `printf '%s' "$answer" > "${dir}/received-password"; else exec 0<&-; fi ;; esac\n` +
            `if [ -n "\${INIT_KEY:-}" ]; then echo "Sysadmin key: $INIT_KEY"; else echo "Schema present: skipping"; fi\n`,
    );
    // argv recorder: every external program the scripts start through PATH.
    for (const program of ["mktemp", "grep", "sed", "head", "mkdir", "chmod", "mv", "dirname", "seq", "sleep", "rm", "cat", "sh"]) {
        const real = spawnSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).stdout.trim();
        executable(path.join(dir, "path", program), `#!/bin/bash\nprintf '%s ' "${program}" "$@" >> "${dir}/argv.log"\necho >> "${dir}/argv.log"\nexec ${real} "$@"\n`);
    }
    // bin/console: db:check exits CHECK_EXIT (1 = migrations pending).
    executable(
        path.join(dir, "elabftw", "bin", "console"),
        `#!/bin/bash\nprintf '%s\\n' "$*" >> "${dir}/console.log"\ncase "$*" in *db:check*) exit "\${CHECK_EXIT:-0}" ;; esac\n`,
    );
});

function runScript(script: string, args: string[], stdin = "", env: Record<string, string> = {}) {
    const line = scriptCommand(script, args).slice("sudo ".length);
    return spawnSync("/bin/sh", ["-c", line], { input: stdin, encoding: "utf8", env: { PATH: `${dir}/path:${process.env.PATH}`, ...env } });
}
const log = (name: string) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), "utf8") : "");
const keyFile = () => path.join(dir, "secrets", "sysadmin-api-key");
const installArgs = () => ["--container", "elabftw", "--email", "admin@lab.example.org", "--firstname", "Marie", "--lastname", "Curie-Skłodowska", "--key-file", keyFile(), "--retry-delay", "0"];
// The shape of an eLabFTW API key (<id>-<hex>); made up for the test.
const API_KEY = `1-${"0123456789abcdef".repeat(5)}`;

describe("elabftw-db-install.sh", () => {
    it("creates the first sysadmin with the password on db:install's prompt, on no command line", () => {
        const result = runScript("elabftw-db-install.sh", installArgs(), PASSWORD, { INIT_KEY: API_KEY });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(log("init.log"), "db:install --email=admin@lab.example.org --firstname=Marie --lastname=Curie-Skłodowska --ask-password\n");
        assert.equal(log("received-password"), PASSWORD);
        assert.ok(log("argv.log").includes("mktemp"), "the argv recorder saw nothing");
        for (const file of ["docker.log", "init.log", "argv.log"]) assert.ok(!log(file).includes(PASSWORD), `the password is on a command line (${file})`);
        assert.ok(!`${result.stdout}${result.stderr}`.includes(PASSWORD), "the password is in the output Pulumi stores");
        assert.doesNotMatch(log("init.log"), / -r\b|--reset/);
    });

    it("accepts every password the program generates, one starting with '-' too", () => {
        const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${SYSADMIN_PASSWORD_SPECIALS}`;
        const passwords = [`-${PASSWORD}`, `--${PASSWORD}`, `${SYSADMIN_PASSWORD_SPECIALS}Aa1`, ...Array.from({ length: 8 }, () =>
            Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join(""))];
        for (const password of passwords) {
            const result = runScript("elabftw-db-install.sh", installArgs(), password, { INIT_KEY: API_KEY });
            assert.equal(result.status, 0, result.stderr);
            assert.equal(log("received-password"), password);
            for (const file of ["docker.log", "init.log", "argv.log"]) assert.ok(!log(file).includes(password), `${password} on a command line (${file})`);
        }
    });

    it("retries while the database is still starting", () => {
        const result = runScript("elabftw-db-install.sh", installArgs(), PASSWORD, { INIT_FAILURES: "2" });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(log("init.log").split("\n").filter(Boolean).length, 3);
        assert.match(result.stderr, /attempt 2 failed/);
    });

    it("gives up after the attempts, saying where to look", () => {
        const result = runScript("elabftw-db-install.sh", [...installArgs(), "--attempts", "3"], PASSWORD, { INIT_FAILURES: "99" });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /kept failing: check 'docker logs elabftw'/);
    });

    it("saves the sysadmin API key root-only and keeps it out of its output", () => {
        const result = runScript("elabftw-db-install.sh", installArgs(), PASSWORD, { INIT_KEY: API_KEY });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(readFileSync(keyFile(), "utf8"), `${API_KEY}\n`);
        assert.equal(statSync(keyFile()).mode & 0o777, 0o600);
        assert.ok(!`${result.stdout}${result.stderr}`.includes(API_KEY.slice(2)), "the API key is in the output Pulumi stores");
        assert.match(result.stdout, /Sysadmin key: \[sysadmin API key withheld\]/);
        assert.match(result.stdout, /saved to .*sysadmin-api-key \(root only\)/);
    });

    it("keeps the saved key when a rerun finds the schema and prints none", () => {
        assert.equal(runScript("elabftw-db-install.sh", installArgs(), PASSWORD, { INIT_KEY: API_KEY }).status, 0);
        const rerun = runScript("elabftw-db-install.sh", installArgs(), PASSWORD);
        assert.equal(rerun.status, 0, rerun.stderr);
        assert.equal(readFileSync(keyFile(), "utf8"), `${API_KEY}\n`);
        assert.doesNotMatch(rerun.stderr, /no sysadmin API key/);
    });

    it("says so when an existing schema leaves no API key on the VM", () => {
        const result = runScript("elabftw-db-install.sh", installArgs(), PASSWORD);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(existsSync(keyFile()), false);
        assert.match(result.stderr, /schema already existed, so no sysadmin API key was created/);
    });

    it("refuses to run without the password on stdin", () => {
        const result = runScript("elabftw-db-install.sh", installArgs(), "");
        assert.equal(result.status, 1);
        assert.equal(log("docker.log"), "");
    });
});

describe("elabftw-db-update.sh", () => {
    it("runs db:update then db:check, non-interactively", () => {
        const result = runScript("elabftw-db-update.sh", ["--container", "elabftw"]);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(log("console.log"), "--no-interaction db:update\n--no-interaction db:check\n");
    });

    it("fails loudly when db:check still reports pending migrations", () => {
        const result = runScript("elabftw-db-update.sh", ["--container", "elabftw"], "", { CHECK_EXIT: "1" });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /db:check still reports pending migrations/);
    });
});
