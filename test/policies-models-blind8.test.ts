// The models' forms added for blind set 8 (issue 14), with the forms the software itself accepts:
// journald's forwarding to syslog, Proxmox's log rate, APT's sources and settings, code run or
// installed from a download.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { journaldSyslogGap, persistentWorkDirs, ratePerSecond, sudoIoLogging, systemdSetting } from "../policies/models/hostAccess";
import { archiveExclusions, archivedPaths, forcedLoads } from "../policies/models/archives";
import { unrestorableDumps } from "../policies/models/borg";
import { expandedSecretArguments } from "../policies/models/secretScan";
import { hardDependencies, missingDependencies } from "../policies/models/systemdUnits";
import { apparmorOff } from "../policies/models/hostAccess";
import { tpmSteadyBindingProblem } from "../policies/models/luks";
import { matrixFloorBreaches } from "../policies/models/handOff";
import { setOf } from "../policies/models/ipv4";
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

describe("Borg archives and SQL loads", () => {
    it("finds borg create's exclusions in their forms, not inclusions", () => {
        assert.deepEqual(archiveExclusions('borg create --exclude "sh:**/*.raw" -e "*.tif" --exclude-caches ::a src'), ["--exclude sh:**/*.raw", "-e *.tif", "--exclude-caches"]);
        assert.deepEqual(archiveExclusions("borg create --pattern=-re:tmp --pattern +sh:keep ::a src"), ["--pattern -re:tmp"]);
        assert.deepEqual(archiveExclusions('borg create --compression zstd,3 "::$archive" "$(basename "$source")"'), []);
    });
    it("lists the paths an archive takes, past the archive and valued options", () => {
        assert.deepEqual(archivedPaths('borg create --compression zstd,3 "::$a" "$(basename "$s")" ssl'), ['$(basename "$s")', "ssl"], "the option's value and the archive are no paths");
        assert.deepEqual(archivedPaths("borg create -C lz4 ::a x ssl secrets"), ["x", "ssl", "secrets"]);
        assert.deepEqual(archivedPaths("borg create --stdin-name db.sql ::a -"), [], "stdin is no path");
    });
    it("finds mysql --force, bundled -f, and a shell function that runs mysql with its arguments", () => {
        assert.deepEqual(forcedLoads("mysql --force db < dump.sql"), ["mysql --force"]);
        assert.deepEqual(forcedLoads("mysql -vf db"), ["mysql -vf"]);
        assert.deepEqual(forcedLoads('sql() { "${exec[@]}" mysql --batch "$@"; }\nborg extract --stdout ::a | sql --force "$db"'), ["sql --force"]);
        assert.deepEqual(forcedLoads('sql() { "${exec[@]}" mysql --batch "$@"; }\nborg extract --stdout ::a | sql "$db"\nrestore.sh --force yes'), []);
    });
    it("knows that --compact drops the dump's completion trailer", () => {
        assert.equal(unrestorableDumps("mysqldump --single-transaction --compact db | borg create ::a -").length, 1);
        assert.equal(unrestorableDumps("mysqldump --single-transaction --skip-comments db").length, 1);
        assert.equal(unrestorableDumps("mysqldump --single-transaction db").length, 0);
    });
});

describe("systemd: hard dependencies on units that do not exist", () => {
    it("reads Requires=, BindsTo= and Requisite= of [Unit], an empty value resetting", () => {
        assert.deepEqual(hardDependencies("[Unit]\nRequires=a.service b.service\nBindsTo=c.service\n[Service]\nRequires=x.service\n"), ["a.service", "b.service", "c.service"]);
        assert.deepEqual(hardDependencies("[Unit]\nRequires=a.service\nRequires=\n"), []);
    });
    it("knows the units of the installed packages, the deployment's own, templates and systemd's generated ones", () => {
        const unit = "[Unit]\nRequires=mysql.service docker.service srv-elabftw.mount network-online.target elabftw-x.service getty@tty1.service\n";
        assert.deepEqual(missingDependencies(unit, ["elabftw-x.service"], ["docker.io"]), ["mysql.service"]);
        assert.deepEqual(missingDependencies(unit, [], []), ["mysql.service", "docker.service", "elabftw-x.service"]);
    });
});

describe("secrets on command lines and on disk", () => {
    it("finds a secret file's content expanded into an external command's argument, directly or through a variable", () => {
        assert.equal(expandedSecretArguments('curl --header "Authorization: $(tr -d "[:space:]" <"$key_file")" https://x').length, 1);
        assert.equal(expandedSecretArguments('token=$(cat /srv/x/api-key)\ncurl -H "Authorization: $token" https://x').length, 1);
        assert.equal(expandedSecretArguments('read -r pass < /run/secrets/password\nsshpass -p "$pass" ssh h').length, 1);
    });
    it("leaves builtins, files passed by name and harmless substitutions alone", () => {
        assert.deepEqual(expandedSecretArguments('printf "Authorization: %s" "$(cat "$key_file")" > "$work/auth"\ncurl --header "@$work/auth" https://x'), []);
        assert.deepEqual(expandedSecretArguments('archive="$(basename "$source")"; borg create "::$archive" "$(dirname "$source")"'), []);
        assert.deepEqual(expandedSecretArguments("bash -c 'k=$(cat key); printf %s \"$k\" | tool'"), []);
    });
    it("finds sudo's I/O logging in Defaults and tags, not its negation", () => {
        assert.equal(sudoIoLogging("Defaults log_input,log_output\n").length, 1);
        assert.equal(sudoIoLogging("admin ALL=(ALL) LOG_INPUT: ALL\n").length, 1);
        assert.deepEqual(sudoIoLogging("Defaults !log_input\nDefaults use_pty\n"), []);
    });
    it("finds mktemp work files outside memory and the encrypted disk", () => {
        const encrypted = (dir: string) => dir.startsWith("/srv/elabftw");
        assert.equal(persistentWorkDirs('work="$(mktemp -d -p /var/tmp)"', encrypted).length, 1);
        assert.equal(persistentWorkDirs("TMPDIR=/var/tmp\nf=$(mktemp)", encrypted).length, 1);
        assert.equal(persistentWorkDirs("f=$(mktemp /var/lib/x.XXXX)", encrypted).length, 1);
        assert.deepEqual(persistentWorkDirs('work="$(mktemp -d)"; g=$(mktemp -p /srv/elabftw/tmp); h=$(mktemp --tmpdir=/run/x)', encrypted), []);
    });
});

describe("the vTPM's steady binding", () => {
    const enrol = (...args: string[]) => ["systemd-cryptenroll", "--tpm2-device=auto", ...args, "/dev/sdb"];
    it("holds when one enrolment seals to 7+8 and wipes the other TPM2 slots (names or numbers)", () => {
        assert.equal(tpmSteadyBindingProblem([enrol("--tpm2-pcrs=7"), enrol("--tpm2-pcrs=7+8", "--wipe-slot=tpm2")]), undefined);
        assert.equal(tpmSteadyBindingProblem([enrol("--tpm2-pcrs", "secure-boot-policy+kernel-initrd", "--wipe-slot", "tpm2")]), undefined);
        assert.equal(tpmSteadyBindingProblem([["cryptsetup", "luksOpen", "/dev/sdb", "x"]]), undefined, "nothing enrols a TPM2 key");
    });
    it("fails when the 7+8 enrolment keeps the old slots, or nothing seals to PCR 8", () => {
        assert.match(tpmSteadyBindingProblem([enrol("--tpm2-pcrs=7"), enrol("--tpm2-pcrs=7+8")]) ?? "", /no --wipe-slot=tpm2/);
        assert.match(tpmSteadyBindingProblem([enrol("--tpm2-pcrs=7")]) ?? "", /PCR 7 alone/);
        assert.match(tpmSteadyBindingProblem([enrol()]) ?? "", /PCR 7 alone/, "systemd's default is PCR 7");
    });
});

describe("AppArmor", () => {
    it("reads GRUB's command-line variables and the commands that stop it", () => {
        assert.deepEqual(apparmorOff(['GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT apparmor=0"'], []), ["apparmor=0 on the kernel command line"]);
        assert.equal(apparmorOff(['GRUB_CMDLINE_LINUX="security=selinux"', "GRUB_CMDLINE_LINUX='lsm=landlock,yama'"], []).length, 2);
        assert.equal(apparmorOff([], ["systemctl disable --now apparmor.service", "aa-teardown"]).length, 2);
    });
    it("leaves a command line that keeps it alone", () => {
        assert.deepEqual(apparmorOff(['GRUB_CMDLINE_LINUX="quiet lsm=landlock,apparmor,yama security=apparmor"'], ["systemctl reload apparmor"]), []);
    });
});

describe("the flow matrix's floor", () => {
    const e = { lab: setOf("10.20.40.0/24"), vpn: setOf("10.8.0.0/16"), admin: setOf("10.20.50.0/28"), edge: setOf("10.20.1.10"), web: setOf("10.20.30.10"), db: setOf("10.20.30.11"), filer: setOf("10.20.60.20") };
    const flow = (from: string, to: string, protos: ("tcp" | "udp")[], ports: [number, number][]) => ({ row: "x", from: setOf(from), to: setOf(to), protos, ports });
    it("refuses the lab toward the filer on any port, users straight to the web VM, the edge beyond 443, SSH from outside the admins", () => {
        assert.match(matrixFloorBreaches([flow("10.20.40.0/24", "10.20.60.20", ["tcp"], [[445, 445]])], e)[0].rule, /row 6/);
        assert.match(matrixFloorBreaches([flow("10.8.0.0/16", "10.20.30.10", ["tcp"], [[8443, 8443]])], e)[0].rule, /rows 1-2/);
        assert.match(matrixFloorBreaches([flow("10.20.1.10", "10.20.30.10", ["tcp"], [[80, 80]])], e)[0].rule, /beyond 443/);
        assert.match(matrixFloorBreaches([flow("10.20.60.30", "10.20.30.10", ["tcp"], [[1, 65535]])], e)[0].rule, /SSH/);
    });
    it("accepts the matrix's own rows", () => {
        assert.deepEqual(matrixFloorBreaches([flow("10.20.1.10", "10.20.30.10", ["tcp"], [[443, 443]]), flow("10.20.50.0/28", "10.20.30.11", ["tcp"], [[22, 22]]), flow("10.20.30.10", "10.20.60.20", ["tcp"], [[22, 22]])], e), []);
    });
});
