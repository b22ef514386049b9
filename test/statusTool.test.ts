// npm run status: its command line, the table and JSON it prints, the exit codes, the known_hosts
// it trusts; the plan's arguments per VM and the alarm timer's schedule through systemd-analyze.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateConfig } from "../components/config";
import { projectKeys, readStackConfig } from "../components/config/stackFile";
import { ALARM_CALENDAR, alarmUnits, ALARM_TAGS, areaConstants, statusArgs, systemdWord } from "../components/monitoring";
import { scriptText } from "../components/vm/remoteScript";
import { exitCode, knownHostsFor, parseStatusLines, renderJson, renderTable } from "../tools/status/results";

const config = validateConfig(projectKeys(readStackConfig("Pulumi.dev.yaml"))).config;
const tool = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "tools/status.ts", ...args], { encoding: "utf8", env: { ...process.env, PATH: "/usr/bin:/bin" } });
const KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

describe("npm run status", () => {
    it("prints usage on --help and refuses unknown options or missing values with one line and exit 64", () => {
        const help = tool("--help");
        assert.equal(help.status, 0);
        assert.match(help.stdout, /^usage: npm run status -- --stack Pulumi\.<stack>\.yaml \[--json\]/);
        for (const args of [["--bogus"], ["--stack"], []]) {
            const refused = tool(...args);
            assert.equal(refused.status, 64, args.join(" "));
            assert.equal(refused.stderr.trim().split("\n").length, 1);
            assert.match(refused.stderr, /usage: npm run status/);
        }
    });

    it("will not connect without pinned host keys: no Pulumi CLI and no --known-hosts is a configuration error", () => {
        const result = tool("--stack", "Pulumi.dev.yaml");
        assert.equal(result.status, 78);
        assert.match(result.stderr, /sshKnownHosts .*pass --known-hosts FILE/);
    });

    it("accepts only plain pinned lines covering both VMs", () => {
        const addresses = [config.vms.web.address, config.vms.db.address];
        const both = `${addresses[0]} ssh-ed25519 ${KEY}\n${addresses[1]} ssh-ed25519 ${KEY}\n`;
        assert.equal(knownHostsFor(both, addresses), both);
        assert.equal(knownHostsFor({ web: `${addresses[0]} ssh-ed25519 ${KEY}`, db: `${addresses[1]} ssh-ed25519 ${KEY}` }, addresses), both);
        assert.throws(() => knownHostsFor(`${addresses[0]} ssh-ed25519 ${KEY}`, addresses), /no pinned host key for 10\./);
        for (const bad of [`* ssh-ed25519 ${KEY}`, `@cert-authority * ssh-ed25519 ${KEY}`, `|1|abc= ssh-ed25519 ${KEY}`]) assert.throws(() => knownHostsFor(`${bad}\n${both}`, addresses), /refused/);
        assert.throws(() => knownHostsFor(42, addresses), /must be known_hosts text/);
    });

    it("prints the table and the JSON, and exits as monitoring plugins do", () => {
        const results = [
            ...parseStatusLines("web", "luks\tok\telabdata open\t\ncert-site\twarn\t20 days left\t2026-12-19T00:00:00Z\n"),
            ...parseStatusLines("db", "archive-db\tfail\tlast db archive 50h old\t2026-11-27T13:00:00Z\n"),
        ];
        const table = renderTable(results, [{ vm: "db", error: "ssh exited 255: Host key verification failed." }]);
        assert.match(table, /^VM +CHECK +STATE +DETAIL +SINCE\n/);
        assert.match(table, /^web +cert-site +WARN +20 days left +2026-12-19T00:00:00Z$/m);
        assert.match(table, /^db +archive-db +FAIL +last db archive 50h old/m);
        assert.match(table, /^db: NOT REACHED: ssh exited 255: Host key verification failed\.$/m);
        assert.match(table, /3 checks: 1 ok, 1 warn, 1 fail, 1 VM not reached/);
        const json = JSON.parse(renderJson("unit", results, [], new Date("2026-11-29T12:00:00Z")));
        assert.equal(json.status, "fail");
        assert.deepEqual(json.checks[2], { vm: "db", check: "archive-db", state: "fail", detail: "last db archive 50h old", since: "2026-11-27T13:00:00Z" });
        assert.equal(exitCode(results, []), 2);
        assert.equal(exitCode(results.slice(0, 2), []), 1);
        assert.equal(exitCode(results.slice(0, 1), []), 0);
        assert.equal(exitCode(results.slice(0, 1), [{ vm: "db", error: "x" }]), 3);
        assert.throws(() => parseStatusLines("web", "garbage line\n"), /web VM: status line 1 is not CHECK/);
        assert.throws(() => parseStatusLines("web", "luks\tmaybe\tx\t\n"), /status line 1/);
    });
});

describe("the monitoring plan", () => {
    const areas = areaConstants(config);
    const flags = (role: "web" | "db") => {
        const args = statusArgs(config, role, areas);
        return Object.fromEntries(args.flatMap((arg, i) => (i % 2 === 0 ? [[arg.slice(2), args[i + 1]]] : [])));
    };

    it("checks what the other areas install, under their names", () => {
        const web = flags("web");
        const db = flags("db");
        assert.equal(db.containers, `mysql=mysql:${config.versions.mysql}`);
        assert.equal(web.containers, `elabftw=elabftw/elabimg:${config.versions.elabftw}`);
        assert.equal(db["client-config"], "/run/secrets/mysql/operator.cnf");
        assert.equal(db["borg-env"], "/srv/elabftw/backup/borg.env");
        assert.equal(db["archive-prefix"], "db");
        assert.equal(web["archive-prefix"], "uploads");
        assert.equal(db["check-unit"], "elabftw-backup-check-db.service");
        assert.equal(db["drill-unit"], "elabftw-restore-drill.service");
        assert.equal(web["drill-unit"], undefined);
        const renew = config.tls.renewBeforeDays;
        assert.equal(db.certs, `db:${renew}=/srv/elabftw/mysql/tls/server-cert.pem,operator:${renew}=/srv/elabftw/mysql/operator/client-cert.pem,ca:${renew * 4}=/srv/elabftw/mysql/tls/ca.pem`);
        assert.match(web.certs, new RegExp(`^site:${renew}=/srv/elabftw/elabftw/ssl/live/${config.site.fqdn}/fullchain\\.pem,ca:${renew * 4}=`));
        assert.equal(web["health-resolve"], `${config.site.fqdn}:443:${config.vms.web.address}`);
        if (config.firewall.guest) assert.equal(db["nft-table"], "inet elabftw");
        if (config.diskEncryption === "guest-luks") assert.equal(db["data-source"], "/dev/mapper/elabdata");
        // Every flag the plan passes is one the script declares.
        const declared = /parse_flags "([^"]+)"/.exec(scriptText("elabftw-status.sh"))![1].split(" ");
        for (const flag of [...Object.keys(web), ...Object.keys(db)]) assert.ok(declared.includes(flag), flag);
    });

    it("runs the alarms daily on a schedule systemd accepts, with the tags the docs and the script use", () => {
        const calendar = spawnSync("systemd-analyze", ["calendar", ALARM_CALENDAR], { encoding: "utf8" });
        assert.equal(calendar.status, 0, calendar.stderr);
        assert.match(calendar.stdout, /Normalized form: \*-\*-\* 07:30:00/);
        assert.notEqual(spawnSync("systemd-analyze", ["calendar", "*-*-* 25:00:00"]).status, 0);
        const units = alarmUnits(statusArgs(config, "db", areas));
        assert.match(units.files[1].content, new RegExp(`OnCalendar=${ALARM_CALENDAR.replace(/\*/g, "\\*")}\nPersistent=true`));
        assert.match(units.files[0].content, /^ExecStart=\/usr\/local\/sbin\/elabftw-alarms\.sh \/usr\/local\/sbin\/elabftw-status\.sh --data-mount \/srv\/elabftw .*--mysql-exec "docker exec -i mysql"/m);
        const script = scriptText("elabftw-alarms.sh");
        const used = new Set([...script.matchAll(/(elabftw-alarm[s]?[a-z-]*) (?:warning|crit|err|user)/g)].map((m) => m[1]));
        assert.deepEqual([...used].sort(), Object.keys(ALARM_TAGS).filter((tag) => tag !== "elabftw-alarms").sort());
        assert.equal(systemdWord("100%"), "100%%");
        assert.equal(systemdWord('a "b"'), '"a \\"b\\""');
    });

    it("is what docs/operating.md documents: every check the script emits and every alarm tag", () => {
        const docs = readFileSync("docs/operating.md", "utf8");
        const day2 = docs.slice(docs.indexOf("## Day 2: status and alarms"));
        const web = flags("web");
        const db = flags("db");
        const certs = [web.certs, db.certs].flatMap((list) => list.split(",").map((entry: string) => `cert-${entry.split(":")[0]}`));
        const named = [...scriptText("elabftw-status.sh").matchAll(/emit ([a-z-]+) /g)].map((m) => m[1]);
        const checks = [...new Set([...named, "borg-check", "restore-drill", `archive-${web["archive-prefix"]}`, `archive-${db["archive-prefix"]}`, "container-elabftw", "container-mysql", ...certs])];
        assert.ok(checks.length >= 19);
        for (const check of checks) assert.ok(day2.includes(`\`${check.replace(/^container-.*/, "container-<name>")}\``), `${check} is not in docs/operating.md's Day 2 table`);
        for (const tag of Object.keys(ALARM_TAGS)) assert.ok(day2.includes(`\`${tag}\``), `${tag} is not in docs/operating.md`);
        assert.ok(day2.includes(ALARM_CALENDAR.split(" ")[1].slice(0, 5)), "the alarm time");
    });
});
