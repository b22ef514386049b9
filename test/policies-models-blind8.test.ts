// The models' forms added for blind set 8 (issue 14), with the forms the software itself accepts:
// journald's forwarding to syslog, Proxmox's log rate, APT's sources and settings, code run or
// installed from a download.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { journaldSyslogGap, ratePerSecond, systemdSetting } from "../policies/models/hostAccess";
import { aptConfProblems, aptSourceProblems, autoUpgradesOff, unverifiedCode } from "../policies/models/softwareSources";

describe("journald: what reaches syslog", () => {
    it("reads the last value across journald.conf and its drop-ins, in its section only", () => {
        assert.equal(systemdSetting(["[Journal]\nMaxLevelSyslog=debug\n", "[Journal]\nMaxLevelSyslog=warning\n"], "Journal", "MaxLevelSyslog"), "warning");
        assert.equal(systemdSetting(["[Other]\nMaxLevelSyslog=err\n"], "Journal", "MaxLevelSyslog"), undefined);
        assert.equal(systemdSetting(["[Journal]\n#MaxLevelSyslog=err\n"], "Journal", "MaxLevelSyslog"), undefined);
    });
    it("reports a level below info (by name or number) and ForwardToSyslog=no, not info or debug", () => {
        assert.equal(journaldSyslogGap(["[Journal]\nMaxLevelSyslog=warning\n"]), "MaxLevelSyslog=warning");
        assert.equal(journaldSyslogGap(["[Journal]\nMaxLevelSyslog=5\n"]), "MaxLevelSyslog=5");
        assert.equal(journaldSyslogGap(["[Journal]\nForwardToSyslog=no\n"]), "ForwardToSyslog=no");
        assert.equal(journaldSyslogGap(["[Journal]\nMaxLevelSyslog=info\n"]), undefined);
        assert.equal(journaldSyslogGap(["[Journal]\nMaxLevelSyslog=err\n", "[Journal]\nMaxLevelSyslog=debug\n"]), undefined, "a later drop-in restores it");
    });
    it("reads Proxmox's log rates in packets per second", () => {
        assert.equal(ratePerSecond("5/second"), 5);
        assert.equal(ratePerSecond("1/minute"), 1 / 60);
        assert.equal(ratePerSecond("fast"), undefined);
    });
});

describe("APT sources and settings", () => {
    it("finds trusted=yes and allow-insecure in one-line sources and deb822 stanzas", () => {
        assert.equal(aptSourceProblems("deb [trusted=yes] http://repo.example/debian trixie main").length, 1);
        assert.equal(aptSourceProblems("deb [arch=amd64 allow-insecure=yes] http://r/ x main").length, 1);
        assert.equal(aptSourceProblems("Types: deb\nURIs: http://r/\nSuites: trixie\nTrusted: yes\n").length, 1);
    });
    it("leaves signed sources alone", () => {
        assert.deepEqual(aptSourceProblems("deb [signed-by=/usr/share/keyrings/x.gpg] https://r/ trixie main\ndeb http://deb.debian.org/debian trixie main"), []);
        assert.deepEqual(aptSourceProblems("# deb [trusted=yes] http://r/ x main"), []);
    });
    it("finds apt.conf switches that accept unsigned packages, whatever their case", () => {
        assert.deepEqual(aptConfProblems('APT::Get::AllowUnauthenticated "true";'), ['apt::get::allowunauthenticated "true"']);
        assert.deepEqual(aptConfProblems('Acquire::AllowInsecureRepositories "1";'), ['acquire::allowinsecurerepositories "1"']);
        assert.deepEqual(aptConfProblems('Acquire::http::Proxy "http://p:3128";'), []);
    });
    it("reads the periodic upgrade switch as the daily timer does: the last file wins", () => {
        const program = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';
        assert.equal(autoUpgradesOff([program]), undefined);
        assert.equal(autoUpgradesOff([program, 'APT::Periodic::Unattended-Upgrade "0";']), 'APT::Periodic::Unattended-Upgrade "0"');
        assert.equal(autoUpgradesOff(['APT::Periodic::Unattended-Upgrade "0";', program]), undefined);
    });
});

describe("code from a download", () => {
    it("finds a download piped into a shell, through sh -c and sudo", () => {
        assert.equal(unverifiedCode("sh -c 'curl -fsSL https://get.docker.com | sh'").length, 1);
        assert.equal(unverifiedCode("wget -qO- https://x/install | sudo bash -s -- --yes").length, 1);
    });
    it("finds an image loaded from a file, a binary fetched into a bin directory, --allow-unauthenticated", () => {
        assert.equal(unverifiedCode("curl http://f/img.tar | sudo docker load").length, 1);
        assert.equal(unverifiedCode("docker image load -i /tmp/img.tar").length, 1);
        assert.equal(unverifiedCode("curl -fsSL -o /usr/local/bin/borg https://x/borg && chmod 0755 /usr/local/bin/borg").length, 1);
        assert.equal(unverifiedCode("apt-get install -y --allow-unauthenticated foo").length, 1);
    });
    it("accepts a download whose checksum the script checks, and downloads that are data", () => {
        assert.deepEqual(unverifiedCode("curl -o /usr/local/bin/t https://x/t && echo 'abc  /usr/local/bin/t' | sha256sum -c && chmod +x /usr/local/bin/t"), []);
        assert.deepEqual(unverifiedCode("curl -fsS https://idp/metadata.xml | xmllint --noout -"), []);
        assert.deepEqual(unverifiedCode("curl -fsS -o /tmp/meta.xml https://idp/metadata.xml"), []);
    });
    it("finds the commands that stop the security updates", () => {
        assert.equal(unverifiedCode("systemctl disable --now apt-daily-upgrade.timer").length, 1);
        assert.equal(unverifiedCode("apt-get purge -y unattended-upgrades").length, 1);
        assert.deepEqual(unverifiedCode("systemctl restart unattended-upgrades"), []);
    });
});
