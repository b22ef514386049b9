// Over 300 lines on purpose: every model's tricky forms side by side, one describe per model.
// The policy pack's models, directly, with the tricky forms: first match, disabled rules, security
// groups, IP sets with exclusions, macros and service names, null/"" as any, unknown names as maybe;
// mysqld's last-wins options; image references; Docker capabilities; the nftables ruleset.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { forwardRules, forwardTargets } from "../policies/models/rsyslog";
import { rowlessDumps } from "../policies/models/borg";
import { dockerdDebug, dockerImageOf, imagesRunBy, plainTcpListeners } from "../policies/models/dockerCli";
import { covers, INTERNET, setOf, toInt } from "../policies/models/ipv4";
import { guestVerdict, PveFirewall, PveVm, RuleProps, sendableSources } from "../policies/models/proxmoxFirewall";
import { reach } from "../policies/models/reachability";
import { isOn, mysqldOptions, serverSettings, tlsVersions } from "../policies/models/mysqld";
import { grants, statements } from "../policies/models/mysqlAccounts";
import { exitsBefore, flagVariables } from "../policies/models/scriptFlags";
import { olderThan, parseImageReference } from "../policies/models/imageReference";
import { containerdLayerRoot, daemonLogDriverOf, effectiveCapabilities, hostAccess, loggedEnvironment, noNewPrivileges } from "../policies/models/dockerContainer";
import { acceptsEverything, loadsRuleset, parseRuleset, unitExecCommands } from "../policies/models/nftables";
import { allowedPeers, cellAddresses, inboundFromOutside, matrixFlows, parsePortCell, PROXMOX_NODES_ENDPOINT } from "../policies/models/handOff";
import { PROXMOX_NODES } from "../components/network/flowMatrix";
import { nftVerdict } from "../policies/models/nftEval";
import { crypttabKeyFiles, luksFormatWeaknesses, luksKeyFilesWritten, tpmEnrolmentWeaknesses } from "../policies/models/luks";
import { generatedSecretBits } from "../policies/models/randomSecrets";

const vm = (rules: RuleProps[], options: PveVm["options"] = { enabled: true, inputPolicy: "DROP", outputPolicy: "DROP" }): PveVm => ({ vmId: 100, name: "db", address: "10.0.0.11", nics: [true], options, rules });
const world = (v: PveVm, extra: Partial<PveFirewall> = {}): PveFirewall => ({ aliases: [], ipsets: [], groups: [], vms: [v], ...extra });
const passes = (fw: PveFirewall, peer: string, proto: "tcp" | "udp" | "icmp", dport: number, direction: "in" | "out" = "in") => guestVerdict(fw, fw.vms[0], direction, { peer: toInt(peer), proto, dport, iface: "net0" }).pass;

describe("Proxmox firewall model", () => {
    it("applies the first matching rule, then the policy", () => {
        const fw = world(vm([{ type: "in", action: "DROP", source: "10.8.0.0/16" }, { type: "in", action: "ACCEPT", source: "10.0.0.0/8", proto: "tcp", dport: "3306" }]));
        assert.equal(passes(fw, "10.8.1.1", "tcp", 3306), "no");
        assert.equal(passes(fw, "10.9.1.1", "tcp", 3306), "yes");
        assert.equal(passes(fw, "10.9.1.1", "tcp", 3307), "no");
        assert.equal(passes(fw, "10.9.1.1", "tcp", 3307, "out"), "no");
    });

    it("skips disabled rules and reads null and \"\" as any", () => {
        const fw = world(vm([{ type: "in", action: "DROP", source: "10.8.0.0/16", enabled: false }, { type: "in", action: "ACCEPT", source: "10.8.0.0/16", proto: null, dport: "", dest: "" }]));
        assert.equal(passes(fw, "10.8.1.1", "udp", 9), "yes");
        assert.equal(passes(fw, "10.8.1.1", "icmp", 0), "yes");
    });

    it("falls back on Proxmox's defaults: input DROP, output ACCEPT", () => {
        const fw = world(vm([], { enabled: true, inputPolicy: null, outputPolicy: "" }));
        assert.equal(passes(fw, "1.1.1.1", "tcp", 443), "no");
        assert.equal(passes(fw, "1.1.1.1", "tcp", 443, "out"), "yes");
    });

    it("expands macros (any case) and service names, port lists and ranges", () => {
        const fw = world(vm([{ type: "in", action: "ACCEPT", macro: "mysql" }, { type: "in", action: "ACCEPT", proto: "udp", dport: "syslog,6000:6010" }]));
        assert.equal(passes(fw, "1.1.1.1", "tcp", 3306), "yes");
        assert.equal(passes(fw, "1.1.1.1", "udp", 3306), "no");
        assert.equal(passes(fw, "1.1.1.1", "udp", 514), "yes");
        assert.equal(passes(fw, "1.1.1.1", "udp", 6005), "yes");
        assert.equal(passes(fw, "1.1.1.1", "udp", 6011), "no");
    });

    it("inlines security groups where they are referenced", () => {
        const groups = [{ name: "dba", rules: [{ type: "in", action: "ACCEPT", source: "10.8.0.0/16", proto: "tcp", dport: "3306" }] }];
        const fw = world(vm([{ type: "in", action: "DROP", source: "10.8.5.0/24" }, { type: "in", securityGroup: "dba" }]), { groups });
        assert.equal(passes(fw, "10.8.1.1", "tcp", 3306), "yes");
        assert.equal(passes(fw, "10.8.5.1", "tcp", 3306), "no");
    });

    it("resolves aliases and IP sets, guest scope first, with !/nomatch exclusions", () => {
        const fw = world(vm([{ type: "in", action: "ACCEPT", source: "+admins", proto: "tcp", dport: "22" }, { type: "in", action: "ACCEPT", source: "dc/web", proto: "tcp", dport: "3306" }]), {
            ipsets: [
                { name: "admins", cidrs: [{ name: "192.168.0.0/16" }] },
                { name: "admins", vmId: 100, cidrs: [{ name: "10.0.0.0/8" }, { name: "!10.8.0.0/16" }, { name: "10.8.1.0/24" }] },
            ],
            aliases: [{ name: "web", cidr: "10.0.0.10" }, { name: "web", cidr: "10.9.9.9", vmId: 100 }],
        });
        assert.equal(passes(fw, "10.1.1.1", "tcp", 22), "yes");
        assert.equal(passes(fw, "10.8.2.1", "tcp", 22), "no", "excluded by the ! entry");
        assert.equal(passes(fw, "10.8.1.1", "tcp", 22), "yes", "the more specific entry wins");
        assert.equal(passes(fw, "192.168.1.1", "tcp", 22), "no", "the guest's IP set hides the datacenter's");
        assert.equal(passes(fw, "10.0.0.10", "tcp", 3306), "yes", "dc/ names the datacenter alias");
    });

    it("reads the image a docker command line runs, past options with values and global options", () => {
        assert.equal(dockerImageOf(["docker", "run", "--rm", "-i", "--network", "container:mysql", "-v", "/a:/b:ro", "mysql:latest", "mysqldump"]), "mysql:latest");
        assert.equal(dockerImageOf(["docker", "-H", "ssh://x", "container", "create", "--name=db", "-e", "A=1", "mysql:8.4.8"]), "mysql:8.4.8");
        assert.equal(dockerImageOf(["docker", "pull", "--platform", "linux/amd64", "elabftw/elabimg"]), "elabftw/elabimg");
        assert.equal(dockerImageOf(["docker", "exec", "-i", "mysql", "mysqldump"]), undefined);
        assert.deepEqual(imagesRunBy('elabftw-backup.sh db --mysql-exec "docker run --rm -i mysql:latest"'), ["mysql:latest"]);
    });

    it("reads GRANT statements: privilege lists with spaces and column lists, targets, grantees, GRANT OPTION, role grants", () => {
        assert.deepEqual(grants("GRANT SELECT (a, b), SHOW VIEW ON `elabftw`.* TO 'operator'@'%', report@localhost WITH GRANT OPTION; GRANT ALL PRIVILEGES ON *.* TO x; GRANT r1 TO y"), [
            { privileges: ["SELECT", "SHOW VIEW"], on: "elabftw.*", to: ["operator@%", "report@localhost"], grantOption: true },
            { privileges: ["ALL"], on: "*.*", to: ["x@%"], grantOption: false },
            { privileges: ["R1"], on: undefined, to: ["y@%"], grantOption: false },
        ]);
    });

    it("reads dockerd's command line: TCP listeners without --tlsverify, debug mode", () => {
        assert.deepEqual(plainTcpListeners(["/usr/sbin/dockerd", "-H", "fd://", "-H", "tcp://0.0.0.0:2375", "--host=tcp://10.0.0.1:2376", "-Htcp://[::]:2377"]), ["tcp://0.0.0.0:2375", "tcp://10.0.0.1:2376", "tcp://[::]:2377"]);
        assert.deepEqual(plainTcpListeners(["dockerd", "--tlsverify", "-H", "tcp://0.0.0.0:2376"]), []);
        assert.deepEqual(plainTcpListeners(["docker", "-H", "tcp://x:2375", "ps"]), []);
        assert.equal(dockerdDebug(["/usr/bin/dockerd", "-D"]), true);
        assert.equal(dockerdDebug(["dockerd", "--debug=true"]), true);
        assert.equal(dockerdDebug(["dockerd", "-H", "fd://"]), false);
    });

    it("finds dumps without rows as mysqldump's options read: -d, --no-data[=ON], last one winning", () => {
        assert.deepEqual(rowlessDumps('mysqldump -d elabftw | borg create ::a -'), ["mysqldump -d"]);
        assert.deepEqual(rowlessDumps('docker exec -i mysql mysqldump --skip-no-data --no_data=ON x | borg create ::a -'), ["mysqldump --no_data=ON"]);
        assert.deepEqual(rowlessDumps("mysqldump --no-data --skip-no-data x | borg create ::a -"), []);
        assert.deepEqual(rowlessDumps("mysqldump --no-data=OFF x | borg create ::a -"), []);
        assert.deepEqual(rowlessDumps("mysqldump --single-transaction x | borg create ::a -"), []);
    });

    it("reads the sources a guest may send from as pve-firewall's IP filter does", () => {
        const on = { enabled: true, inputPolicy: "DROP", outputPolicy: "DROP", ipfilter: true };
        const own = setOf("10.0.0.11");
        assert.deepEqual(sendableSources(world(vm([], on)), vm([], on)), own, "ipfilter on, no set: the guest's own address");
        const listed = world(vm([], { ...on, ipfilter: false }), { ipsets: [{ name: "ipfilter-net0", vmId: 100, cidrs: [{ name: "10.0.0.0/24" }, { name: "10.0.0.0/25", nomatch: true }] }] });
        assert.deepEqual(sendableSources(listed, listed.vms[0]), setOf("10.0.0.11", "10.0.0.128/25"), "a set filters even with the option off; nomatch entries removed");
        const otherGuest = world(vm([], on), { ipsets: [{ name: "ipfilter-net0", vmId: 101, cidrs: [{ name: "0.0.0.0/0" }] }] });
        assert.deepEqual(sendableSources(otherGuest, otherGuest.vms[0]), own, "another guest's set is not this one's");
        assert.equal(covers(sendableSources(world(vm([])), vm([]))!, INTERNET), true, "no option, no set: any source");
        const unfiltered = { ...vm([], on), nics: [false] };
        assert.equal(covers(sendableSources(world(unfiltered), unfiltered)!, INTERNET), true, "a NIC the firewall does not filter: any source");
        const alias = world(vm([], on), { ipsets: [{ name: "ipfilter-net0", vmId: 100, cidrs: [{ name: "myself" }] }] });
        assert.equal(sendableSources(alias, alias.vms[0]), undefined, "an entry it cannot read");
    });

    it("answers maybe for what it cannot read, and only for ACCEPT rules", () => {
        assert.equal(passes(world(vm([{ type: "in", action: "ACCEPT", macro: "NoSuchMacro" }])), "1.1.1.1", "tcp", 1), "maybe");
        assert.equal(passes(world(vm([{ type: "in", action: "ACCEPT", source: "no-such-alias" }])), "1.1.1.1", "tcp", 1), "maybe");
        assert.equal(passes(world(vm([{ type: "in", action: "DROP", source: "no-such-alias" }])), "1.1.1.1", "tcp", 1), "no");
    });

    it("restricts a rule to its iface", () => {
        const fw = world(vm([{ type: "in", action: "ACCEPT", iface: "net1" }]));
        assert.equal(passes(fw, "1.1.1.1", "tcp", 1), "no");
    });

    it("evaluates every packet class and counts them", () => {
        const fw = world(vm([{ type: "in", action: "DROP", source: "10.8.0.0/16" }, { type: "in", action: "ACCEPT", source: "10.0.0.0/8", proto: "tcp", dport: "3306" }]));
        const r = reach(fw, fw.vms[0], "in", setOf("10.0.0.0/8"));
        assert.deepEqual(r.exposures.map((e) => [e.peers.map(String).join("-"), e.proto, e.ports.join("-")]), [
            [`${toInt("10.0.0.0")}-${toInt("10.7.255.255")}`, "tcp", "3306-3306"],
            [`${toInt("10.9.0.0")}-${toInt("10.255.255.255")}`, "tcp", "3306-3306"],
        ]);
        assert.match(r.evidence, /^3 endpoints × 3 ports × 3 protocols evaluated$/);
    });

    it("knows when networks add up to the whole Internet", () => {
        assert.equal(covers(setOf("0.0.0.0/1", "128.0.0.0/1"), INTERNET), true);
        assert.equal(covers(setOf("0.0.0.0/1"), INTERNET), false);
    });
});

describe("mysqld options", () => {
    it("keeps the last occurrence, with skip/loose/enable forms and _ or -", () => {
        assert.equal(isOn(mysqldOptions(["mysqld", "--require-secure-transport=ON", "--require_secure_transport=OFF"]).get("require_secure_transport")), false);
        assert.equal(isOn(mysqldOptions(["mysqld", "--require-secure-transport=ON", "--skip-require-secure-transport"]).get("require_secure_transport")), false);
        assert.equal(isOn(mysqldOptions(["mysqld", "--loose-require-secure-transport=OFF", "--require-secure-transport"]).get("require_secure_transport")), true);
        assert.deepEqual(tlsVersions(mysqldOptions(["mysqld"])), ["TLSv1.2", "TLSv1.3"]);
        assert.deepEqual(tlsVersions(mysqldOptions(["mysqld", "--tls-version="])), []);
        assert.equal(mysqldOptions(["mysqld", "--tls-version=TLSv1.3"], ["[client]\ntls_version=TLSv1\n[mysqld]\ntls-version = TLSv1.1\n"]).get("tls_version"), "TLSv1.3");
        assert.equal(mysqldOptions(["mysqld"], ["[mysqld]\ntls-version = TLSv1.1\n"]).get("tls_version"), "TLSv1.1");
    });

    it("reads the server-wide SET statements of an SQL script, last one winning; session ones change nothing", () => {
        const settings = (sql: string) => Object.fromEntries(serverSettings(statements(sql)));
        assert.deepEqual(settings("SET PERSIST require_secure_transport = OFF;"), { require_secure_transport: "OFF" });
        assert.deepEqual(settings("SET GLOBAL require_secure_transport=ON; SET @@persist.require_secure_transport := 0;"), { require_secure_transport: "0" });
        assert.deepEqual(settings("SET PERSIST_ONLY tls_version = 'TLSv1,TLSv1.2', GLOBAL max_connections = 10;"), { tls_version: "TLSv1,TLSv1.2", max_connections: "10" });
        assert.deepEqual(settings("SET GLOBAL sql_mode = 'A', SESSION require_secure_transport = OFF; SET require_secure_transport = OFF; SET @x = 1;"), { sql_mode: "A" });
        assert.deepEqual(settings("SET @@session.tls_version = 'TLSv1'; SET PASSWORD = 'x'; -- SET GLOBAL require_secure_transport = OFF\nSELECT 1;"), {});
    });
});

describe("image references", () => {
    it("parses registry, repository, tag, digest and family", () => {
        assert.deepEqual(parseImageReference("mysql:8.4.8"), { registry: "docker.io", repository: "library/mysql", tag: "8.4.8", digest: undefined, family: "mysql", version: [8, 4, 8] });
        assert.equal(parseImageReference("index.docker.io/library/mariadb:11.4")?.family, "mariadb");
        assert.equal(parseImageReference("mysql/mysql-server:8.0.32-1.2")?.family, "mysql");
        assert.equal(parseImageReference("registry.lab:5000/mysql:8.4.8")?.family, undefined, "a private registry's copy is not known to be MySQL");
        assert.equal(parseImageReference(`elabftw/elabimg@sha256:${"a".repeat(64)}`)?.digest, `sha256:${"a".repeat(64)}`);
        assert.equal(olderThan([8, 0, 39], [8, 4, 0]), true);
        assert.equal(olderThan([8], [8, 4, 0]), undefined);
        assert.equal(olderThan([8, 4], [8, 4, 0]), undefined);
    });
});

describe("Docker container semantics", () => {
    it("computes the effective capabilities", () => {
        assert.deepEqual(effectiveCapabilities({ capabilities: { drops: ["ALL"], adds: ["CHOWN", "cap_setuid"] } }), ["CHOWN", "SETUID"]);
        assert.deepEqual(effectiveCapabilities({ capabilities: { adds: ["ALL"] } }), ["ALL"]);
        assert.deepEqual(effectiveCapabilities({ privileged: true }), ["ALL"]);
        assert.equal(effectiveCapabilities({ capabilities: null }).length, 14);
    });

    it("reads no-new-privileges and host access in their spellings", () => {
        assert.equal(noNewPrivileges({ securityOpts: ["no-new-privileges"] }), true);
        assert.equal(noNewPrivileges({ securityOpts: ["no-new-privileges=true", "no-new-privileges:false"] }), false);
        assert.deepEqual(hostAccess({ mounts: [{ type: "bind", source: "/run/", target: "/r" }], networkMode: "HOST" }).map((a) => a.what), [
            "shares the host's network namespace (networkMode: host)",
            "mounts the container engine's socket (/run) at /r",
        ]);
        assert.deepEqual(hostAccess({ mounts: [{ type: "volume", source: "/", target: "/x" }], networkMode: null }), []);
        assert.equal(hostAccess({ securityOpts: ["no-new-privileges:true", "systempaths = unconfined"] }).length, 1);
    });

    it("reads which variables the log driver copies, where layers live, and the daemon's log driver", () => {
        assert.deepEqual(loggedEnvironment({ env: "HOSTNAME, DB_PASSWORD" }, ["DB_PASSWORD", "SECRET_KEY"]), ["HOSTNAME", "DB_PASSWORD"]);
        assert.deepEqual(loggedEnvironment({ "env-regex": "^(SECRET|SITE)_" }, ["DB_PASSWORD", "SECRET_KEY", "SITE_URL"]), ["SECRET_KEY", "SITE_URL"]);
        assert.deepEqual(loggedEnvironment({ tag: "{{.Name}}" }, ["DB_PASSWORD"]), []);
        assert.equal(containerdLayerRoot('{"data-root": "/srv/docker"}', undefined), undefined);
        assert.equal(containerdLayerRoot('{"features": {"containerd-snapshotter": true}}', undefined), "/var/lib/containerd");
        assert.equal(containerdLayerRoot('{"features": {"containerd-snapshotter": true}}', 'version = 2\nroot = "/srv/containerd"\n'), "/srv/containerd");
        assert.equal(daemonLogDriverOf('{"log-driver": "journald"}'), "journald");
        assert.equal(daemonLogDriverOf("not json"), "json-file");
    });
});

describe("nftables ruleset", () => {
    it("reads chains' hooks and policies (nft's default is accept) and accept-all rules", () => {
        const chains = parseRuleset("table inet t {\n chain a {\n type filter hook input priority 0; policy drop;\n ip saddr 10.0.0.1 accept\n }\n chain b {\n type filter hook output priority 0;\n counter accept comment \"x\"\n }\n}\n");
        assert.deepEqual(chains.map((c) => [c.table, c.name, c.hook, c.policy]), [["inet t", "a", "input", "drop"], ["inet t", "b", "output", "accept"]]);
        assert.equal(acceptsEverything(chains[0].rules[0]), false);
        assert.equal(acceptsEverything(chains[1].rules[0]), true);
        // A dormant table (nft --check accepts it) hooks nothing: its chains filter no packet.
        assert.deepEqual(parseRuleset("table inet t {\n chain a {\n type filter hook input priority 0; policy drop;\n }\n flags dormant\n}\n").map((c) => c.hook), [undefined]);
    });

    it("reads a set declared over several lines, as `nft list ruleset` prints it, without ending its table there", () => {
        const text = "table inet t {\n set admins {\n type ipv4_addr\n flags interval\n elements = { 10.0.0.0/24,\n 10.0.9.1 }\n }\n chain input {\n type filter hook input priority 0; policy drop;\n ip saddr @admins accept\n }\n}\n";
        assert.deepEqual(parseRuleset(text).map((c) => [c.table, c.name, c.hook, c.policy, c.rules]), [["inet t", "input", "input", "drop", ["ip saddr @admins accept"]]]);
        assert.equal(nftVerdict(text, { peer: toInt("10.0.9.1"), proto: "tcp", dport: 22 }).pass, "yes");
        assert.equal(nftVerdict(text, { peer: toInt("10.0.9.2"), proto: "tcp", dport: 22 }).pass, "no");
    });

    it("reads a service name with a hyphen (http-alt) as its port, not as a range", () => {
        const text = "table inet t {\n chain input {\n type filter hook input priority 0; policy drop;\n tcp dport { http-alt, 1000-1010 } accept\n }\n}\n";
        assert.equal(nftVerdict(text, { peer: toInt("10.0.0.1"), proto: "tcp", dport: 8080 }).pass, "yes");
        assert.equal(nftVerdict(text, { peer: toInt("10.0.0.1"), proto: "tcp", dport: 1005 }).pass, "yes");
        assert.equal(nftVerdict(text, { peer: toInt("10.0.0.1"), proto: "tcp", dport: 8081 }).pass, "no");
    });

    it("reads the end of a chain gone to (goto) from a jumped-to chain as a return to the rule after the jump", () => {
        const text = "table inet t {\n chain b {\n tcp dport 22 accept\n }\n chain a {\n goto b\n }\n chain input {\n type filter hook input priority 0; policy drop;\n jump a\n ip saddr 10.0.0.1 accept\n }\n}\n";
        assert.equal(nftVerdict(text, { peer: toInt("10.0.0.2"), proto: "tcp", dport: 80 }).pass, "no");
        assert.equal(nftVerdict(text, { peer: toInt("10.0.0.1"), proto: "tcp", dport: 80 }).pass, "yes");
        assert.equal(nftVerdict(text, { peer: toInt("10.0.0.2"), proto: "tcp", dport: 22 }).pass, "yes");
    });

    it("reads a named set in its own table: two tables may each have their @a", () => {
        const table = (name: string, elements: string, verdict: string) => `table inet ${name} {\n set a { type ipv4_addr; flags interval; elements = { ${elements} } }\n chain input {\n type filter hook input priority 0; policy accept;\n ip saddr @a ${verdict}\n }\n}\n`;
        const text = table("t0", "10.0.0.0/8", "drop") + table("t1", "10.1.0.0/16", "accept");
        assert.equal(nftVerdict(text, { peer: toInt("10.2.0.1"), proto: "tcp", dport: 80 }).pass, "no");
        assert.equal(nftVerdict(table("t0", "10.0.0.0/8", "accept") + table("t1", "10.1.0.0/16", "drop"), { peer: toInt("10.2.0.1"), proto: "tcp", dport: 80 }).pass, "yes");
    });

    it("answers maybe where a rule it cannot read jumps, goes to or returns: the packet may go on instead", () => {
        const text = (rule: string) => `table inet t {\n chain a {\n accept\n }\n chain input {\n type filter hook input priority 0; policy drop;\n ${rule}\n }\n}\n`;
        for (const rule of ["meta mark 1 jump a", "meta mark 1 goto a", "meta mark 1 return\n accept"]) assert.equal(nftVerdict(text(rule), { peer: toInt("10.0.0.1"), proto: "tcp", dport: 80 }).pass, "maybe", rule);
        // In a jumped-to chain, a return goes back to the caller (here: drop), whatever the chain would do next.
        const called = "table inet t {\n chain c {\n meta mark 1 return\n accept\n }\n chain input {\n type filter hook input priority 0; policy accept;\n jump c\n drop\n }\n}\n";
        assert.equal(nftVerdict(called, { peer: toInt("10.0.0.1"), proto: "tcp", dport: 80 }).pass, "maybe");
    });

    it("reads return in a base chain as the end of the chain: its policy, not an accept", () => {
        const text = (policy: string) => `table inet t {\n chain input {\n type filter hook input priority 0; policy ${policy};\n ip saddr 10.8.0.0/16 return\n accept\n }\n}\n`;
        assert.equal(nftVerdict(text("drop"), { peer: toInt("10.8.0.9"), proto: "tcp", dport: 22 }).pass, "no");
        assert.equal(nftVerdict(text("accept"), { peer: toInt("10.8.0.9"), proto: "tcp", dport: 22 }).pass, "yes");
        assert.equal(nftVerdict(text("drop"), { peer: toInt("10.9.0.9"), proto: "tcp", dport: 22 }).pass, "yes");
    });
});

describe("edge hand-off rows", () => {
    it("reads who an allowing row lets in: named endpoints, bare networks, and the words for everyone", () => {
        const rows = [
            { num: "1", source: "vpnClients (10.8.0.0/16)", destination: "edgeFirewall (10.20.1.1)", destinationPort: "443 TCP", action: "allow" },
            { num: "2", source: "web (10.20.30.10)", destination: "Internet", destinationPort: "443 TCP", action: "allow" },
            { num: "3", source: "ANY", destination: "edgeFirewall (10.20.1.1)", destinationPort: "443 TCP", action: "allow" },
            { num: "4", source: "10.8.0.0/16, 147.210.0.0/16", destination: "web", destinationPort: "22 TCP", action: "Allow" },
            { num: "5", source: "any", destination: "any", destinationPort: "any", action: "deny" },
            { num: "dnat", source: "Internet (any)", destination: "web (10.20.30.10)", destinationPort: "443 TCP", action: "allow, destination NAT from 203.0.113.25:443" },
        ];
        assert.deepEqual(inboundFromOutside(rows).map((r) => r.row), ["3", "4", "dnat"]);
        assert.equal(cellAddresses("partners"), undefined);
        assert.deepEqual(cellAddresses("Internet (0.0.0.0/0)"), cellAddresses("any"));
        assert.deepEqual(cellAddresses("partners (any)"), cellAddresses("any"));
    });
});

describe("LUKS as cryptsetup reads it", () => {
    it("reads the PCRs a TPM2 enrolment is sealed to, as systemd-cryptenroll 252 does (unset: PCR 7; empty: none)", () => {
        assert.deepEqual(tpmEnrolmentWeaknesses(["systemd-cryptenroll", "--tpm2-device=auto", "/dev/sdb"]), []);
        assert.deepEqual(tpmEnrolmentWeaknesses(["systemd-cryptenroll", "--tpm2-device=auto", "--tpm2-pcrs=7", "/dev/sdb"]), []);
        assert.match(tpmEnrolmentWeaknesses(["systemd-cryptenroll", "--tpm2-device=auto", "--tpm2-pcrs=7", "--tpm2-pcrs=", "/dev/sdb"])[0], /sealed to no PCR/);
        assert.match(tpmEnrolmentWeaknesses(["systemd-cryptenroll", "--tpm2-device", "auto", "--tpm2-pcrs", "0+2", "/dev/sdb"])[0], /without PCR 7/);
        assert.deepEqual(tpmEnrolmentWeaknesses(["systemd-cryptenroll", "--password", "/dev/sdb"]), []);
    });

    it("finds a null or weak cipher and short keys, the last option winning", () => {
        const f = (line: string) => luksFormatWeaknesses(line.split(" "));
        assert.deepEqual(f("cryptsetup luksFormat --batch-mode --type luks2 --key-file=- /dev/sdb"), []);
        assert.equal(f("cryptsetup luksFormat -c cipher_null-ecb /dev/sdb").length, 1);
        assert.equal(f("cryptsetup --cipher=aes-cbc-essiv:sha256 -cdes3_ede-cbc-plain luksFormat /dev/sdb").length, 1);
        assert.equal(f("cryptsetup luksFormat --cipher aes-xts-plain64 --key-size 128 /dev/sdb").length, 1);
        assert.equal(f("cryptsetup luksFormat -s128 /dev/sdb").length, 1);
        assert.deepEqual(f("cryptsetup luksFormat --cipher aes-xts-plain64 -s 512 /dev/sdb"), []);
        assert.deepEqual(f("cryptsetup luksFormat --cipher aes-cbc-essiv:sha256 --key-size=256 /dev/sdb"), []);
        assert.deepEqual(f("cryptsetup luksDump -c cipher_null /dev/sdb"), []);
    });

    it("finds key material left on the OS disk: cryptsetup-keys.d and crypttab key-file fields", () => {
        assert.deepEqual(luksKeyFilesWritten('key | tee "/etc/cryptsetup-keys.d/$name.key" >/dev/null'), ['/etc/cryptsetup-keys.d/$name.key']);
        assert.deepEqual(luksKeyFilesWritten("install -m 0400 /root/k /etc//cryptsetup-keys.d/data.key"), ["/etc//cryptsetup-keys.d/data.key"]);
        assert.deepEqual(luksKeyFilesWritten("printf '%s UUID=%s /root/luks.key %s\\n' a b c >>\"$crypttab\""), ["/root/luks.key"]);
        assert.deepEqual(luksKeyFilesWritten("printf '%s UUID=%s none %s\\n' a b c >>\"$crypttab\""), []);
        assert.deepEqual(crypttabKeyFiles("data UUID=x /run/keys/data luks\nother UUID=y /dev/disk/by-label/KEY luks\n# x y /etc/k\n"), []);
    });
});

describe("generated secrets' strength", () => {
    it("counts length over the alphabet the random provider draws from (unset classes are on)", () => {
        const password = "random:index/randomPassword:RandomPassword";
        assert.equal(generatedSecretBits(password, { length: 48, special: false }), Math.floor(48 * Math.log2(62)));
        assert.equal(generatedSecretBits(password, { length: 6 }), Math.floor(6 * Math.log2(83)));
        assert.equal(generatedSecretBits(password, { length: 64, upper: false, lower: false, numeric: true, special: true, overrideSpecial: "abcdef" }), 256);
        assert.equal(generatedSecretBits(password, { length: 40, upper: false, lower: false, numeric: false, special: true, overrideSpecial: "aaaa" }), 0);
        assert.equal(generatedSecretBits("random:index/randomBytes:RandomBytes", { length: 8 }), 64);
        assert.equal(generatedSecretBits("random:index/randomPet:RandomPet", { length: 2 }), undefined);
    });
});

describe("the flow matrix as handed off", () => {
    const rows = [
        { num: "3", source: "web (10.20.30.10)", destination: "db (10.20.30.11)", destinationPort: "3306 TCP", action: "allow" },
        { num: "dns", source: "web (10.20.30.10), db (10.20.30.11)", destination: "dns (10.20.60.2, 10.20.60.3)", destinationPort: "53 UDP/TCP", action: "allow" },
        { num: "node-management", source: "adminNetwork (10.20.50.0/28)", destination: "proxmoxNodes", destinationPort: "22,8006 TCP", action: "allow" },
        { num: "nat", source: "web (10.20.30.10)", destination: "Internet", destinationPort: "80,443 TCP", action: "allow, source NAT to 192.0.2.1" },
    ];
    it("reads rows as packets: ports and protocols, names without addresses, the NAT row left out", () => {
        assert.deepEqual(parsePortCell("2049 TCP/UDP"), { protos: ["tcp", "udp"], ports: [[2049, 2049]] });
        assert.deepEqual(parsePortCell("any")?.protos, ["tcp", "udp", "icmp"]);
        const flows = matrixFlows(rows);
        assert.deepEqual(flows.map((f) => f.row), ["3", "dns", "node-management"]);
        assert.deepEqual(flows[2].toNames, [PROXMOX_NODES_ENDPOINT]);
        assert.equal(PROXMOX_NODES_ENDPOINT, PROXMOX_NODES);
        const web = setOf("10.20.30.10");
        assert.ok(covers(allowedPeers(flows, web, "out", "udp", [53, 53]), setOf("10.20.60.2")));
        assert.ok(!covers(allowedPeers(flows, web, "out", "tcp", [443, 443]), setOf("10.20.60.2")));
        assert.ok(covers(allowedPeers(flows, setOf("10.20.30.11"), "in", "tcp", [3306, 3306]), web));
        assert.ok(!covers(allowedPeers(flows, setOf("10.20.30.11"), "in", "tcp", [3305, 3306]), web));
    });
});

describe("nftables: the output hook and whether a ruleset is loaded", () => {
    it("evaluates connections the guest opens: daddr is the peer, lo and bridges are not the network", () => {
        const ruleset = "table inet t {\n chain output {\n type filter hook output priority 0; policy drop;\n oifname { \"lo\", \"docker0\" } accept\n ip daddr 10.20.60.2 udp dport 53 accept\n ip saddr 10.20.30.10 tcp dport 443 accept\n }\n}\n";
        const self = toInt("10.20.30.10");
        assert.equal(nftVerdict(ruleset, { peer: toInt("10.20.60.2"), proto: "udp", dport: 53, direction: "out" }, self).pass, "yes");
        assert.equal(nftVerdict(ruleset, { peer: toInt("10.20.60.3"), proto: "udp", dport: 53, direction: "out" }, self).pass, "no");
        assert.equal(nftVerdict(ruleset, { peer: toInt("8.8.8.8"), proto: "tcp", dport: 443, direction: "out" }, self).pass, "yes");
    });

    it("loads only with -f/--file and without -c/--check, in scripts and unit Exec lines", () => {
        assert.equal(loadsRuleset(["nft", "--file", "/etc/x.nft"]), true);
        assert.equal(loadsRuleset(["/usr/sbin/nft", "-ef", "/etc/x.nft"]), true);
        assert.equal(loadsRuleset(["nft", "--check", "--file", "/etc/x.nft"]), false);
        assert.equal(loadsRuleset(["nft", "-cf", "/etc/x.nft"]), false);
        assert.equal(loadsRuleset(["nft", "list", "ruleset"]), false);
        assert.deepEqual(unitExecCommands("[Service]\nExecStartPre=-/usr/sbin/nft -c -f /x\nExecStart=/usr/sbin/nft -f /x\n"), ["/usr/sbin/nft -c -f /x", "/usr/sbin/nft -f /x"]);
    });
});

describe("script flags as parse_flags reads them", () => {
    const script = ["#!/usr/bin/env bash", "die() {", "    echo \"$*\" >&2", "    exit 1", "}", 'parse_flags "ruleset no-systemd" "$@"', 'nft --file "$ruleset"', '[ -z "$no_systemd" ] || exit 0', "cat >unit <<UNIT", "[Service]", "ExecStart=/usr/sbin/nft --file x", "UNIT", "systemctl enable unit"].join("\n");
    it("finds that a flag makes the script exit before its boot unit, and only then", () => {
        assert.equal(exitsBefore(script, ["--ruleset", "/etc/x.nft"], /ExecStart=/), false);
        assert.equal(exitsBefore(script, ["--ruleset", "/etc/x.nft", "--no-systemd", "yes"], /ExecStart=/), true);
        assert.equal(exitsBefore(script.replace('[ -z "$no_systemd" ] || exit 0', 'if [ -n "${no_systemd:-}" ]; then exit 0; fi'), ["--no-systemd", "1"], /ExecStart=/), true);
        assert.equal(exitsBefore(script.replace('[ -z "$no_systemd" ] || exit 0', '[ "$no_systemd" = yes ] && exit 0'), ["--no-systemd", "no"], /ExecStart=/), false);
        assert.deepEqual([...flagVariables(["--unit-dir", "/etc/systemd/system", "--no-systemd", "yes"])], [["unit_dir", "/etc/systemd/system"], ["no_systemd", "yes"]]);
    });
});

describe("rsyslog forwarding rules", () => {
    it("finds the targets of *.* in the legacy and omfwd forms, ignoring comments and narrower selectors", () => {
        assert.deepEqual(forwardTargets(["*.* @10.20.60.5:514\n", "*.* @@(z9)10.20.60.6\n#*.* @10.0.0.1\nauth.* @10.0.0.2\n", '*.* action(type="omfwd" target="10.20.60.7" port="514" protocol="udp")\n']), ["10.20.60.5", "10.20.60.6", "10.20.60.7"]);
        assert.deepEqual(forwardRules(["*.* @@10.20.60.5\n*.* @10.20.60.6:1514\n", '*.* action(type="omfwd" target="10.20.60.7" protocol="tcp" port="6514")\n*.* action(type="omfwd" target="10.20.60.8")\n']), [
            { selector: "*.*", target: "10.20.60.5", protocol: "tcp", port: 514 },
            { selector: "*.*", target: "10.20.60.6", protocol: "udp", port: 1514 },
            { selector: "*.*", target: "10.20.60.7", protocol: "tcp", port: 6514 },
            { selector: "*.*", target: "10.20.60.8", protocol: "udp", port: 514 },
        ]);
    });
});
