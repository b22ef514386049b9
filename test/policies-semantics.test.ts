// The pack's models of what the software reading a value does with it: host paths as Docker cleans
// them, Borg's own directories, copies leaving the VM, secrets in any text, settings sent to eLabFTW,
// the guests' nftables rules evaluated packet by packet.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUnder, normalisePath } from "../policies/models/paths";
import { argumentSecrets, commandLineSecrets, plaintextStrings, textSecrets } from "../policies/models/secretScan";
import { borgDirectories, dumpLeaks } from "../policies/models/borg";
import { filesWrittenBy } from "../policies/models/programText";
import { networkMounts, tarArchives, unencryptedCopies } from "../policies/models/transfers";
import { mysqldDataPaths, mysqldOptions } from "../policies/models/mysqld";
import { hostPathOf } from "../policies/models/dockerContainer";
import { nftVerdict } from "../policies/models/nftEval";
import { toInt } from "../policies/models/ipv4";
import { documentWrites, httpWrites, readsConfig, scriptWrites, sqlWrites } from "../policies/models/elabftwSettings";

describe("host paths", () => {
    it("are cleaned as Docker cleans a bind source: //, ., .., trailing slashes", () => {
        assert.equal(normalisePath("/srv/elabftw/../../opt/x/"), "/opt/x");
        assert.equal(normalisePath("//srv//elabftw/./mysql/"), "/srv/elabftw/mysql");
        assert.equal(normalisePath("/../.."), "/");
        assert.equal(isUnder("/srv/elabftw/../elabftw-uploads", "/srv/elabftw"), false);
        assert.equal(isUnder("/srv/elabftw/./mysql", "/srv/elabftw/"), true);
        assert.equal(isUnder("/srv/elabftwx", "/srv/elabftw"), false);
    });
});

describe("eLabFTW settings as sent", () => {
    it("reads a settings document, HTTP bodies and query strings, and SQL on the config table", () => {
        assert.deepEqual(documentWrites('{"config": {"anon_users": true, "login_tries": 10, "emit_audit_logs": false}, "idp": null}'), [["anon_users", "1"], ["login_tries", "10"], ["emit_audit_logs", ""]]);
        assert.deepEqual(httpWrites(["curl", "-X", "PATCH", "https://elab/api/v2/config", "--data-binary", '{"enforce_mfa":"0"}']), [["enforce_mfa", "0"]]);
        assert.deepEqual(httpWrites(["curl", "--request=PATCH", "https://elab/api/v2/config?local_login=1", "-dmin_password_length=6&login_tries=50"]), [["local_login", "1"], ["min_password_length", "6"], ["login_tries", "50"]]);
        assert.deepEqual(httpWrites(["curl", "https://elab/api/v2/items", "-d", "anon_users=1"]), []);
        assert.deepEqual(sqlWrites("UPDATE config SET conf_value = '1' WHERE conf_name = \"anon_users\"; insert into `config` (conf_value, conf_name) values ('0','emit_audit_logs'),('1', 'local_register');"), [["anon_users", "1"], ["emit_audit_logs", "0"], ["local_register", "1"]]);
    });

    it("finds the writes inside a script's commands, behind wrappers", () => {
        const script = `sudo docker exec mysql mysql elabftw -e "UPDATE config SET conf_value='0' WHERE conf_name='enforce_mfa'"\ncurl -sS --json '{"anon_users":"1"}' -X PATCH "$base/api/v2/config" || true\n`;
        assert.deepEqual(scriptWrites(script.replace('"$base', '"https://x')), [["anon_users", "1"], ["enforce_mfa", "0"]]);
    });
});

describe("secrets in plaintext", () => {
    it("walks every string of a value but the secret channels", () => {
        const props = { description: "x", stdin: "secret", initialization: { userAccount: { password: "p", username: "u" } }, tags: ["a", "b"] };
        assert.deepEqual(plaintextStrings(props, ["stdin", "initialization.userAccount.password"]).map((t) => `${t.path}=${t.text}`), ["description=x", "initialization.userAccount.username=u", "tags=a", "tags=b"]);
    });

    it("reads assignments in prose, YAML and JSON keys, and cloud-init files; not references", () => {
        assert.ok(textSecrets("Backups: BORG_PASSPHRASE=correct-horse, ask the CSSI").length > 0);
        assert.ok(textSecrets("smtp:\n  password: hunter2hunter2\n").length > 0);
        assert.ok(textSecrets('{"api_token": "3-4f8a9c"}').length > 0);
        assert.ok(textSecrets("#cloud-config\nwrite_files:\n  - path: /etc/x.conf\n    content: |\n      DB_PASSWORD=Tr0ub4dor3x\n").length > 0);
        assert.deepEqual(textSecrets("BORG_PASSCOMMAND='cat /srv/elabftw/passphrase' BORG_PASSPHRASE=$PW DB_PASSWORD_FILE=secret.txt MIN_PASSWORD_LENGTH=12"), []);
        // A shell does not assign in a comment: scripts are read as the shell reads them.
        assert.deepEqual(textSecrets("# each line is KEY='value'\ntrue\n", "shell"), []);
    });

    it("finds password options on command lines, as each tool reads them", () => {
        assert.deepEqual(argumentSecrets(["mysql", "-uroot", "-pTr0ub4dor", "elabftw"]), ["mysql -p<password>"]);
        assert.deepEqual(argumentSecrets(["mysql", "-p", "elabftw"]), []); // a prompt, then the database
        assert.deepEqual(argumentSecrets(["mariadb-dump", "--password=x", "db"]), ["mariadb-dump --password=<password>"]);
        assert.deepEqual(argumentSecrets(["sshpass", "-p", "x", "ssh", "h"]), ["sshpass -p <password>"]);
        assert.deepEqual(argumentSecrets(["openssl", "enc", "-pass", "pass:x"]), ["openssl -pass pass:<password>"]);
        assert.deepEqual(argumentSecrets(["curl", "-u", "me:pw", "https://x"]), ["curl -u user:<password>"]);
        assert.deepEqual(argumentSecrets(["systemctl", "--no-ask-password", "start", "x"]), []);
        assert.deepEqual(argumentSecrets(["tool", "--password-file", "/root/pw"]), []);
        assert.equal(commandLineSecrets("sudo env BORG_RSH=ssh borg --passphrase hunter2 list\n").length, 1);
        assert.equal(commandLineSecrets("rsync -a /srv/ rsync://u:pw@host/m/").length, 1);
    });
});

describe("Borg's own files", () => {
    it("follow BORG_BASE_DIR, the BORG_*_DIR variables and XDG, else root's home", () => {
        assert.deepEqual(borgDirectories({}, "/root").map((d) => d.path), ["/root/.cache/borg", "/root/.config/borg", "/root/.config/borg/keys", "/root/.config/borg/security"]);
        assert.deepEqual(borgDirectories({ BORG_BASE_DIR: "/srv/b", BORG_CACHE_DIR: "/var/cache/borg" }, "/root").map((d) => d.path), ["/var/cache/borg", "/srv/b/.config/borg", "/srv/b/.config/borg/keys", "/srv/b/.config/borg/security"]);
        assert.equal(borgDirectories({ BORG_CONFIG_DIR: "/etc/borg", BORG_SECURITY_DIR: "/srv/s" }, "/root")[3].path, "/srv/s");
    });
});

describe("dumps and copies leaving the machine", () => {
    it("reads files a script writes with a here-document, echo and tee", () => {
        const files = filesWrittenBy("cat >/etc/cron.d/dump <<'EOF'\n0 3 * * * root mysqldump db >/tmp/x\nEOF\necho '//nas/backup /mnt/nas cifs ro 0 0' >> /etc/fstab\nprintf '%s\\n' 'a' 'b' | sudo tee /usr/local/bin/x >/dev/null\n");
        assert.deepEqual(files.map((f) => f.path), ["/etc/cron.d/dump", "/etc/fstab", "/usr/local/bin/x"]);
        assert.match(files[0].content, /mysqldump db >\/tmp\/x/);
    });

    it("lets Borg read a dump itself (--content-from-command), and nothing else", () => {
        assert.deepEqual(dumpLeaks("borg create --content-from-command ::db -- mysqldump --single-transaction elabftw"), []);
        assert.equal(dumpLeaks("mysqldump db 2>&1 >/var/tmp/x.sql | borg create ::a -").length, 1);
        assert.equal(dumpLeaks("mysqldump db | tee /var/tmp/x.sql | borg create --stdin-name db.sql ::a -").length, 1);
    });

    it("finds unencrypted copies: rsync, scp, rclone, curl uploads, tar to a host, pipes into ssh, files on a network mount", () => {
        assert.equal(unencryptedCopies("rsync -a /srv/elabftw/uploads/ backup@nas:/exports/elab/").length, 1);
        assert.equal(unencryptedCopies("scp -i k /srv/elabftw/db.sql.gz nas:/backup/").length, 1);
        assert.equal(unencryptedCopies("rclone sync /srv/elabftw/uploads s3remote:bucket/elab").length, 1);
        assert.equal(unencryptedCopies("tar czf - /srv/elabftw/uploads | ssh nas 'cat > up.tgz'").length, 1);
        assert.deepEqual(unencryptedCopies("tar czf - /srv/elabftw/uploads | gpg -e -r backup | ssh nas 'cat > up.tgz.gpg'"), []);
        assert.deepEqual(unencryptedCopies("rsync -a /srv/elabftw/uploads/ /srv/elabftw/copy/"), []);
        const mounts = networkMounts(["mount -t nfs4 -o vers=4.2 nas:/exports/elab /mnt/backup"], ["//nas/share /mnt/cifs cifs credentials=/root/c 0 0"]);
        assert.deepEqual(mounts, ["/mnt/backup", "/mnt/cifs"]);
        assert.equal(unencryptedCopies("cp -a /srv/elabftw/uploads /mnt/backup/uploads", mounts).length, 1);
        assert.equal(unencryptedCopies("mysqldump db > /mnt/cifs/db.sql", mounts).length, 1);
    });
});

describe("the guests' nftables, packet by packet", () => {
    const ruleset = (rules: string, policy = "drop") => `table inet elabftw {\n    set admins { type ipv4_addr; flags interval; elements = { 10.20.50.0/28 } }\n    chain input {\n        type filter hook input priority filter; policy ${policy};\n        ct state established,related accept\n        iifname "lo" accept\n${rules}\n    }\n    chain forward {\n        type filter hook forward priority filter; policy drop;\n        ip saddr 10.20.1.1 ct status dnat meta l4proto tcp ct original proto-dst 443 accept comment "edge; only"\n    }\n}\n`;
    const pass = (text: string, peer: string, dport: number, published: string[] = []) => nftVerdict(text, { peer: toInt(peer), proto: "tcp", dport }, toInt("10.20.30.11"), published).pass;

    it("takes the first verdict, else the policy; named sets, service names, != and comments with ;", () => {
        const text = ruleset('        ip saddr 10.20.40.0/24 drop comment "lab; any port"\n        ip saddr @admins tcp dport ssh accept\n        ip saddr != 10.0.0.0/8 tcp dport 80-90 accept');
        assert.equal(pass(text, "10.20.50.3", 22), "yes");
        assert.equal(pass(text, "10.20.40.3", 22), "no");
        assert.equal(pass(text, "10.8.0.1", 85), "no");
        assert.equal(pass(text, "147.210.0.1", 85), "yes");
        assert.equal(pass(ruleset("", "accept"), "10.8.0.1", 3306), "yes");
    });

    it("follows jumps, and reads published ports through the forward hook", () => {
        const text = ruleset("        ip saddr 10.8.0.0/16 jump vpn").replace("    chain forward {", "    chain vpn {\n        tcp dport 3306 accept\n    }\n    chain forward {");
        assert.equal(pass(text, "10.8.0.9", 3306), "yes");
        assert.equal(pass(text, "10.8.0.9", 22), "no");
        assert.equal(pass(ruleset(""), "10.20.1.1", 443, ["tcp/443"]), "yes");
        assert.equal(pass(ruleset(""), "10.20.40.1", 443, ["tcp/443"]), "no");
    });

    it("reads an expression it does not know as a maybe", () => {
        assert.equal(pass(ruleset("        meta skuid 0 ip saddr 10.8.0.0/16 accept"), "10.8.0.1", 22), "maybe");
    });
});

describe("where data lands, issue 14 second pass", () => {
    it("mysqld's other files: logs to FILE only, the binary log unless skipped, secure_file_priv \"\" is anywhere", () => {
        const paths = (...args: string[]) => mysqldDataPaths(mysqldOptions(["mysqld", ...args])).map((p) => `${p.option}=${p.path}`);
        assert.ok(paths("--general-log", "--general_log_file=/dev/stderr").includes("general_log_file=/dev/stderr"));
        assert.ok(!paths("--general-log", "--log-output=TABLE").some((p) => p.startsWith("general_log_file")));
        assert.ok(paths().includes("log_bin=/var/lib/mysql/binlog"));
        assert.ok(!paths("--skip-log-bin").some((p) => p.startsWith("log_bin")));
        assert.ok(paths("--secure-file-priv=").includes("secure_file_priv="));
        assert.ok(!paths("--secure-file-priv=NULL").some((p) => p.startsWith("secure_file_priv")));
        assert.ok(paths("--tmpdir=/a:/b").includes("tmpdir=/b"));
    });

    it("a container's file on the host: through its mounts, its writable layer, or its log driver", () => {
        const props = { mounts: [{ type: "bind", source: "/srv/elabftw/mysql", target: "/var/lib/mysql" }], logDriver: "journald" };
        assert.deepEqual(hostPathOf(props, "/var/lib/mysql/./binlog", "/srv/elabftw/docker")?.path, "/srv/elabftw/mysql/binlog");
        assert.equal(hostPathOf(props, "/tmp", "/srv/elabftw/docker")?.path, "/srv/elabftw/docker/containers");
        assert.equal(hostPathOf(props, "/proc/self/fd/2", "/srv/elabftw/docker")?.via, "the journald log driver");
        assert.equal(hostPathOf({}, "/dev/stdout", "/srv/d")?.path, "/srv/d/containers");
    });

    it("tar's archive as GNU tar reads it, and borg extract --stdout written on the way", () => {
        assert.deepEqual(tarArchives(["tar", "czf", "/mnt/a.tgz", "/srv"]), ["/mnt/a.tgz"]);
        assert.deepEqual(tarArchives(["tar", "cbf", "20", "/mnt/a.tar", "/srv"]), ["/mnt/a.tar"]);
        assert.deepEqual(tarArchives(["tar", "-cz", "-f/mnt/b.tgz", "--file=/mnt/c.tgz", "-cvf", "/mnt/d.tar"]), ["/mnt/b.tgz", "/mnt/c.tgz", "/mnt/d.tar"]);
        assert.equal(dumpLeaks('borg extract --stdout ::a | docker exec -i mysql mysql elabftw').length, 0);
        assert.equal(dumpLeaks('borg extract --stdout ::a | gunzip > /var/tmp/x.sql').length, 1);
        assert.equal(dumpLeaks('borg --lock-wait 5 extract --stdout ::a | tee -a /root/x.sql | mysql').length, 1);
    });

    it("reading eLabFTW's settings: a GET of the config endpoint, not a PATCH with a body", () => {
        assert.equal(readsConfig(["curl", "-sf", "https://localhost/api/v2/config"]), true);
        assert.equal(readsConfig(["curl", "-X", "GET", "--data", "x", "https://h/api/v2/config/"]), true);
        assert.equal(readsConfig(["curl", "-X", "PATCH", "https://h/api/v2/config", "--data", "{}"]), false);
        assert.equal(readsConfig(["curl", "--json", "{}", "https://h/api/v2/config"]), false);
    });
});
