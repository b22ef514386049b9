// The pack's command models with their tricky forms, checked against the real software where it
// runs here: bash decides where a dump's output goes (a stand-in mysqldump that prints a marker,
// a stand-in borg that swallows its input), Borg 1.2 decides which init options encrypt (a marker
// archived, then looked for in the repository's segments: `borg info` calls authenticated modes
// "Encrypted: Yes" though they store data in clear), and bash
// runs elabimg's two DISABLE_HTTPS lines. The MySQL account model is checked on its own forms.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assignments, borgEnvironmentProblems, dumpLeaks, encryptingMode, repositoryCreations } from "../policies/models/borg";
import { dockerDataRoot, volumePaths } from "../policies/models/dockerContainer";
import { elabimgHttps } from "../policies/models/elabimg";
import { accountsAfter, oneLineSubject } from "../policies/models/mysqlAccounts";
import { cloudConfig, cronText, unitText } from "../policies/models/programText";
import { keyMaterial, secretAssignments } from "../policies/models/secrets";
import { effectiveCommand, pipelines } from "../policies/models/shell";

const DUMP_FORMS: [string, boolean][] = [
    ['mysqldump --single-transaction elabftw |\n    borg create ::db -', false],
    ['sudo docker exec -i mysql mysqldump elabftw 2>/dev/null | borg --lock-wait 5 create ::db -', false],
    ["mysqldump elabftw > dump.sql", true],
    ["mysqldump elabftw >>dump.sql", true],
    ["mysqldump elabftw 1>|dump.sql", true],
    ["mysqldump elabftw &> dump.sql", true],
    ["mysqldump elabftw 2>/dev/null | gzip > dump.sql.gz", true],
    ["mysqldump elabftw | tee dump.sql | borg create ::db -", true],
    ["bash -c 'mysqldump elabftw > dump.sql'", true],
    ["x=$(mysqldump elabftw | borg create ::db -) ; echo ok", false],
    ["cat <<EOF > notes.txt\nmysqldump elabftw > not-run.sql\nEOF", false],
    ["mysqldump elabftw # | borg create ::db -", true],
];

describe("shell model", () => {
    it("reads pipelines, wrappers and nested scripts as bash does", () => {
        const [p] = pipelines("A=1 sudo -u root env B=2 nice -n 5 docker exec -i mysql mysqldump db | borg create ::a -");
        assert.equal(p.stages.length, 2);
        const { env, argv } = effectiveCommand(p.stages[0]);
        assert.deepEqual([...env.keys()], ["A", "B"]);
        assert.deepEqual(argv, ["mysqldump", "db"]);
        const nested = pipelines(`sudo /bin/bash -c 'echo "a  b" | tee x' name arg`).map((q) => q.stages.map((s) => effectiveCommand(s).argv[0]));
        assert.deepEqual(nested, [["/bin/bash"], ["echo", "tee"]]);
        assert.deepEqual(pipelines("echo 'a\\' b\\\nc").map((q) => q.stages[0].words.map((w) => w.text)), [["echo", "a\\", "bc"]]);
    });

    it("finds where a dump goes, as bash sends it (a stand-in mysqldump and borg)", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "policies-dump-"));
        try {
            writeFileSync(path.join(dir, "mysqldump"), "#!/bin/sh\necho DUMP-MARKER\n");
            writeFileSync(path.join(dir, "borg"), "#!/bin/sh\ncat >/dev/null\n");
            writeFileSync(path.join(dir, "gzip"), "#!/bin/sh\ncat\n");
            for (const name of ["mysqldump", "borg", "gzip"]) chmodSync(path.join(dir, name), 0o755);
            for (const [script, leaks] of DUMP_FORMS) {
                const work = mkdtempSync(path.join(dir, "w"));
                const run = spawnSync("bash", ["-c", script.replace("sudo docker exec -i mysql ", "")], { cwd: work, encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
                const files = readdirSync(work).filter((f) => statSync(path.join(work, f)).isFile());
                const onDiskOrOut = run.stdout.includes("DUMP-MARKER") || files.some((f) => readFileSync(path.join(work, f), "utf8").includes("DUMP-MARKER"));
                assert.equal(onDiskOrOut, leaks, `bash: ${script}`);
                assert.equal(dumpLeaks(script).length > 0, leaks, `model: ${script} ${JSON.stringify(dumpLeaks(script))}`);
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads the dump tools' own file options (my_getopt forms)", () => {
        for (const s of ["mysqldump --result-file=/x db", "mysqldump --result-file /x db", "mysqldump -r/x db", "mysqldump -uroot -r /x db", "mariadb-dump -qr/x db", "mysqldump --tab=/d db", "mysqlpump -T /d"]) assert.equal(dumpLeaks(`${s} | borg create ::a -`).length, 1, s);
        assert.deepEqual(dumpLeaks("mysqldump -uroot -h db -P 3306 elabftw | borg create ::a -"), []);
        assert.deepEqual(dumpLeaks("mysqldump --version"), []);
    });
});

describe("Borg model", () => {
    const FORMS: [string, boolean | undefined][] = [
        ["--encryption=repokey-blake2", true],
        ["--encryption keyfile", true],
        ["-e repokey", true],
        ["-enone", false],
        ["--encryption=repokey-blake2 --encryption none", false],
        ["-e authenticated-blake2", false],
        ["", undefined],
    ];

    it("decides as Borg 1.2 does which init options encrypt", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "policies-borg-"));
        try {
            FORMS.forEach(([options, encrypts], i) => {
                const env = { ...process.env, BORG_BASE_DIR: path.join(dir, "base"), BORG_PASSPHRASE: "x", BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: "no" };
                const repo = path.join(dir, `r${i}`);
                const init = spawnSync("bash", ["-c", `borg init ${options} "$1"`, "init", repo], { env, encoding: "utf8" });
                const [creation] = repositoryCreations(`borg init ${options} ${repo}`);
                if (encrypts === undefined) {
                    assert.notEqual(init.status, 0, "borg refuses an init without --encryption");
                    assert.equal(creation.encryption, undefined);
                    return;
                }
                assert.equal(init.status, 0, init.stderr);
                // What Borg writes: is a marker file readable in the repository's segments?
                const marker = `MARKER-${i}-${"plaintext-".repeat(8)}`;
                writeFileSync(path.join(dir, "marker.txt"), marker);
                const create = spawnSync("borg", ["create", "--compression", "none", `${repo}::a`, "marker.txt"], { env, cwd: dir, encoding: "utf8" });
                assert.equal(create.status, 0, create.stderr);
                const segments = spawnSync("grep", ["-rlF", marker, path.join(repo, "data")], { encoding: "utf8" }).stdout;
                assert.equal(segments === "", encrypts, `borg: ${options} ${segments}`);
                assert.equal(encryptingMode(creation.encryption), encrypts, `model: ${options}`);
            });
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads the variables that weaken encryption, and only those", () => {
        assert.equal(borgEnvironmentProblems(assignments("BORG_PASSPHRASE='' borg init -e repokey r")).length, 1);
        assert.equal(borgEnvironmentProblems(assignments("export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes")).length, 1);
        assert.deepEqual(borgEnvironmentProblems(assignments('BORG_PASSPHRASE="$(cat /srv/p)" BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no borg info')), []);
        assert.deepEqual(repositoryCreations("borg --lock-wait 5 rcreate -e repokey-aes-ocb").map((c) => encryptingMode(c.encryption)), [true]);
    });
});

describe("MySQL accounts after a script", () => {
    const subject = oneLineSubject({ commonName: "elabftw-operator", organization: "demo" });
    const final = (sql: string) => accountsAfter(sql).get("operator@%");

    it("gives the certificate's subject in OpenSSL's one-line form, Go's order", () => assert.equal(subject, "/O=demo/CN=elabftw-operator"));

    it("follows CREATE IF NOT EXISTS, ALTER, RENAME and DROP on an unknown server", () => {
        assert.equal(final(`CREATE USER IF NOT EXISTS 'operator'@'%' REQUIRE SUBJECT '${subject}';`)?.require, "unknown");
        assert.deepEqual(final(`CREATE USER IF NOT EXISTS 'operator'@'%' REQUIRE SUBJECT '${subject}';\nALTER USER operator REQUIRE SUBJECT '${subject}' AND ISSUER '/CN=ca';`)?.require, { kind: "SPECIFIED", subject, issuer: "/CN=ca" });
        assert.equal((final(`ALTER USER \`operator\`@\`%\` REQUIRE SUBJECT '${subject}'; /* later */ alter user "operator"@"%" require x509;`)?.require as { kind: string }).kind, "X509");
        assert.equal(final(`ALTER USER 'operator'@'%' REQUIRE SUBJECT '${subject}'; DROP USER IF EXISTS 'operator'@'%';`), undefined);
        assert.equal(accountsAfter("RENAME USER 'a'@'%' TO 'operator'@'%';").get("operator@%")?.require, "unknown");
        assert.equal(final("CREATE USER 'operator'@'%' IDENTIFIED BY 'x' REQUIRE SSL;")?.password, true);
        assert.equal(final("-- ALTER USER 'operator'@'%' REQUIRE NONE;\n# neither\nSELECT 1;"), undefined);
    });
});

describe("elabimg's DISABLE_HTTPS", () => {
    it("agrees with bash running the image's two lines", () => {
        for (const value of [undefined, "", "false", "/bin/false", "true", "  ", "true # edge", "exit", "exit 1"]) {
            const run = spawnSync("bash", ["-c", 'disable_https=${DISABLE_HTTPS:-false}; if ($disable_https) >/dev/null 2>&1; then echo http; else echo https; fi'], {
                env: value === undefined ? { PATH: "/usr/bin:/bin" } : { PATH: "/usr/bin:/bin", DISABLE_HTTPS: value },
                encoding: "utf8",
            });
            assert.equal(elabimgHttps(value).https, run.stdout.trim() === "https", `DISABLE_HTTPS=${JSON.stringify(value)}`);
        }
        assert.equal(elabimgHttps("TRUE").https, false, "not certain: a command that may exist");
    });
});

describe("where commands are written", () => {
    it("reads units, cron files and cloud-config as their readers do", () => {
        const unit = unitText('[Service]\nEnvironment="A=b c" D=e\nEnvironmentFile=-/etc/default/x\nExecStart=-/bin/sh -c \\\n  "echo hi"\n');
        assert.deepEqual(unit, { commands: ['/bin/sh -c    "echo hi"'], environment: ["A=b c", "D=e"], environmentFiles: ["/etc/default/x"] });
        assert.deepEqual(cronText("SHELL=/bin/bash\n# c\n0 3 * * * root run a%b\\%c\n@daily root x", true), { commands: ["run a", "x"], environment: ["SHELL=/bin/bash"] });
        const config = cloudConfig("#cloud-config\nruncmd:\n  - [sh, -c, 'a b']\n  - echo x\nwrite_files:\n  - path: /a\n    encoding: b64\n    content: aGk=\nusers:\n  - name: u\n    passwd: x\n")!;
        assert.deepEqual(config.commands, ["sh -c 'a b'", "echo x"]);
        assert.deepEqual(config.files, [{ path: "/a", content: "hi" }]);
        assert.deepEqual(config.passwordSettings, ["users[u].passwd"]);
    });

    it("finds Docker's data-root and where volumes live", () => {
        assert.equal(dockerDataRoot(undefined), "/var/lib/docker");
        assert.equal(dockerDataRoot('{"graph": "/opt/d/"}'), "/opt/d");
        assert.equal(dockerDataRoot("{not json"), "/var/lib/docker");
        const mounts = [{ type: "volume", source: "v", target: "/a" }, { type: "volume", source: "w", target: "/b", volumeOptions: { driverOptions: { o: "bind", device: "/srv/x" } } }];
        assert.deepEqual(volumePaths({ mounts, volumes: [{ containerPath: "/c" }] }, "/srv/d").map((v) => v.source), ["/srv/d/volumes/v", "/srv/x", "/srv/d/volumes/<anonymous>"]);
    });
});

describe("secrets in plaintext", () => {
    it("finds literals and key material, not references", () => {
        const found = (s: string) => secretAssignments(assignments(s));
        assert.deepEqual(found("DB_PASSWORD=hunter2 MYSQL_PWD=x2 API_TOKEN='t0k' run"), ["DB_PASSWORD", "MYSQL_PWD", "API_TOKEN"]);
        assert.deepEqual(found('DB_PASSWORD="$P" MYSQL_ROOT_PASSWORD_FILE=/run/s BORG_PASSCOMMAND="cat /p" SSH_KEY=/k BORG_PASSPHRASE= PWD=/tmp run'), []);
        assert.deepEqual(keyMaterial(`x ${["-----BEGIN", "OPENSSH", "PRIVATE KEY-----"].join(" ")} def00000${"ab".repeat(64)}`), ["a private key", "an eLabFTW SECRET_KEY (defuse key)"]);
    });
});
