// The models' forms added after blind set 11 (issue 14), each with the forms the software itself
// accepts: sshd's algorithm lists, the kernel's sysctl settings, APT suites and unattended-upgrades'
// blocklist, LUKS volume-key exports, Borg passphrase changes, second-factor secrets written by SQL,
// rows deleted and settings reset, certificates' keys (real ones, made with openssl), the hand-off's
// deny rows and HTTPS-only row 1, cloud-init's administrators and config-file secrets; after set 13,
// TLS server certificates' lifetimes and SSH remote forwarding.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { newPassphraseSource } from "../policies/models/borgKeys";
import { pemCertificates, serverLeafDays, weakCertificateKey } from "../policies/models/certificates";
import { reverseTunnel } from "../policies/models/hostAccess";
import { mfaSecretWrites } from "../policies/models/elabftwSettings";
import { HandOffRow, matrixFloorBreaches, matrixFlows, missingDenials } from "../policies/models/handOff";
import { setOf } from "../policies/models/ipv4";
import { volumeKeyExport } from "../policies/models/luks";
import { cloudConfig } from "../policies/models/programText";
import { textSecrets } from "../policies/models/secretScan";
import { pipelines } from "../policies/models/shell";
import { securityOriginKept, unsupportedSuites, upgradeBlocklist } from "../policies/models/softwareSources";
import { sshdTexts, weakSshAlgorithms } from "../policies/models/sshd";
import { sysctlSettings, weakenedKernel } from "../policies/models/sysctl";
import { deletedRows, resetsSettings } from "../policies/rules/dataLoss";

describe("sshd's algorithms as sshd reads them", () => {
    it("reports weak algorithms added (+), put first (^) or listed, in any keyword, the first value winning", () => {
        assert.deepEqual(weakSshAlgorithms(["Ciphers ^aes256-cbc\n"]), ["ciphers aes256-cbc"]);
        assert.deepEqual(weakSshAlgorithms(["HostKeyAlgorithms ssh-ed25519,ssh-dss\n"]), ["hostkeyalgorithms ssh-dss"]);
        assert.deepEqual(weakSshAlgorithms(["macs=hmac-md5-etm@openssh.com\n"]), ["macs hmac-md5-etm@openssh.com"]);
        assert.deepEqual(weakSshAlgorithms(["KexAlgorithms curve25519-sha256\n", "KexAlgorithms +diffie-hellman-group-exchange-sha1\n"]), [], "the drop-in read first wins");
        assert.deepEqual(weakSshAlgorithms(["Match Address 10.0.0.0/8\n  PubkeyAcceptedAlgorithms +ssh-rsa\n"]), ["pubkeyacceptedalgorithms ssh-rsa"]);
    });
    it("accepts removals and OpenSSH's sound algorithms", () => {
        assert.deepEqual(weakSshAlgorithms(["Ciphers -aes128-cbc\nKexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256\nMACs hmac-sha2-512-etm@openssh.com\n"]), []);
    });
    it("orders the files as Debian's sshd reads them: drop-ins by name, then sshd_config", () => {
        const files = new Map([["/etc/ssh/sshd_config", "a"], ["/etc/ssh/sshd_config.d/50-b.conf", "b"], ["/etc/ssh/sshd_config.d/10-c.conf", "c"], ["/etc/ssh/other", "x"]]);
        assert.deepEqual(sshdTexts(files), ["c", "b", "a"]);
    });
});

describe("kernel settings as systemd-sysctl applies them", () => {
    it("reads sysctl.d by file name across directories (/etc wins a name), the last assignment winning, / as .", () => {
        const files = new Map([
            ["/usr/lib/sysctl.d/50-x.conf", "kernel/randomize_va_space=1\n"],
            ["/etc/sysctl.d/50-x.conf", "kernel.randomize_va_space = 2\n"],
            ["/etc/sysctl.d/99-late.conf", "fs.protected_symlinks=0\n# kernel.dmesg_restrict = 0\n"],
        ]);
        const settings = sysctlSettings(files);
        assert.equal(settings.get("kernel.randomize_va_space"), "2", "/etc's file of the same name hides /usr/lib's");
        assert.equal(weakenedKernel(settings).length, 1);
        assert.match(weakenedKernel(settings)[0], /protected_symlinks/);
    });
    it("takes sysctl -w and writes to /proc/sys after the files", () => {
        assert.match(weakenedKernel(sysctlSettings(new Map(), [["sysctl", "-w", "kernel.unprivileged_bpf_disabled=0"]]))[0], /eBPF/);
        assert.match(weakenedKernel(sysctlSettings(new Map([["/proc/sys/fs/suid_dumpable", "2\n"]])))[0], /suid_dumpable/);
        assert.deepEqual(weakenedKernel(sysctlSettings(new Map([["/etc/sysctl.d/10-hardening.conf", "kernel.dmesg_restrict=1\nkernel.randomize_va_space=2\n"]]))), []);
    });
});

describe("APT suites and unattended-upgrades' blocklist", () => {
    it("finds unsupported suites in one-line and deb822 sources, with options and suffixes", () => {
        assert.deepEqual(unsupportedSuites("deb [signed-by=/usr/share/keyrings/debian.gpg] https://deb.debian.org/debian testing main\n"), ["testing"]);
        assert.deepEqual(unsupportedSuites("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie experimental\nComponents: main\n"), ["experimental"]);
        assert.deepEqual(unsupportedSuites("deb http://deb.debian.org/debian forky-updates main\n"), ["forky-updates"]);
        assert.deepEqual(unsupportedSuites("deb http://deb.debian.org/debian trixie-backports main\n# deb http://deb.debian.org/debian sid main\n"), []);
    });
    it("reads Package-Blacklist and Package-Blocklist, lists and single values, #clear emptying them", () => {
        assert.deepEqual(upgradeBlocklist(['Unattended-Upgrade::Package-Blocklist {\n  "linux-";\n};\n']), ["linux-"]);
        assert.deepEqual(upgradeBlocklist(['Unattended-Upgrade::Package-Blacklist:: "openssh-server";\n']), ["openssh-server"]);
        assert.deepEqual(upgradeBlocklist(['Unattended-Upgrade::Package-Blacklist { "x"; };', "#clear Unattended-Upgrade::Package-Blacklist;"]), []);
        assert.deepEqual(upgradeBlocklist(['Unattended-Upgrade::Package-Blacklist {\n    // "vim";\n    /* "libc6$"; */\n};\n']), [], "Debian's file: commented entries only");
        assert.equal(securityOriginKept(["#clear Unattended-Upgrade::Origins-Pattern;\nUnattended-Upgrade::Origins-Pattern {\n// \"origin=Debian,codename=${distro_codename}-security\";\n\"origin=Docker\";\n};\n"]), false, "a commented security origin is no origin");
    });
});

describe("what opens the data disk or the backups beside the escrowed secrets", () => {
    it("finds the LUKS volume key printed, by either option name, and dm-crypt's keys shown", () => {
        assert.ok(volumeKeyExport(["/usr/sbin/cryptsetup", "luksDump", "--dump-master-key", "/dev/sdb"]));
        assert.ok(volumeKeyExport(["dmsetup", "table", "--showkeys", "elabdata"]));
        assert.equal(volumeKeyExport(["cryptsetup", "luksDump", "/dev/sdb"]), undefined);
    });
    it("tells a passphrase change to the installed file from one to any other value", () => {
        const stage = (script: string) => pipelines(script)[0].stages[0];
        assert.equal(newPassphraseSource(stage('BORG_NEW_PASSPHRASE="$(cat "$BACKUP_PASSPHRASE_FILE")" borg key change-passphrase')), "$BACKUP_PASSPHRASE_FILE");
        assert.equal(newPassphraseSource(stage('BORG_NEW_PASSPHRASE="$(openssl rand -base64 32)" borgbackup key change-passphrase ::')), "");
        assert.equal(newPassphraseSource(stage("borg change-passphrase")), "", "Borg 1.0's spelling, typed at a prompt");
        assert.equal(newPassphraseSource(stage("borg key export :: /dev/stdout")), undefined);
    });
});

describe("the notebook's second factor and rows", () => {
    it("finds a TOTP secret written into users, by UPDATE or INSERT, not its reset to NULL", () => {
        assert.equal(mfaSecretWrites("UPDATE `users` SET mfa_secret='JBSWY3DPEHPK3PXP', validated = 1 WHERE userid = 1;").length, 1);
        assert.equal(mfaSecretWrites("INSERT INTO elabftw.users (email, mfa_secret) VALUES ('a@b', 'X');").length, 1);
        assert.deepEqual(mfaSecretWrites("UPDATE users SET mfa_secret = NULL WHERE userid = 3;"), []);
    });
    it("finds rows deleted in any SQL of a script, except in the drill's scratch database (named on the table or by USE)", () => {
        assert.deepEqual(deletedRows("mysql -e 'DELETE LOW_PRIORITY FROM elabftw.uploads WHERE created_at < NOW()'"), ["DELETE LOW_PRIORITY FROM elabftw.uploads"]);
        assert.deepEqual(deletedRows("printf 'TRUNCATE revisions;' | mysql elabftw"), ["TRUNCATE revisions"]);
        assert.deepEqual(deletedRows("mysql -e 'DROP TABLE elabftw_restore_drill.experiments'"), []);
        // The scratch database chosen by USE (its name from the script's own variables), then the live one again.
        const drill = 'database="elabftw"\nscratch="${database}_restore_drill"\nmysql -e "USE ${scratch}; DELETE FROM experiments WHERE id > 3; USE ${database}; DELETE FROM users"';
        assert.deepEqual(deletedRows(drill), ["DELETE FROM users"]);
        assert.deepEqual(deletedRows("mysql -e 'USE elabftw; TRUNCATE revisions'"), ["TRUNCATE revisions"]);
        assert.deepEqual(deletedRows("mysql <<'SQL'\nUSE elabftw_restore_drill;\nDELETE FROM experiments;\nSQL\nmysql elabftw <<'SQL'\nUSE elabftw;\nTRUNCATE uploads;\nSQL"), ["TRUNCATE uploads"]);
        // The word in a comment is no USE statement.
        assert.deepEqual(deletedRows("# we use elabftw_restore_drill for drills\nmysql elabftw -e 'DELETE FROM experiments'"), ["DELETE FROM experiments"]);
    });
    it("finds the settings reset whatever wraps the HTTP client", () => {
        assert.ok(resetsSettings(["curl", "-sS", "-XDELETE", "https://elabftw.lab.example.org/api/v2/config"]));
        assert.ok(resetsSettings(["api_call", "delete", "'/config'"]));
        assert.equal(resetsSettings(["call", "DELETE", "/idps/3"]), false);
        assert.equal(resetsSettings(["call", "PATCH", "/config"]), false);
    });
});

describe("certificates' keys, as OpenSSL reads them", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cert-model-"));
    const certificate = (newkey: string[]) => {
        execFileSync("openssl", ["req", "-x509", ...newkey, "-nodes", "-days", "30", "-subj", "/CN=idp.example.org", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")], { stdio: "ignore" });
        return readFileSync(path.join(dir, "c.pem"), "utf8");
    };
    it("refuses RSA below 2048 bits and small curves, accepts RSA 2048+ and P-256+", () => {
        assert.match(weakCertificateKey(certificate(["-newkey", "rsa:1024"])) ?? "", /RSA key of 1024 bits/);
        assert.equal(weakCertificateKey(certificate(["-newkey", "rsa:2048"])), undefined);
        assert.equal(weakCertificateKey(certificate(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"])), undefined);
        assert.equal(weakCertificateKey("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"), undefined, "unparseable: other checks say so");
    });
    it("measures a TLS server certificate's lifetime, not a CA's nor a client certificate's", () => {
        assert.equal(serverLeafDays(certificate(["-newkey", "rsa:2048", "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth"])), 30);
        assert.equal(serverLeafDays(certificate(["-newkey", "rsa:2048", "-addext", "basicConstraints=critical,CA:TRUE"])), undefined);
        assert.equal(serverLeafDays(certificate(["-newkey", "rsa:2048", "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=clientAuth"])), undefined);
        assert.equal(serverLeafDays(certificate(["-newkey", "rsa:2048", "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "subjectAltName=DNS:elab.example.org"])), 30, "no EKU, a host name: a server certificate");
        assert.equal(serverLeafDays(certificate(["-newkey", "rsa:2048", "-addext", "basicConstraints=critical,CA:FALSE"])), undefined, "no EKU, no host: a signing certificate (SAML's)");
    });
    it("finds every certificate block of a text (a chain, a document)", () => {
        const pem = certificate(["-newkey", "rsa:2048"]);
        assert.equal(pemCertificates(`{"cert": ${JSON.stringify(pem + pem)}}`.replace(/\\n/g, "\n")).length, 2);
        rmSync(dir, { recursive: true, force: true });
    });
});

describe("the edge hand-off's rows", () => {
    const e = { lab: setOf("10.20.40.0/24"), vpn: setOf("10.8.0.0/16"), admin: setOf("10.20.50.0/28"), edge: setOf("10.20.1.10"), web: setOf("10.20.30.10"), db: setOf("10.20.30.11"), filer: setOf("10.20.60.20") };
    const rows: HandOffRow[] = [
        { num: "5", source: "labSubnet (10.20.40.0/24)", destination: "db (10.20.30.11)", destinationPort: "any", action: "deny" },
        { num: "6", source: "labSubnet (10.20.40.0/24)", destination: "filer (10.20.60.20)", destinationPort: "2049 TCP/UDP", action: "deny" },
    ];
    it("wants rows 5 and 6 denied as the paper states them, whatever the rows are numbered", () => {
        assert.deepEqual(missingDenials(rows, e), []);
        assert.equal(missingDenials([rows[0], { ...rows[1], destinationPort: "2049 TCP" }], e).length, 1, "NFS over UDP left open");
        assert.equal(missingDenials([{ ...rows[0], source: "labSubnet (10.20.40.0/25)" }, rows[1]], e).length, 1, "half the lab");
        assert.equal(missingDenials([], e).length, 2);
        assert.deepEqual(missingDenials([{ num: "8", source: "any", destination: "any", destinationPort: "any", action: "deny" }], e), [], "row 8's deny-all covers both");
    });
    it("lets users reach the edge on 443/tcp only", () => {
        const flows = matrixFlows([{ num: "1", source: "vpnClients (10.8.0.0/16)", destination: "edgeFirewall (10.20.1.10)", destinationPort: "80,443 TCP", action: "allow" }]);
        assert.equal(matrixFloorBreaches(flows, e).length, 1);
        assert.deepEqual(matrixFloorBreaches(matrixFlows([{ num: "1", source: "vpnClients (10.8.0.0/16)", destination: "edgeFirewall (10.20.1.10)", destinationPort: "443 TCP", action: "allow" }]), e), []);
    });
});

describe("cloud-init's administrators and config-file secrets", () => {
    it("counts accounts with keys, a sudo rule or an admin group, and the default user given keys", () => {
        const admins = (yaml: string) => cloudConfig(`#cloud-config\n${yaml}`)?.administrators;
        assert.deepEqual(admins("users:\n  - default\n  - name: elabadmin\n    ssh_authorized_keys: [ssh-ed25519 AAAA]\n    sudo: ALL=(ALL) NOPASSWD:ALL\n"), ["elabadmin"]);
        assert.deepEqual(admins("users:\n  - name: a\n    ssh_authorized_keys: [k]\n  - name: ops\n    groups: docker\n"), ["a", "ops"]);
        assert.deepEqual(admins("ssh_authorized_keys: [k]\nusers:\n  - name: a\n    lock_passwd: true\n"), ["default"]);
    });
    it("reads INI and colon settings as a file's readers do, not references or empty values", () => {
        assert.equal(textSecrets("[auth]\ndns_ovh_application_secret = Jc3wQ8zR1yT6uV0p\n").length, 1);
        assert.equal(textSecrets("smtp_password: 'k9Lm2Qw8Rt5Y'\n").length, 1);
        assert.deepEqual(textSecrets("password_file = /run/secrets/smtp\n"), []);
    });
});

describe("SSH remote forwarding, as ssh reads its arguments", () => {
    it("finds -R alone, grouped, attached, as an option and through autossh", () => {
        assert.ok(reverseTunnel(["ssh", "-N", "-R", "0.0.0.0:443:10.20.30.10:443", "tunnel@relay"]));
        assert.ok(reverseTunnel(["/usr/bin/ssh", "-fNR", "8443:localhost:443", "relay"]));
        assert.ok(reverseTunnel(["ssh", "-R9000", "relay"]));
        assert.ok(reverseTunnel(["ssh", "-o", "RemoteForward 2222 localhost:22", "relay"]));
        assert.ok(reverseTunnel(["autossh", "-M", "0", "-N", "-R", "2222:localhost:22", "relay"]));
    });
    it("leaves local forwarding and a remote command's own -R alone", () => {
        assert.equal(reverseTunnel(["ssh", "-L", "3306:10.20.30.11:3306", "admin@bastion"]), undefined);
        assert.equal(reverseTunnel(["ssh", "-p", "2222", "borg@backup", "ls", "-R"]), undefined);
        assert.equal(reverseTunnel(["ssh", "-i", "-R", "host"]), undefined, "-i takes the next word as its value");
    });
});
