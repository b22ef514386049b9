// The models' forms added for blind set 10 (issue 14), with the forms the software itself accepts:
// APT's pins and periodic intervals, cloud-init's disabled suites and trust stores, secrets on
// argv and in SSH environments, image exports, Borg's passphrase source and key escrow, the dump's
// character set, GRUB's defaults as update-grub sources them, the guest table's wipes, Proxmox ACLs,
// rsyslog selectors, printf formats, the notebook's content read out, and the edge's verification.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultRelease, disabledSecuritySuites, isTrustStorePath, periodicDays, periodicTooRare, pinningProblems } from "../policies/models/aptUpdates";
import { consoleRootShells, debugShellEnabled, grubFileOrder, grubSettings, kernelWords, pinnedKernel } from "../policies/models/bootParameters";
import { unrestorableDumps } from "../policies/models/borg";
import { emptyPassphraseSource, exportsKey, keyfileMode, passphraseFiles } from "../policies/models/borgKeys";
import { dataExports, readsRows } from "../policies/models/dataExports";
import { hostPathOf } from "../policies/models/dockerContainer";
import { idpEmailAttribute, isInstitutionalEmailAttribute } from "../policies/models/elabftwSettings";
import { backendVerificationOff } from "../policies/models/handOff";
import { wipesGuestTable } from "../policies/models/nftables";
import { cloudConfig, printfOutput } from "../policies/models/programText";
import { grantedOver, rolePrivileges } from "../policies/models/pveAccess";
import { forwardRules, selectorMatches } from "../policies/models/rsyslog";
import { accumulatedValues, envSecretArguments, environmentPrint, hostKeyExports, imageExport, pathVariables, remoteSecretCopies, secretPassingPatterns, sshSentEnvironment } from "../policies/models/secretLeaks";
import { assignments } from "../policies/models/borg";
import { droppedDatabases, unjournaled } from "../policies/rules/dataLoss";

describe("APT: what keeps security versions from being the candidates", () => {
    it("ranks by pin priority, not by version: a release pinned above security, security pinned below 500, a version pin", () => {
        assert.equal(pinningProblems(["Package: *\nPin: release n=trixie\nPin-Priority: 1001\n"]).length, 1);
        assert.equal(pinningProblems(["Package: *\nPin: release n=trixie\nPin-Priority: 600\n"]).length, 1, "600 > 500 is enough");
        assert.deepEqual(pinningProblems(["Package: *\nPin: release n=trixie\nPin-Priority: 600\n\nPackage: *\nPin: release n=trixie-security\nPin-Priority: 600\n"]), [], "security ranked as high keeps its newer versions");
        assert.equal(pinningProblems(["Package: *\nPin: release l=Debian-Security\nPin-Priority: 100\n"]).length, 1);
        assert.equal(pinningProblems(["Package: openssl\nPin: version 3.5.1-1\nPin-Priority: 1001\n"]).length, 1);
        assert.deepEqual(pinningProblems(["Package: *\nPin: origin download.docker.com\nPin-Priority: 100\n"]), [], "a third-party origin ranked low changes nothing");
        assert.equal(pinningProblems([], defaultRelease(['APT::Default-Release "trixie";'])).length, 1, "Default-Release gives 990");
        assert.deepEqual(pinningProblems([]), []);
    });
    it("reads APT::Periodic as apt.systemd.daily does: days, unit suffixes, always, last value wins", () => {
        assert.equal(periodicDays("1"), 1);
        assert.equal(periodicDays("30"), 30);
        assert.equal(periodicDays("12h"), 0.5);
        assert.equal(periodicDays("always"), 0);
        assert.equal(periodicDays("0"), Infinity);
        const program = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';
        assert.deepEqual(periodicTooRare([program]), []);
        assert.deepEqual(periodicTooRare([program, 'APT::Periodic::Update-Package-Lists "30";']), ['APT::Periodic::Update-Package-Lists "30"']);
        assert.deepEqual(periodicTooRare(['APT::Periodic::Unattended-Upgrade "7d";', program]), [], "a later file sets it back");
    });
    it("reads cloud-init's disable_suites and ca_certs, and the trust store paths", () => {
        const config = cloudConfig("#cloud-config\napt:\n  disable_suites: [security, backports]\nca_certs:\n  trusted:\n    - |\n      -----BEGIN CERTIFICATE-----\n      AAAA\n      -----END CERTIFICATE-----\n")!;
        assert.deepEqual(disabledSecuritySuites(config.aptDisabledSuites), ["security"]);
        assert.equal(config.trustedCas.length, 1);
        assert.equal(cloudConfig("#cloud-config\nca-certs:\n  trusted: [x]\n")!.trustedCas.length, 1, "the older ca-certs spelling");
        assert.ok(isTrustStorePath("/usr/local/share/ca-certificates/proxy.crt"));
        assert.ok(isTrustStorePath("/etc/docker/certs.d/registry-1.docker.io/ca.crt"));
        assert.ok(!isTrustStorePath("/srv/elabftw/tls/ca.pem"));
    });
});

describe("secrets leaving through the process list, SSH's environment and Docker", () => {
    it("finds a secret environment variable expanded into an external command's arguments, not a path held in one", () => {
        assert.deepEqual(envSecretArguments('node reader.js -- --api-token "$PROXMOX_VE_API_TOKEN"'), ["node … $PROXMOX_VE_API_TOKEN"]);
        assert.deepEqual(envSecretArguments('printf "%s" "$PROXMOX_VE_API_TOKEN" | node reader.js'), [], "printf is a builtin");
        const paths = pathVariables(["BACKUP_SSH_KEY='/srv/elabftw/backup/id_ed25519'"]);
        assert.deepEqual(envSecretArguments('ssh-keygen -y -f "$BACKUP_SSH_KEY"', paths), []);
        assert.deepEqual(envSecretArguments('curl -H "Authorization: $api_key" https://x'), [], "lower-case: a script's own variable, read elsewhere");
    });
    it("reads SendEnv and AcceptEnv patterns as globs that add up", () => {
        assert.deepEqual(secretPassingPatterns(["LANG LC_*"]), []);
        assert.ok(secretPassingPatterns(["*"])[0].startsWith("*"));
        assert.ok(secretPassingPatterns(["PROXMOX_*"]).length === 1);
        assert.deepEqual(accumulatedValues(["AcceptEnv LANG\nAcceptEnv *\nMatch User x\nAcceptEnv FOO\n"], "AcceptEnv"), ["LANG", "*"]);
        assert.deepEqual(sshSentEnvironment(["-o", "SendEnv=*", "-oSendEnv LANG"]).sendEnv, ["*", "LANG"]);
    });
    it("finds docker commit/push/save and prints of a container's environment", () => {
        assert.ok(imageExport(["docker", "commit", "elabftw", "x/y:1"]));
        assert.ok(imageExport(["docker", "container", "export", "-o", "/tmp/x.tar", "elabftw"]));
        assert.equal(imageExport(["docker", "push", "x/y:1"]), undefined, "pushing a public image carries nothing of the deployment's");
        assert.equal(imageExport(["docker", "pull", "mysql:8.4"]), undefined);
        assert.ok(environmentPrint(["docker", "inspect", "--format", "{{json .Config.Env}}", "elabftw"]));
        assert.ok(environmentPrint(["docker", "container", "inspect", "elabftw"]), "no format prints everything");
        assert.equal(environmentPrint(["docker", "inspect", "--format", "{{.State.Status}}", "elabftw"]), undefined);
        assert.ok(environmentPrint(["docker", "exec", "elabftw", "env"]));
    });
    it("finds a secret file read over ssh into a local file, and host keys copied off the VM", () => {
        assert.equal(remoteSecretCopies("ssh admin@10.0.0.1 sudo cat /srv/elabftw/secrets/sysadmin-api-key > ~/key").length, 1);
        assert.equal(remoteSecretCopies("ssh admin@10.0.0.1 sudo cat /srv/elabftw/tls/cert.pem > ~/cert.pem").length, 0);
        assert.equal(remoteSecretCopies("ssh admin@10.0.0.1 sudo cat /srv/elabftw/secrets/api-key >/dev/null").length, 0);
        assert.equal(hostKeyExports("", 'VCS="git"\nPUSH_REMOTE="origin"\n').length, 1);
        assert.equal(hostKeyExports("", 'PUSH_REMOTE=""\n').length, 0);
        assert.equal(hostKeyExports("rsync -a /etc/ backup@10.0.0.2:/srv/etc/").length, 1);
        assert.equal(hostKeyExports("tar -C / -cz etc/ssh /etc/ssh | ssh x 'cat > a.tgz'").length, 1);
        assert.equal(hostKeyExports("rsync -a /srv/elabftw/ backup@10.0.0.2:/srv/").length, 0);
    });
});

describe("Borg: what opens the repository", () => {
    it("resolves BORG_PASSCOMMAND's file through the environment and refuses an empty source", () => {
        const env = assignments("BACKUP_PASSPHRASE_FILE='/dev/null'\nexport BORG_PASSCOMMAND=\"cat $BACKUP_PASSPHRASE_FILE\"\n");
        assert.deepEqual(passphraseFiles(env), ["/dev/null"]);
        assert.ok(emptyPassphraseSource("/dev/null"));
        assert.equal(emptyPassphraseSource("/srv/elabftw/backup/passphrase"), undefined);
    });
    it("counts a key export only where it runs: the branch for the action given", () => {
        assert.ok(keyfileMode("keyfile-blake2") && !keyfileMode("repokey-blake2"));
        const script = 'case "$action" in\ninit)\n    borg init --encryption=keyfile-blake2\n    ;;\nkey-export)\n    borg key export ::\n    ;;\nesac\n';
        const installed = new Map([["/usr/local/sbin/backup.sh", script]]);
        assert.equal(exportsKey("sudo /usr/local/sbin/backup.sh init", installed), false);
        assert.equal(exportsKey("sudo /usr/local/sbin/backup.sh key-export", installed), true);
        assert.equal(exportsKey(`sudo bash -c '${script}' x key-export`, new Map()), true, "inline");
        assert.equal(exportsKey(`sudo bash -c '${script}' x init`, new Map()), false);
        assert.equal(exportsKey("borg key export :: /srv/key", new Map()), true);
    });
    it("refuses a dump in a narrower character set (last one wins) and one without SET NAMES", () => {
        assert.equal(unrestorableDumps("mysqldump --default-character-set=latin1 --single-transaction elabftw | borg create").length, 1);
        assert.equal(unrestorableDumps("mysqldump --default-character-set latin1 --default-character-set=utf8mb4 --single-transaction elabftw").length, 0);
        assert.equal(unrestorableDumps("mysqldump --skip-set-charset --single-transaction elabftw").length, 1);
    });
    it("lands a path in a tmpfs in memory", () => {
        const props = { mounts: [{ type: "bind", source: "/srv/elabftw/elabftw/uploads", target: "/elabftw/uploads" }, { type: "tmpfs", target: "/elabftw/cache" }] };
        assert.equal(hostPathOf(props, "/elabftw/uploads/a.pdf", "/var/lib/docker")?.path, "/srv/elabftw/elabftw/uploads/a.pdf");
        assert.equal(hostPathOf(props, "/elabftw/cache/x", "/var/lib/docker")?.inMemory, true);
        assert.equal(hostPathOf({ tmpfs: { "/elabftw/uploads": "size=1g" } }, "/elabftw/uploads", "/var/lib/docker")?.inMemory, true);
    });
});

describe("GRUB's defaults as update-grub sources them", () => {
    it("expands later files over earlier ones and finds console root shells", () => {
        const files = ["/etc/default/grub.d/90-debug.cfg", "/etc/default/grub"].sort(grubFileOrder);
        assert.deepEqual(files, ["/etc/default/grub", "/etc/default/grub.d/90-debug.cfg"]);
        const settings = grubSettings(['GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_DEFAULT=0\n', 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT systemd.debug_shell=ttyS0"\n']);
        assert.deepEqual(kernelWords(settings), ["quiet", "systemd.debug_shell=ttyS0"]);
        assert.deepEqual(consoleRootShells(kernelWords(settings)), ["systemd.debug_shell=ttyS0"]);
        assert.deepEqual(consoleRootShells(["init=/bin/bash", "rd.break", "systemd.unit=emergency.target", "single", "systemd.debug_shell=0", "init=/lib/systemd/systemd"]), ["init=/bin/bash", "rd.break", "systemd.unit=emergency.target", "single"]);
        assert.ok(debugShellEnabled(["systemctl", "enable", "--now", "debug-shell.service"]));
        assert.ok(!debugShellEnabled(["systemctl", "disable", "debug-shell"]));
    });
    it("finds a pinned boot entry", () => {
        assert.deepEqual(pinnedKernel(grubSettings(["GRUB_DEFAULT=0\n"]), []), []);
        assert.deepEqual(pinnedKernel(grubSettings(['GRUB_DEFAULT="gnulinux-6.12.1-amd64-advanced-1234"\n']), []), ["GRUB_DEFAULT=gnulinux-6.12.1-amd64-advanced-1234"]);
        assert.deepEqual(pinnedKernel(new Map(), [["grub-set-default", "1>2"]]), ["grub-set-default 1>2"]);
        assert.deepEqual(pinnedKernel(new Map(), [["grub-set-default", "0"]]), []);
    });
});

describe("the guest table, Proxmox ACLs, rsyslog selectors, file systems", () => {
    it("finds commands that empty the guest table or race it", () => {
        assert.ok(wipesGuestTable(["nft", "flush", "ruleset"], "inet elabftw"));
        assert.ok(wipesGuestTable(["nft", "delete", "table", "inet", "elabftw"], "inet elabftw"));
        assert.ok(wipesGuestTable(["nft", "flush chain inet elabftw input"], "inet elabftw"));
        assert.equal(wipesGuestTable(["nft", "flush", "table", "ip", "nat"], "inet elabftw"), undefined);
        assert.equal(wipesGuestTable(["nft", "--file", "/etc/elabftw/nftables.nft"], "inet elabftw"), undefined);
        assert.ok(wipesGuestTable(["systemctl", "enable", "nftables"], "inet elabftw"));
        assert.ok(wipesGuestTable(["systemctl", "mask", "elabftw-nftables.service"], "inet elabftw"));
    });
    it("evaluates ACLs: roles' privileges, propagation, pools and storages", () => {
        const guarded = { vmIds: [2101], pools: ["demo"], storages: ["local-zfs"] };
        assert.deepEqual(grantedOver("/pool/demo", true, rolePrivileges("PVEVMUser", new Map())!, guarded), ["VM.Backup", "VM.Console"]);
        assert.deepEqual(grantedOver("/vms/9999", true, rolePrivileges("PVEVMAdmin", new Map())!, guarded), []);
        assert.deepEqual(grantedOver("/", true, rolePrivileges("PVEAuditor", new Map())!, guarded), []);
        assert.deepEqual(grantedOver("/vms", false, ["VM.Backup"], guarded), [], "not propagated: /vms itself only");
        assert.deepEqual(grantedOver("/storage/local-zfs", true, rolePrivileges("custom", new Map([["custom", ["Datastore.AllocateSpace"]]]))!, guarded), ["Datastore.AllocateSpace"]);
    });
    it("reads rsyslog's legacy selectors: later parts set or clear their facilities", () => {
        assert.ok(selectorMatches("*.*", "auth", 6));
        assert.ok(!selectorMatches("*.*;auth,authpriv.none", "authpriv", 6));
        assert.ok(selectorMatches("*.*;auth,authpriv.none", "daemon", 6));
        assert.ok(selectorMatches("auth,authpriv.*", "auth", 6));
        assert.ok(!selectorMatches("*.warning", "auth", 6), "info is below warning");
        assert.ok(!selectorMatches("*.*;auth.!info", "auth", 6));
        assert.equal(forwardRules(['*.*;auth,authpriv.none action(type="omfwd" target="10.0.0.5" port="514" protocol="udp")'])[0].selector, "*.*;auth,authpriv.none");
    });
    it("finds file systems without a journal or barriers, and drops that resolve to the live database", () => {
        assert.ok(unjournaled(["mkfs.ext4", "-q", "-O", "^has_journal", "/dev/x"]));
        assert.ok(unjournaled(["tune2fs", "-O^has_journal", "/dev/x"]));
        assert.ok(unjournaled(["mount", "-o", "noatime,data=writeback", "/dev/x", "/srv"]));
        assert.equal(unjournaled(["mkfs.ext4", "-q", "-L", "data", "/dev/x"]), undefined);
        assert.deepEqual(droppedDatabases('database="elabftw"\nscratch="${database}_drill"\nsql -e "DROP DATABASE IF EXISTS \\`$scratch\\`"\n'), ["elabftw_drill"]);
        assert.deepEqual(droppedDatabases('database="elabftw"\nsql -e "DROP SCHEMA \\`$database\\`"\n'), ["elabftw"]);
    });
});

describe("printf, content read out, SAML's email attribute, the edge's verification", () => {
    it("prints the format with its conversions filled, reused while arguments remain", () => {
        assert.equal(printfOutput("A=%s\\nB=%s\\n", ["1", "2"]), "A=1\nB=2\n");
        assert.equal(printfOutput("%s\\n", ["a", "b"]), "a\nb\n");
        assert.equal(printfOutput("100%%\\n", []), "100%\n");
        assert.equal(printfOutput("%%s\\n", ["a"]), "%s\n", "%%s takes no argument: one pass, not an endless one");
    });
    it("tells rows from counts, and follows them to a file or the journal", () => {
        assert.ok(readsRows("SELECT * FROM `elabftw`.`users` ORDER BY 1 DESC LIMIT 20"));
        assert.ok(!readsRows("SELECT COUNT(*) FROM `elabftw`.`users`"));
        assert.ok(!readsRows("SELECT table_name FROM information_schema.tables"));
        assert.deepEqual(dataExports('sql -e "SELECT body FROM experiments" | logger -t x'), [{ what: 'sql -e "SELECT body FROM experiments"', to: "the journal" }]);
        assert.deepEqual(dataExports("curl -fsS https://elab.example.org/api/v2/experiments -o /var/backups/x.json"), [{ what: "curl https://elab.example.org/api/v2/experiments", to: "/var/backups/x.json" }]);
        assert.deepEqual(dataExports("curl -fsS https://elab.example.org/api/v2/info -o /dev/null"), []);
    });
    it("accepts only the directory's institutional mail as the account key", () => {
        assert.ok(isInstitutionalEmailAttribute("urn:oid:0.9.2342.19200300.100.1.3"));
        assert.ok(isInstitutionalEmailAttribute("mail"));
        assert.ok(!isInstitutionalEmailAttribute("urn:oid:1.3.6.1.4.1.7135.1.2.1.15"));
        assert.equal(idpEmailAttribute(JSON.stringify({ config: {}, idp: { kind: "manual", idp: { email_attr: "mail" } } })), "mail");
        assert.equal(idpEmailAttribute("not json"), undefined);
    });
    it("finds proxy settings that skip the backend's certificate", () => {
        assert.deepEqual(backendVerificationOff("nginx: proxy_ssl_verify off; HAProxy: server web 10.0.0.1:443 ssl verify none"), ["proxy_ssl_verify off", "verify none"]);
        assert.deepEqual(backendVerificationOff("proxy_ssl_verify on; proxy_ssl_trusted_certificate ca.pem; HAProxy verify required ca-file ca.pem"), []);
    });
});
