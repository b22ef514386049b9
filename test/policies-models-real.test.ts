// The pack's models checked against the real software whose reading they copy, run here: systemd's
// calendar expressions (systemd-analyze calendar), sshd's effective options (sshd -T), symbolic
// links (ln and realpath).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { followLinks, symlinksMade } from "../policies/models/paths";
import { forwardingAllowed } from "../policies/models/sshd";
import { firesEveryDay, firingDays, timerSettings } from "../policies/models/systemdCalendar";

describe("systemd calendar expressions, against systemd-analyze", () => {
    /** The days of 2027 (and 2028-01-01) on which systemd itself says the expression elapses. */
    function systemdDays(expression: string): Set<string> {
        const result = spawnSync("systemd-analyze", ["calendar", "--iterations=800", "--base-time=2026-12-31 23:59:59 UTC", expression], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
        const days = new Set<string>();
        for (const m of result.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d) /g)) if (m[1] <= "2028-01-01") days.add(m[1]);
        return days;
    }
    for (const expression of ["daily", "weekly", "*-*-* 02:30:00", "Mon *-*-* 02:30:00", "*-02-30 02:00", "Mon..Fri 03:00", "*-*-1/2 01:00", "Sat,Sun *-*-* 04:00", "*-*-* 02,14:00", "*-01..06-* 02:00", "monthly", "2027-*-* 02:00"]) {
        it(`${expression}: the same firing days as systemd`, () => {
            const ours = new Set((firingDays(expression, new Date(Date.UTC(2027, 0, 1))) ?? []).map((d) => d.toISOString().slice(0, 10)));
            assert.deepEqual([...ours].sort(), [...systemdDays(expression)].sort());
            assert.equal(firesEveryDay([expression]), ours.size >= 366);
        });
    }
    it("reads a timer's OnCalendar= lines (an empty one resets them) and its Unit=", () => {
        assert.deepEqual(timerSettings("[Timer]\nOnCalendar=weekly\nOnCalendar=\nOnCalendar=*-*-* 02:00\nUnit=x.service\n[Install]\nOnCalendar=hourly\n"), { onCalendar: ["*-*-* 02:00"], unit: "x.service" });
        assert.equal(firesEveryDay(["Mon..Wed 02:00", "Thu..Sun 02:00"]), true);
    });
});

describe("symbolic links as ln makes them and the kernel follows them", () => {
    it("follows the links ln made, as realpath does on the real files", () => {
        const root = mkdtempSync(path.join(tmpdir(), "elabftw-links-"));
        const commands = [
            ["mkdir", "-p", `${root}/srv/data`, `${root}/var/lib/os`, `${root}/srv/app`, `${root}/opt`],
            ["ln", "-sfn", `${root}/var/lib/os`, `${root}/srv/data/uploads`],
            ["ln", "-s", "../var/lib/os", `${root}/srv/cache`],
            ["ln", "-s", `${root}/srv/data`, `${root}/opt/`],
            ["ln", "-s", "-t", `${root}/srv/app`, `${root}/var/lib/os`],
        ];
        for (const argv of commands) assert.equal(spawnSync(argv[0], argv.slice(1)).status, 0, argv.join(" "));
        const links = symlinksMade(commands);
        for (const p of [`${root}/srv/data/uploads/x`, `${root}/srv/cache`, `${root}/opt/data/uploads`, `${root}/srv/app/os`, `${root}/srv/data`]) {
            const real = spawnSync("realpath", ["-m", p], { encoding: "utf8" }).stdout.trim();
            assert.equal(followLinks(p, links), real, p);
        }
        rmSync(root, { recursive: true, force: true });
    });
});

describe("sshd's forwarding, against sshd -T", () => {
    const cases: string[][] = [
        ["AllowTcpForwarding no\n", "allowtcpforwarding=yes\nPermitTunnel yes\n"],
        ["# hardening\nX11Forwarding no\n", "AllowTcpForwarding local\n"],
        ["allowtcpforwarding No\nPermitTunnel no\n"],
        ["DisableForwarding yes\n"],
    ];
    for (const dropIns of cases) {
        it(`${JSON.stringify(dropIns)}: forwarding as sshd reads it`, () => {
            const dir = mkdtempSync(path.join(tmpdir(), "elabftw-sshd-"));
            mkdirSync(path.join(dir, "conf.d"));
            assert.equal(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "hk")]).status, 0);
            dropIns.forEach((text, i) => writeFileSync(path.join(dir, "conf.d", `${10 + i}-x.conf`), text));
            writeFileSync(path.join(dir, "sshd_config"), `Include ${dir}/conf.d/*.conf\nHostKey ${dir}/hk\n`);
            mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
            const effective = spawnSync("/usr/sbin/sshd", ["-T", "-f", path.join(dir, "sshd_config")], { encoding: "utf8" }).stdout;
            const tcp = /^allowtcpforwarding (\S+)/m.exec(effective)?.[1];
            const tunnel = /^permittunnel (\S+)/m.exec(effective)?.[1];
            const disabled = /^disableforwarding yes/m.test(effective);
            const ours = forwardingAllowed(dropIns);
            assert.equal(ours.some((f) => f.startsWith("AllowTcpForwarding")), !disabled && tcp !== "no", `sshd: ${tcp}; ours: ${ours}`);
            assert.equal(ours.some((f) => f.startsWith("PermitTunnel")), !disabled && tunnel !== "no", `sshd: ${tunnel}; ours: ${ours}`);
            rmSync(dir, { recursive: true, force: true });
        });
    }
});
