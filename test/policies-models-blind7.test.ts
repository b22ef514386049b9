// The models' forms added for blind set 7 (issue 14), with the forms the software itself accepts:
// mysqldump's partial dumps, files a script installs from a pipe, docker plugin images, nftables
// sets filled at run time, agetty's autologin, sudoers' logging defaults, clock synchronisation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dumpLeaks, partialDumps, unrestorableDumps } from "../policies/models/borg";
import { dockerImageOf, imagesRunBy } from "../policies/models/dockerCli";
import { nftVerdict } from "../policies/models/nftEval";
import { filesWrittenBy } from "../policies/models/programText";
import { toInt } from "../policies/models/ipv4";
import { consoleAutologin, sudoLoggingOff, timeSyncStopped } from "../policies/models/hostAccess";
import { discardedBeforeForwarding } from "../policies/models/rsyslog";

describe("mysqldump: dumps that leave part of the database out", () => {
    it("reads --ignore-table in both forms, --ignore-table-data, --where and -w", () => {
        assert.deepEqual(partialDumps("mysqldump --ignore-table=db.t1 --ignore-table db.t2 db | borg create ::a -"), ["--ignore-table db.t1", "--ignore-table db.t2"]);
        assert.deepEqual(partialDumps("mariadb-dump --ignore_table_data=db.log db"), ["--ignore_table_data db.log"]);
        assert.deepEqual(partialDumps("mysqldump --where='id > 5' db"), ["--where id > 5"]);
        assert.deepEqual(partialDumps("mysqldump -w'id > 5' db"), ["-w id > 5"]);
    });
    it("leaves a whole dump alone", () => {
        assert.deepEqual(partialDumps("mysqldump --single-transaction --hex-blob db | borg create ::a -"), []);
        assert.deepEqual(partialDumps("echo --ignore-table=x"), []);
    });
});

describe("files a script writes from a pipe", () => {
    it("takes what printf pipes into install /dev/stdin or dd of=", () => {
        assert.deepEqual(filesWrittenBy("printf '%s\\n' 'a b' 'c' | sudo install -m 0644 /dev/stdin /etc/cron.d/x"), [{ path: "/etc/cron.d/x", content: "a b\nc\n" }]);
        assert.deepEqual(filesWrittenBy("echo hi | dd of=/etc/y status=none"), [{ path: "/etc/y", content: "hi\n" }]);
        assert.deepEqual(filesWrittenBy("install -m 0644 /dev/stdin /etc/z"), [], "nothing piped in: content unknown");
    });
    it("finds a dump in a cron line such a file holds, through sh -c", () => {
        assert.deepEqual(dumpLeaks(`docker exec mysql sh -c "mysqldump --tab=/var/lib/mysql-files elabftw"`), ["mysqldump writes its dump with --tab /var/lib/mysql-files"]);
    });
});

describe("docker plugin install", () => {
    it("is an image the daemon runs: its reference read past --alias and switches", () => {
        assert.equal(dockerImageOf(["docker", "plugin", "install", "--alias", "loki", "--grant-all-permissions", "grafana/loki-docker-driver:latest"]), "grafana/loki-docker-driver:latest");
        assert.deepEqual(imagesRunBy("sudo docker plugin install grafana/loki-docker-driver:3.0.0 --alias loki"), ["grafana/loki-docker-driver:3.0.0"]);
        assert.equal(dockerImageOf(["docker", "plugin", "ls"]), undefined);
    });
});

describe("nftables: a named set filled at run time", () => {
    const ruleset = (set: string) => `table inet t {\n    ${set}\n    chain input {\n        type filter hook input priority filter; policy drop;\n        udp dport 7919 add @knocked { ip saddr } drop\n        ip saddr @knocked tcp dport 22 accept\n    }\n}\n`;
    it("may hold any address when declared without elements", () => {
        const verdict = nftVerdict(ruleset("set knocked { type ipv4_addr; flags dynamic,timeout; timeout 1h; }"), { peer: toInt("10.8.0.5"), proto: "tcp", dport: 22 });
        assert.equal(verdict.pass, "maybe");
    });
    it("holds exactly its elements when they are declared", () => {
        const text = ruleset("set knocked { type ipv4_addr; elements = { 10.20.50.2 } }");
        assert.equal(nftVerdict(text, { peer: toInt("10.8.0.5"), proto: "tcp", dport: 22 }).pass, "no");
        assert.equal(nftVerdict(text, { peer: toInt("10.20.50.2"), proto: "tcp", dport: 22 }).pass, "yes");
    });
});

describe("agetty autologin", () => {
    it("reads the last ExecStart= (an empty one resets), --autologin in its forms and -a", () => {
        assert.equal(consoleAutologin("[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin elabadmin --keep-baud 115200 - $TERM"), "elabadmin");
        assert.equal(consoleAutologin("ExecStart=-/sbin/agetty --autologin=root - $TERM"), "root");
        assert.equal(consoleAutologin("ExecStart=-/sbin/agetty -a admin ttyS0"), "admin");
        assert.equal(consoleAutologin("ExecStart=-/sbin/agetty -a admin ttyS0\nExecStart=\n"), undefined);
        assert.equal(consoleAutologin("ExecStart=-/sbin/agetty -o '-p -- \\\\u' --keep-baud 115200 - $TERM"), undefined);
    });
});

describe("sudoers and the clock", () => {
    it("finds Defaults that turn sudo's syslog off, for everyone or one user", () => {
        assert.deepEqual(sudoLoggingOff("Defaults:elabadmin !syslog\n# Defaults !syslog\nDefaults env_reset"), ["Defaults:elabadmin !syslog"]);
        assert.deepEqual(sudoLoggingOff("Defaults\tuse_pty, !log_allowed"), ["Defaults\tuse_pty, !log_allowed"]);
        assert.deepEqual(sudoLoggingOff("Defaults syslog=authpriv"), []);
    });
    it("finds the commands that stop time synchronisation, not those that restart it", () => {
        assert.deepEqual(timeSyncStopped("systemctl mask --now systemd-timesyncd.service"), ["systemctl mask --now systemd-timesyncd.service"]);
        assert.deepEqual(timeSyncStopped("sudo timedatectl set-ntp false"), ["timedatectl set-ntp false"]);
        assert.deepEqual(timeSyncStopped("systemctl restart systemd-timesyncd && timedatectl set-ntp true"), []);
    });
});

describe("rsyslog: lines discarded before the forwarding rule", () => {
    const forward = '*.* action(type="omfwd" target="10.20.60.30" port="514" protocol="udp")';
    it("finds a RainerScript stop, a selector's stop or ~, an & stop after a filter, read before the forwarding", () => {
        assert.deepEqual(discardedBeforeForwarding(["if $programname == 'elabftw' then stop", forward]), ["$programname == 'elabftw'"]);
        assert.deepEqual(discardedBeforeForwarding(["local0.* ~\nauth.* stop", forward]), ["local0.*", "auth.*"]);
        assert.deepEqual(discardedBeforeForwarding([":programname, isequal, \"elabftw\" /var/log/elab.log\n& stop", forward]), [':programname, isequal, "elabftw"']);
    });
    it("leaves a stop read after the forwarding alone", () => {
        assert.deepEqual(discardedBeforeForwarding([forward, "if $programname == 'noise' then stop"]), []);
        assert.deepEqual(discardedBeforeForwarding([`# if $programname == 'x' then stop\n${forward}`]), []);
    });
});

describe("mysqldump: dumps that restore into the wrong database or inconsistently", () => {
    it("finds --databases, -B, --all-databases, and no transaction nor locks", () => {
        assert.equal(unrestorableDumps("mysqldump --single-transaction --databases db").length, 1);
        assert.equal(unrestorableDumps("mysqldump --single-transaction -A").length, 1);
        assert.match(unrestorableDumps("mysqldump --skip-lock-tables db")[0], /neither --single-transaction nor table locks/);
        assert.match(unrestorableDumps("mysqldump --single-transaction --skip-single-transaction --lock-tables=0 db")[0], /neither/);
    });
    it("accepts one database in one transaction, or with its tables locked", () => {
        assert.deepEqual(unrestorableDumps("mysqldump --single-transaction --skip-lock-tables db"), []);
        assert.deepEqual(unrestorableDumps("mysqldump db"), []);
    });
});
