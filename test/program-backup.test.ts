// Backups in the real program's graph (Pulumi.dev.yaml): what each VM gets, the timers and their
// schedules (checked by systemd's own calendar parser), the upgrade order, the exports.
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CapturedResource, ProgramRun, runProgram, valueOf } from "../tools/offline/mockEngine";

const COMMAND = "command:remote:Command";
let run: ProgramRun;
before(async () => {
    run = await runProgram();
});

const commandsOn = (address: string) => run.ofType(COMMAND).filter((c) => c.inputs.connection.host === address);
function installedFiles(address: string): Map<string, CapturedResource> {
    const files = new Map<string, CapturedResource>();
    for (const c of commandsOn(address)) {
        const match = /install-file\.sh --path (\S+) --owner/.exec(c.inputs.create);
        if (match) files.set(match[1], c);
    }
    return files;
}
const WEB = "10.20.30.10";
const DB = "10.20.30.11";

describe("backups in the program graph", () => {
    it("gives each VM its repository, a passphrase of its own and an SSH key as root-only secrets, and the pinned host key", () => {
        const passphrases = new Set<string>();
        for (const [address, kind, passphrase] of [[DB, "db", "db/passphrase"], [WEB, "uploads", "passphrase"]] as const) {
            const files = installedFiles(address);
            const env = files.get("/srv/elabftw/backup/borg.env")!.inputs.stdin as string;
            assert.match(env, new RegExp(`^BORG_REPO='ssh://borg@10\\.20\\.60\\.20:22/\\./elabftw-demo/${kind}'$`, "m"));
            assert.match(env, new RegExp(`^BACKUP_PASSPHRASE_FILE='/srv/elabftw/backup/${passphrase}'$`, "m"));
            assert.match(env, /^BACKUP_KNOWN_HOSTS='\/srv\/elabftw\/backup\/known_hosts'$/m);
            for (const line of env.split("\n").filter((l) => l && !l.startsWith("#"))) assert.match(line, /^[A-Z_]+='[A-Za-z0-9._/:@=+-]*'$/, "data only: what load_env accepts");
            for (const secret of [`/srv/elabftw/backup/${passphrase}`, "/srv/elabftw/backup/id_ed25519"]) {
                const file = files.get(secret)!;
                assert.ok(file.secretInputs.includes("stdin"), secret);
                assert.match(file.inputs.create, /--owner 0:0 --mode 0400$/);
            }
            passphrases.add(files.get(`/srv/elabftw/backup/${passphrase}`)!.inputs.stdin);
            assert.equal(files.get("/srv/elabftw/backup/known_hosts")!.inputs.stdin, "10.20.60.20 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBh1GxCkAO9AwNQjZJ5XiA2LZ8fvrUYL9o5BLNo8RhaP\n");
        }
        assert.equal(passphrases.size, 2, "one passphrase per repository");
        assert.equal(installedFiles(WEB).get("/srv/elabftw/backup/passphrase")!.inputs.stdin, run.passwordOf("-backup-passphrase"), "the web VM keeps the former passphrase");
        assert.match(installedFiles(DB).get("/srv/elabftw/backup/borg.env")!.inputs.stdin, /^BACKUP_PREVIOUS_PASSPHRASE_FILE='\/srv\/elabftw\/backup\/passphrase'$/m, "the DB VM re-keys from the former one");
    });

    it("installs the scripts each VM runs, each carrying common.sh", () => {
        // The backup area's scripts (the monitoring area installs its own status and alarm scripts).
        const scripts = (address: string) => [...installedFiles(address).keys()].filter((p) => p.startsWith("/usr/local/sbin/") && !/elabftw-(status|alarms|tpm-seal)\.sh$/.test(p)).sort();
        assert.deepEqual(scripts(DB), ["/usr/local/sbin/elabftw-backup.sh", "/usr/local/sbin/elabftw-restore-drill.sh", "/usr/local/sbin/elabftw-restore.sh"]);
        assert.deepEqual(scripts(WEB), ["/usr/local/sbin/elabftw-backup.sh", "/usr/local/sbin/elabftw-db-update.sh", "/usr/local/sbin/elabftw-restore.sh"]);
        const backup = installedFiles(DB).get("/usr/local/sbin/elabftw-backup.sh")!;
        assert.match(backup.inputs.create, /--mode 0755$/);
        assert.match(backup.inputs.stdin, /^parse_flags\(\) \{$/m);
    });

    it("puts the timers on the right VMs, on the configured schedules, with no pruning on the VMs", () => {
        const units = (address: string) => new Map([...installedFiles(address)].filter(([p]) => p.startsWith("/etc/systemd/system/") && !p.includes("elabftw-alarms.") && !p.includes("elabftw-tpm-seal.")).map(([p, c]) => [p.split("/").pop()!, c.inputs.stdin as string]));
        const db = units(DB);
        const web = units(WEB);
        assert.deepEqual([...db.keys()].sort(), ["elabftw-backup-check-db.service", "elabftw-backup-check-db.timer", "elabftw-backup-db.service", "elabftw-backup-db.timer", "elabftw-restore-drill.service", "elabftw-restore-drill.timer"]);
        assert.deepEqual([...web.keys()].sort(), ["elabftw-backup-check-uploads.service", "elabftw-backup-check-uploads.timer", "elabftw-backup-uploads.service", "elabftw-backup-uploads.timer"]);
        assert.match(db.get("elabftw-backup-db.timer")!, /^OnCalendar=\*-\*-\* 02:30:00$/m);
        assert.match(db.get("elabftw-restore-drill.timer")!, /^OnCalendar=\*-\*-01 04:30:00$/m);
        assert.match(db.get("elabftw-backup-db.service")!, /^ExecStart=\/usr\/local\/sbin\/elabftw-backup\.sh db --env-file \/srv\/elabftw\/backup\/borg\.env --mysql-exec "docker exec -i mysql" --client-config \/run\/secrets\/mysql\/operator\.cnf$/m);
        for (const unit of [...db.values(), ...web.values()]) assert.doesNotMatch(unit, / prune /, "the VMs' keys are append-only: the backup host prunes");
        assert.match(web.get("elabftw-backup-uploads.service")!, /^ExecStart=\/usr\/local\/sbin\/elabftw-backup\.sh files .* --source \/srv\/elabftw\/elabftw\/uploads$/m);
        for (const timer of [...db, ...web].filter(([name]) => name.endsWith(".timer"))) {
            const calendar = /^OnCalendar=(.+)$/m.exec(timer[1])![1];
            const parsed = spawnSync("systemd-analyze", ["calendar", calendar], { encoding: "utf8" });
            assert.equal(parsed.status, 0, `${timer[0]}: ${parsed.stderr}`);
        }
        const enable = commandsOn(DB).find((c) => c.name.endsWith("-db-timers"))!;
        assert.equal(enable.inputs.create, "sudo systemctl daemon-reload && sudo systemctl enable --now elabftw-backup-db.timer elabftw-restore-drill.timer elabftw-backup-check-db.timer");
    });

    it("initialises each repository and exports its key as a secret", () => {
        for (const role of ["web", "db"]) {
            const init = run.one(COMMAND, `-backup-${role}-init`);
            assert.match(init.inputs.create, /elabftw-backup\.sh init --env-file \/srv\/elabftw\/backup\/borg\.env$/);
            const keyExport = run.one(COMMAND, `-backup-${role}-key-export`);
            assert.ok(keyExport.additionalSecretOutputs.includes("stdout"), "the exported key is a secret output");
            assert.equal(keyExport.inputs.logging, "none", "and nothing of it reaches the Pulumi log");
            assert.ok(keyExport.dependencies.includes(init.urn));
        }
    });

    it("takes a fresh archive before an upgrade replaces a container or migrates the schema", () => {
        const dbFirst = run.one(COMMAND, "-backup-db-before-upgrade");
        const webFirst = run.one(COMMAND, "-backup-web-before-upgrade");
        assert.deepEqual(dbFirst.inputs.triggers, ["5.6.12", "8.4.8"]);
        assert.match(dbFirst.inputs.create, /systemctl start elabftw-backup-db\.service/);
        assert.match(webFirst.inputs.create, /systemctl start elabftw-backup-uploads\.service/);
        assert.ok(run.one("docker:index/container:Container", "-mysql-container").dependencies.includes(dbFirst.urn));
        assert.ok(run.one("docker:index/container:Container", "-elabftw-container").dependencies.includes(webFirst.urn));
        assert.ok(run.one(COMMAND, "-db-lifecycle-update").dependencies.includes(dbFirst.urn));
    });

    it("creates the operator account the dumps use, bound to the client certificate's subject", () => {
        const account = run.one(COMMAND, "-mysql-operator-account");
        assert.match(account.inputs.stdin, /^CREATE USER IF NOT EXISTS 'operator'@'%' REQUIRE SUBJECT '\/O=demo\/CN=elabftw-operator';$/m);
        assert.match(account.inputs.create, /mysql-accounts\.sh .*--root-config \/run\/secrets\/mysql\/root\.cnf$/);
        const mounts = run.one("docker:index/container:Container", "-mysql-container").inputs.mounts;
        assert.deepEqual(mounts.find((m: { target: string }) => m.target === "/etc/mysql/operator"), { readOnly: true, source: "/srv/elabftw/mysql/operator", target: "/etc/mysql/operator", type: "bind" });
    });

    it("exports the passphrases and the repository keys as secrets, the append-only authorized_keys lines and the prune commands", async () => {
        assert.equal(await pulumi.isSecret(run.outputs.backupPassphrases as pulumi.Output<unknown>), true);
        assert.equal(await pulumi.isSecret(run.outputs.backupRepositoryKeys as pulumi.Output<unknown>), true);
        const lines = await valueOf(run.outputs.backupAuthorizedKeys as pulumi.Output<Record<string, string>>);
        assert.match(lines.db, /^command="borg serve --append-only --restrict-to-repository elabftw-demo\/db",restrict ssh-ed25519 \S+ elabftw-demo-db$/);
        assert.match(lines.web, /^command="borg serve --append-only --restrict-to-repository elabftw-demo\/uploads",restrict ssh-ed25519 \S+ elabftw-demo-web$/);
        const prune = run.outputs.backupPruneCommands as Record<string, string>;
        assert.equal(prune.db, "borg prune --glob-archives 'db-*' --keep-daily 14 --keep-monthly 6 ssh://borg@10.20.60.20:22/./elabftw-demo/db && borg compact ssh://borg@10.20.60.20:22/./elabftw-demo/db");
    });
});
