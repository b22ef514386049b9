// Over 300 lines: one table of single violations, one per line, read as a whole (splitting it would scatter the owners and the documented doubles).
// The mutation corpus: single, realistic violations of the dev stack's graph, each in a form the
// program never writes (service names, macros, security groups, IP sets with exclusions, last-wins
// options, other image spellings, host namespaces...). Each must be caught by the policy that owns
// it and by no other, except the documented doubles (`also`), where two requirements really break.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { rules } from "../policies/rules";
import { PVE_TYPES } from "../policies/models/pveResources";
import { CapturedResource, ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { evaluate } from "../tools/offline/policyEngine";
import { changed, mysqlOnWebVm, plain, without, withOptions, withResource } from "./support/mutations";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const T = {
    ...PVE_TYPES,
    container: "docker:index/container:Container",
    image: "docker:index/remoteImage:RemoteImage",
    provider: "pulumi:providers:docker",
    command: "command:remote:Command",
    edge: "elabftw:firewall:EdgeHandOff",
    snippet: "proxmoxve:index/fileLegacy:FileLegacy",
};
type Graph = CapturedResource[];
type Props = Record<string, any>;

let run: ProgramRun;
before(async () => {
    run = await runProgram();
});

const VPN = "10.8.0.0/16";
const inRule = (extra: Props) => ({ type: "in", action: "ACCEPT", log: "nolog", comment: "mutation", ...extra });
const prepend = (suffix: string, ...added: Props[]) => (g: readonly CapturedResource[]) => changed(g, T.rules, suffix, (p) => plain(p.rules).unshift(...added));
const append = (suffix: string, ...added: Props[]) => (g: readonly CapturedResource[]) => changed(g, T.rules, suffix, (p) => plain(p.rules).push(...added));
const container = (suffix: string, change: (p: Props) => void) => (g: readonly CapturedResource[]) => changed(g, T.container, suffix, change);
const mysqlArgs = (...args: string[]) => container("-mysql-container", (p) => plain(p.command).push(...args));
const image = (suffix: string, name: string) => (g: readonly CapturedResource[]) => changed(g, T.image, suffix, (p) => (p.name = name));
const nft = (suffix: string, edit: (text: string) => string) => (g: readonly CapturedResource[]) => changed(g, T.command, suffix, (p) => (p.stdin = edit(String(plain(p.stdin)))));
const script = (suffix: string, edit: (text: string) => string) => (g: readonly CapturedResource[]) => changed(g, T.command, suffix, (p) => (p.stdin = edit(String(plain(p.stdin)))));
const sql = (edit: (text: string) => string) => script("-mysql-operator-account", edit);
const env = (name: string, value: string) => container("-elabftw-container", (p) => {
    const envs: string[] = plain(p.envs);
    envs.splice(envs.findIndex((e) => typeof e === "string" && e.startsWith(`${name}=`)), 1, `${name}=${value}`);
});
const userData = (vm: "web" | "db", edit: (text: string) => string) => (g: readonly CapturedResource[]) => changed(g, T.snippet, `-${vm}-user-data`, (p) => (plain(p.sourceRaw).data = edit(plain(p.sourceRaw).data)));
const writeFile = (path: string, content: string) => (text: string) => text.replace("write_files:\n", `write_files:\n  - path: ${path}\n    permissions: "0644"\n    content: |\n${content.split("\n").map((l) => `      ${l}`).join("\n")}\n`);
const dumpScript = (edit: (text: string) => string) => script("-backup-db-script-elabftw-backup", edit);
// Key material made at run time: no key pattern in tracked files.
const pemKey = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const defuseKey = () => `def00000${randomBytes(64).toString("hex")}`;
/** A real TLS server certificate valid five years, made once by openssl. */
const longLivedServerCertificate = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "corpus-cert-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1825", "-subj", "/CN=elab.example.org", "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")], { stdio: "ignore" });
    const pem = readFileSync(path.join(dir, "c.pem"), "utf8");
    rmSync(dir, { recursive: true, force: true });
    return pem;
};
/** A real certificate on an RSA-1024 key, made once by openssl. */
let weak: string | undefined;
const weakCertificate = () => {
    if (weak) return weak;
    const dir = mkdtempSync(path.join(tmpdir(), "corpus-cert-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:1024", "-nodes", "-days", "30", "-subj", "/CN=partner-ca", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")], { stdio: "ignore" });
    weak = readFileSync(path.join(dir, "c.pem"), "utf8");
    rmSync(dir, { recursive: true, force: true });
    return weak;
};
const dbaGroup = (g: readonly CapturedResource[]) => {
    const template = g.find((r) => r.type === T.alias)!;
    const withGroup = withResource(g, template, T.group, "dba-group", { name: "dba", rules: [inRule({ source: VPN, proto: "tcp", dport: "3306" })] });
    return prepend("-db-rules", { type: "in", securityGroup: "dba", action: "", comment: "DBA access" })(withGroup);
};

interface Mutation {
    readonly id: string;
    readonly owner: string;
    /** A second policy the same change really breaks, and why. */
    readonly also?: { readonly policy: string; readonly why: string };
    readonly apply: (g: readonly CapturedResource[]) => Graph;
}

const NO_OUTSIDE = "cnrs-no-access-from-outside";
const INFRA = "cnrs-infrastructure-firewall";
const HARDENING = "container-hardening";
const TLS = "mysql-tls-only";
const DISK = "cnrs-disk-encryption";
const BACKUP = "cnrs-backup-encryption";
const OPERATOR = "mysql-operator-certificate-bound";
const HTTPS = "elabftw-https-on";
const SECRETS = "no-plaintext-secrets";
/** Uploads moved off the folder the nightly archive names are neither encrypted at rest nor backed up. */
const MOVED_UPLOADS = { policy: BACKUP, why: "the nightly archive still names /srv/elabftw/elabftw/uploads, so the moved uploads are not backed up either" };

export const CORPUS: readonly Mutation[] = [
    // Firewall paths: the DB reached from the VPN or the lab, HTTPS from elsewhere than the edge.
    { id: "db: VPN range accepted on 3306", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: VPN, proto: "tcp", dport: "3306" })) },
    { id: "db: lab IP set on the service name mysql", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: "+demo-lab-subnet", proto: "tcp", dport: "mysql" })) },
    { id: "db: macro MySQL from the VPN", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: VPN, macro: "MySQL" })) },
    { id: "db: lower-case macro mysql from the lab", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: "dc/demo-lab-subnet", macro: "mysql" }), inRule({ source: "+dc/demo-lab-subnet", macro: "mysql" })) },
    { id: "db: address range and port range", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: "10.8.0.1-10.8.3.254", proto: "tcp", dport: "3300:3310" })) },
    { id: "db: security group referenced by the rules", owner: NO_OUTSIDE, apply: dbaGroup },
    { id: "db: VPN added to the admin IP set", owner: NO_OUTSIDE, apply: (g) => changed(g, T.ipset, "-db-ipset-demo-admin-network", (p) => plain(p.cidrs).push({ name: VPN })) },
    { id: "db: admin IP set widened to 10/8 minus the servers (nomatch)", owner: NO_OUTSIDE, apply: (g) => changed(g, T.ipset, "-db-ipset-demo-admin-network", (p) => (p.cidrs = [{ name: "10.0.0.0/8" }, { name: "10.20.30.0/24", nomatch: true }])) },
    { id: "db: admin IP set with a !-excluded entry", owner: NO_OUTSIDE, apply: (g) => changed(g, T.ipset, "-db-ipset-demo-admin-network", (p) => (p.cidrs = [{ name: "10.20.0.0/16" }, { name: "!10.20.30.0/24" }])) },
    // (The same alias pointed at the lab passes: the lab's DROP comes first, as the model says.)
    { id: "db: web alias pointed at the VPN range", owner: NO_OUTSIDE, apply: (g) => changed(g, T.alias, "-db-alias-demo-web", (p) => (p.cidr = VPN)) },
    // Without the VM's own alias, pve-firewall falls back to the datacenter's of the same name.
    {
        id: "db: its web alias removed, a datacenter alias of that name pointed at the VPN",
        owner: NO_OUTSIDE,
        apply: (g) => {
            const rest = without(g, T.alias, "-db-alias-demo-web");
            return withResource(rest, rest.find((r) => r.type === T.alias)!, T.alias, "other-unit-demo-web", { name: "demo-web", cidr: VPN });
        },
    },
    { id: "db: every port from the lab, dport \"\" and proto null", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: "+demo-lab-subnet", proto: null, dport: "", sport: "", iface: null })) },
    { id: "db: rule restricted to net0", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: VPN, proto: "tcp", dport: "22", iface: "net0" })) },
    { id: "db: literal list with the VPN", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: "10.20.50.0/28,10.8.0.0/16", proto: "tcp", dport: "22" })) },
    { id: "db: protocol given as a number", owner: NO_OUTSIDE, apply: prepend("-db-rules", inRule({ source: VPN, proto: "6", dport: "3306" })) },
    { id: "db: udp from the lab after the lab's DROP is disabled", owner: NO_OUTSIDE, apply: (g) => changed(g, T.rules, "-db-rules", (p) => {
        plain(p.rules)[0].enabled = false;
        plain(p.rules).push(inRule({ source: "10.20.40.0/24", proto: "udp", dport: "161" }));
    }) },
    { id: "db: MySQL published on every address", owner: NO_OUTSIDE, also: { policy: "private-published-ports", why: "0.0.0.0 is not a private address either" }, apply: container("-mysql-container", (p) => (plain(p.ports)[0].ip = "0.0.0.0")) },
    { id: "web: HTTPS from the lab", owner: NO_OUTSIDE, apply: prepend("-web-rules", inRule({ source: "+demo-lab-subnet", proto: "tcp", dport: "443" })) },
    { id: "web: macro HTTPS from the VPN", owner: NO_OUTSIDE, apply: append("-web-rules", inRule({ source: VPN, macro: "HTTPS" })) },
    { id: "web: service name https from anywhere", owner: NO_OUTSIDE, apply: append("-web-rules", inRule({ source: "", proto: "tcp", dport: "https" })) },
    { id: "web: macro Web from the admin network", owner: NO_OUTSIDE, also: { policy: INFRA, why: "port 80 from the admin network is beyond the flow matrix too" }, apply: append("-web-rules", inRule({ source: "+demo-admin-network", macro: "Web" })) },
    { id: "web: SSH from a public network", owner: NO_OUTSIDE, apply: append("-web-rules", inRule({ source: "147.210.0.0/16", proto: "tcp", dport: "ssh" })) },
    { id: "web: edge alias widened to its /24", owner: NO_OUTSIDE, apply: (g) => changed(g, T.alias, "-web-alias-demo-edge-firewall", (p) => (p.cidr = "10.20.1.0/24")) },
    // Firewall switches, defaults and egress.
    { id: "datacenter firewall off", owner: INFRA, apply: (g) => changed(g, T.datacenter, "-datacenter", (p) => (p.enabled = false)) },
    { id: "datacenter input policy ACCEPT", owner: INFRA, apply: (g) => changed(g, T.datacenter, "-datacenter", (p) => (p.inputPolicy = "ACCEPT")) },
    { id: "db firewall options disabled", owner: INFRA, apply: (g) => changed(g, T.options, "-db-options", (p) => (p.enabled = false)) },
    { id: "db input policy ACCEPT", owner: INFRA, also: { policy: NO_OUTSIDE, why: "every packet the rules do not drop then reaches the DB" }, apply: (g) => changed(g, T.options, "-db-options", (p) => (p.inputPolicy = "ACCEPT")) },
    { id: "web output policy ACCEPT", owner: INFRA, apply: (g) => changed(g, T.options, "-web-options", (p) => (p.outputPolicy = "ACCEPT")) },
    { id: "db output policy unset (null: Proxmox's ACCEPT)", owner: INFRA, apply: (g) => changed(g, T.options, "-db-options", (p) => (p.outputPolicy = null)) },
    { id: "web NIC without firewall", owner: INFRA, apply: (g) => changed(g, T.vm, "-web", (p) => (plain(p.networkDevices)[0].firewall = false)) },
    { id: "db rule list removed", owner: INFRA, apply: (g) => without(g, T.rules, "-db-rules") },
    { id: "db egress 0/1 + 128/1 on 443", owner: INFRA, apply: append("-db-rules", { type: "out", action: "ACCEPT", dest: "0.0.0.0/1", proto: "tcp", dport: "443" }, { type: "out", action: "ACCEPT", dest: "128.0.0.0/1", proto: "tcp", dport: "443" }) },
    { id: "web egress to any on 80,443 (dest \"\")", owner: INFRA, apply: append("-web-rules", { type: "out", action: "ACCEPT", dest: "", proto: "tcp", dport: "80,443" }) },
    { id: "db guest nftables input policy accept", owner: INFRA, also: { policy: NO_OUTSIDE, why: "the guest layer alone then lets forbidden packets in" }, apply: nft("-db-guest-firewall-nftables", (t) => t.replace(/(hook input priority filter; )policy drop;/, "$1policy accept;")) },
    { id: "web guest nftables accept-all rule", owner: INFRA, also: { policy: NO_OUTSIDE, why: "the guest layer alone then lets forbidden packets in" }, apply: nft("-web-guest-firewall-nftables", (t) => t.replace('iifname "lo" accept', 'iifname "lo" accept\n        counter accept')) },
    { id: "web guest nftables forward without policy", owner: INFRA, also: { policy: NO_OUTSIDE, why: "the guest layer alone then lets forbidden packets in" }, apply: nft("-web-guest-firewall-nftables", (t) => t.replace(/(hook forward priority filter;) policy drop;/, "$1")) },
    // Two VMs, egress address.
    { id: "MySQL moved onto the eLabFTW VM", owner: "cnrs-two-vms", apply: (g) => mysqlOnWebVm(g, "ssh://elabadmin@10.20.30.10") },
    { id: "MySQL container removed", owner: "cnrs-two-vms", apply: (g) => without(g, T.container, "-mysql-container") },
    { id: "private egress address", owner: "cnrs-dedicated-egress-address", apply: (g) => changed(g, T.edge, "-edge", (p) => (p.egressPublicAddress = "10.1.2.3")) },
    { id: "no NAT row handed to the network team", owner: "cnrs-dedicated-egress-address", apply: (g) => changed(g, T.edge, "-edge", (p) => (p.rules = plain(p.rules).filter((r: Props) => r.num !== "nat"))) },
    // Disk encryption.
    { id: "DB data disk not LUKS-formatted", owner: DISK, apply: (g) => without(g, T.command, "-db-data-luks-format") },
    { id: "MySQL data directory on the OS disk", owner: DISK, apply: container("-mysql-container", (p) => (plain(p.mounts)[0].source = "/var/lib/mysql-data")) },
    { id: "uploads on the OS disk", owner: DISK, also: MOVED_UPLOADS, apply: container("-elabftw-container", (p) => (plain(p.mounts)[0].source = "/opt/elabftw/uploads")) },
    { id: "MySQL data as a legacy host volume", owner: DISK, apply: container("-mysql-container", (p) => (p.volumes = [{ hostPath: "/var/lib/mysql", containerPath: "/var/lib/mysql2" }])) },
    { id: "uploads path with a trailing slash outside the mount", owner: DISK, also: MOVED_UPLOADS, apply: container("-elabftw-container", (p) => (plain(p.mounts)[0].source = "/srv/elabftw-uploads/")) },
    { id: "uploads bind source climbing out of the LUKS mount with ..", owner: DISK, also: MOVED_UPLOADS, apply: container("-elabftw-container", (p) => (plain(p.mounts)[0].source = "/srv/elabftw/../../opt/uploads")) },
    { id: "MySQL data with // and ./ and a trailing slash, off the mount", owner: DISK, apply: container("-mysql-container", (p) => (plain(p.mounts)[0].source = "/srv//elabftw/./../mysql/")) },
    // Backups.
    { id: "Borg repository without encryption", owner: BACKUP, apply: script("-backup-db-script-elabftw-backup", (t) => t.replace("--encryption=repokey-blake2", "--encryption=none")) },
    { id: "Borg authenticated-only mode", owner: BACKUP, apply: script("-backup-db-script-elabftw-backup", (t) => t.replace("--encryption=repokey-blake2", "--encryption authenticated-blake2")) },
    { id: "Borg short option -e none", owner: BACKUP, apply: script("-backup-web-script-elabftw-backup", (t) => t.replace("--encryption=repokey-blake2", "-e none")) },
    { id: "dump to a file in the systemd unit", owner: BACKUP, apply: script("-backup-db-unit-elabftw-backup-db-service", (t) => t.replace("ExecStart=", 'ExecStart=/bin/sh -c "docker exec mysql mysqldump elabftw > /srv/elabftw/dump.sql"\nExecStart=')) },
    { id: "mariadb-dump piped through gzip in the script", owner: BACKUP, apply: script("-backup-db-script-elabftw-backup", (t) => `${t}\nmariadb-dump --all-databases | gzip >/var/tmp/all.sql.gz\n`) },
    { id: "Borg passphrase not installed", owner: BACKUP, apply: (g) => without(g, T.command, "-backup-db-passphrase") },
    // Images.
    { id: "eLabFTW on stable", owner: "pinned-container-images", apply: image("-elabftw-image", "elabftw/elabimg:stable") },
    { id: "MySQL on a minor tag, fully qualified", owner: "pinned-container-images", apply: image("-mysql-image", "docker.io/library/mysql:8.4") },
    { id: "eLabFTW without a tag", owner: "pinned-container-images", apply: image("-elabftw-image", "docker.io/elabftw/elabimg") },
    { id: "MySQL 8.0", owner: TLS, apply: image("-mysql-image", "mysql:8.0.39") },
    { id: "Oracle's mysql-server 8.0", owner: TLS, apply: image("-mysql-image", "mysql/mysql-server:8.0.32") },
    { id: "Percona 8.0", owner: TLS, apply: image("-mysql-image", "percona:8.0.36") },
    { id: "MariaDB instead of MySQL", owner: TLS, apply: image("-mysql-image", "index.docker.io/library/mariadb:11.4.2") },
    // mysqld options, as mysqld parses them.
    { id: "require-secure-transport turned off later", owner: TLS, apply: mysqlArgs("--require-secure-transport=OFF") },
    { id: "--skip-require-secure-transport", owner: TLS, apply: mysqlArgs("--skip-require-secure-transport") },
    { id: "--loose-require_secure_transport=0", owner: TLS, apply: mysqlArgs("--loose-require_secure_transport=0") },
    { id: "TLS 1.1 allowed by a later --tls_version", owner: TLS, apply: mysqlArgs("--tls_version=TLSv1.1,TLSv1.2") },
    { id: "TLS switched off (empty tls-version)", owner: TLS, apply: mysqlArgs("--tls-version=") },
    { id: "eLabFTW without DB_CERT_PATH", owner: "elabftw-db-cert-path", apply: container("-elabftw-container", (p) => {
        const envs: string[] = plain(p.envs);
        envs.splice(envs.findIndex((e) => typeof e === "string" && e.startsWith("DB_CERT_PATH=")), 1);
    }) },
    // Containers.
    { id: "no-new-privileges dropped", owner: HARDENING, apply: container("-elabftw-container", (p) => (p.securityOpts = [])) },
    { id: "no-new-privileges:false", owner: HARDENING, apply: container("-elabftw-container", (p) => (p.securityOpts = ["no-new-privileges:false"])) },
    { id: "SYS_ADMIN added", owner: HARDENING, apply: container("-elabftw-container", (p) => plain(p.capabilities).adds.push("SYS_ADMIN")) },
    { id: "CAP_NET_ADMIN added (prefixed spelling)", owner: HARDENING, apply: container("-mysql-container", (p) => plain(p.capabilities).adds.push("cap_net_admin")) },
    { id: "ALL added", owner: HARDENING, apply: container("-mysql-container", (p) => (plain(p.capabilities).adds = ["ALL"])) },
    { id: "nothing dropped", owner: HARDENING, apply: container("-elabftw-container", (p) => (p.capabilities = { adds: ["CHOWN"], drops: [] })) },
    { id: "privileged", owner: HARDENING, apply: container("-elabftw-container", (p) => (p.privileged = true)) },
    { id: "host network", owner: HARDENING, apply: container("-elabftw-container", (p) => (p.networkMode = "host")) },
    { id: "host PID namespace", owner: HARDENING, apply: container("-mysql-container", (p) => (p.pidMode = "host")) },
    { id: "host user namespace", owner: HARDENING, apply: container("-mysql-container", (p) => (p.usernsMode = "host")) },
    { id: "Docker socket mounted read-only", owner: HARDENING, apply: container("-elabftw-container", (p) => plain(p.mounts).push({ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true })) },
    { id: "host root mounted read-only", owner: HARDENING, apply: container("-elabftw-container", (p) => plain(p.mounts).push({ type: "bind", source: "//", target: "/host", readOnly: true })) },
    { id: "a host disk device", owner: HARDENING, apply: container("-mysql-container", (p) => (p.devices = [{ hostPath: "/dev/sdb", containerPath: "/dev/sdb" }])) },
    { id: "seccomp unconfined", owner: HARDENING, apply: container("-elabftw-container", (p) => plain(p.securityOpts).push("seccomp=unconfined")) },
    { id: "HTTPS published on every address", owner: "private-published-ports", apply: container("-elabftw-container", (p) => (plain(p.ports)[0].ip = "0.0.0.0")) },
    // Secrets.
    { id: "chpasswd in the cloud-init snippet", owner: "no-plaintext-secrets", apply: (g) => changed(g, "proxmoxve:index/fileLegacy:FileLegacy", "-web-user-data", (p) => (plain(p.sourceRaw).data += "chpasswd:\n  expire: false\n")) },
    { id: "Borg passphrase on a command line", owner: "no-plaintext-secrets", apply: (g) => changed(g, T.command, "-backup-db-timers", (p) => (p.create = `BORG_PASSPHRASE=hunter2hunter2 ${p.create}`)) },
    // The operator account as the server leaves it after the accounts step's SQL.
    { id: "operator: ALTER dropped, an existing account keeps its REQUIRE", owner: OPERATOR, apply: sql((t) => t.replace(/^ALTER USER .*\n/m, "")) },
    { id: "operator: REQUIRE X509 (any certificate of the CA)", owner: OPERATOR, apply: sql((t) => t.replace(/REQUIRE SUBJECT '[^']*'/g, "REQUIRE X509")) },
    { id: "operator: a later lower-case alter user ... require ssl", owner: OPERATOR, apply: sql((t) => `${t}alter user operator require ssl;\n`) },
    { id: "operator: subject of another CN", owner: OPERATOR, apply: sql((t) => t.replace(/CN=elabftw-operator/g, "CN=operator")) },
    { id: "operator: REQUIRE NONE after a comment", owner: OPERATOR, apply: sql((t) => `${t}-- temporary, for the migration\nALTER USER "operator"@"%" REQUIRE NONE;\n`) },
    { id: "operator: a second passwordless account", owner: OPERATOR, apply: sql((t) => `${t}CREATE USER IF NOT EXISTS dumper@'10.20.30.%';\n`) },
    // eLabFTW's HTTPS, as elabimg runs DISABLE_HTTPS.
    { id: "https: DISABLE_HTTPS=true", owner: HTTPS, apply: env("DISABLE_HTTPS", "true") },
    { id: "https: DISABLE_HTTPS of blanks", owner: HTTPS, apply: env("DISABLE_HTTPS", "  ") },
    { id: "https: DISABLE_HTTPS=/bin/true with a comment", owner: HTTPS, apply: env("DISABLE_HTTPS", "/bin/true # TLS ends at the edge") },
    // Borg options and variables; dumps wherever commands are written.
    { id: "Borg --encryption given twice, none last", owner: BACKUP, apply: dumpScript((t) => t.replace("--encryption=repokey-blake2", "--encryption=repokey-blake2 --encryption none")) },
    { id: "Borg bundled -enone", owner: BACKUP, apply: dumpScript((t) => t.replace("--encryption=repokey-blake2", "-enone")) },
    { id: "Borg 2 rcreate authenticated on the init command line", owner: BACKUP, apply: (g) => changed(g, T.command, "-backup-web-init", (p) => (p.create = String(p.create).replace("borg init --encryption=repokey-blake2", "borg --lock-wait 60 rcreate --encryption=authenticated-blake2"))) },
    { id: "Borg init without --encryption", owner: BACKUP, apply: dumpScript((t) => t.replace("--encryption=repokey-blake2 ", "")) },
    { id: "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes in borg.env", owner: BACKUP, apply: script("-backup-db-borg-env", (t) => `${t}BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes\n`) },
    { id: "empty BORG_PASSPHRASE in borg.env", owner: BACKUP, apply: script("-backup-web-borg-env", (t) => `${t}BORG_PASSPHRASE=''\n`) },
    { id: "empty BORG_NEW_PASSPHRASE in a unit's Environment=", owner: BACKUP, apply: script("-backup-db-unit-elabftw-backup-db-service", (t) => t.replace("Type=oneshot", "Type=oneshot\nEnvironment=\"BORG_NEW_PASSPHRASE=\"")) },
    { id: "dump --result-file in a unit", owner: BACKUP, apply: script("-backup-db-unit-elabftw-restore-drill-service", (t) => t.replace("ExecStart=", "ExecStartPre=-/usr/bin/docker exec mysql mysqldump --result-file=/var/lib/mysql/drill.sql elabftw\nExecStart=")) },
    { id: "dump with -r before the client options", owner: BACKUP, apply: dumpScript((t) => t.replace("mysqldump --defaults-extra-file", "mysqldump -r /srv/elabftw/last.sql --defaults-extra-file")) },
    { id: "dump through tee into borg", owner: BACKUP, apply: dumpScript((t) => t.replace('"$database" |\n', '"$database" | tee /srv/elabftw/last.sql |\n')) },
    { id: "dump in a cron file written by cloud-init", owner: BACKUP, apply: userData("db", writeFile("/etc/cron.d/elabftw-dump", "0 3 * * * root docker exec mysql mysqldump elabftw 2>/dev/null >/root/elabftw.sql")) },
    { id: "dump piped into ssh in cloud-init runcmd", owner: BACKUP, apply: userData("db", (t) => `${t}  - docker exec mysql mysqldump elabftw | ssh backup@10.20.60.20 'cat > elabftw.sql'\n`) },
    { id: "dump to Pulumi's state before an upgrade", owner: BACKUP, apply: (g) => changed(g, T.command, "-backup-db-before-upgrade", (p) => (p.create = "sudo docker exec -i mysql mariadb-dump --all-databases")) },
    { id: "dump to stderr and stdout (&>) in the restore drill", owner: BACKUP, apply: script("-backup-db-script-elabftw-restore-drill", (t) => `${t}\nmysqldump elabftw &>"/tmp/drill-$(date +%F).sql"\n`) },
    // Disks: Docker's data-root, volumes, extra disks.
    { id: "Docker data-root dropped from daemon.json", owner: DISK, apply: userData("web", (t) => t.replace(/^ *"data-root": .*\n/m, "")) },
    { id: "Docker data-root on the OS disk", owner: DISK, apply: userData("db", (t) => t.replace('"data-root": "/srv/elabftw/docker"', '"data-root": "/var/lib/docker-data"')) },
    { id: "Docker's legacy graph key instead of data-root", owner: DISK, apply: userData("db", (t) => t.replace('"data-root": "/srv/elabftw/docker"', '"graph": "/opt/docker"')) },
    { id: "uploads in a local volume bound to the OS disk", owner: DISK, also: MOVED_UPLOADS, apply: container("-elabftw-container", (p) => (plain(p.mounts)[0] = { type: "volume", source: "uploads", target: "/elabftw/uploads", volumeOptions: { driverName: "local", driverOptions: { type: "none", o: "bind", device: "/opt/uploads" } } })) },
    { id: "an extra disk on plain storage", owner: DISK, apply: (g) => changed(g, T.vm, "-db", (p) => plain(p.disks).push({ interface: "scsi2", datastoreId: "local-lvm", size: 50, fileFormat: "raw" })) },
    // Secrets in plaintext places.
    { id: "secret in a container label", owner: SECRETS, apply: container("-mysql-container", (p) => plain(p.labels).push({ label: "org.example.backup-password", value: "Tr0ub4dor-and-3" })) },
    { id: "MYSQL_PWD on a command line", owner: SECRETS, apply: (g) => changed(g, T.command, "-backup-db-before-upgrade", (p) => (p.create = `MYSQL_PWD=Tr0ub4dor3x ${p.create}`)) },
    { id: "SMTP password in cloud-init runcmd", owner: SECRETS, apply: userData("web", (t) => `${t}  - SMTP_PASSWORD=hunter2hunter2 /usr/local/sbin/configure-mail\n`) },
    { id: "Borg passphrase in a write_files environment file", owner: SECRETS, apply: userData("db", writeFile("/etc/default/elabftw-backup", "BORG_PASSPHRASE=correct-horse-battery")) },
    { id: "private key in write_files", owner: SECRETS, apply: (g) => userData("web", writeFile("/root/.ssh/id_ed25519", pemKey().trim()))(g) },
    { id: "SECRET_KEY in a unit's Environment=", owner: SECRETS, also: { policy: "cnrs-disk-encryption", why: "the unit file holding the key lies on the unencrypted OS disk (/etc/systemd/system)" }, apply: (g) => script("-backup-web-unit-elabftw-backup-uploads-service", (t) => t.replace("Type=oneshot", `Type=oneshot\nEnvironment=ELAB_SECRET=${defuseKey()}`))(g) },
    { id: "API token exported in an installed script", owner: SECRETS, apply: script("-backup-web-script-elabftw-restore", (t) => `${t}\nexport ELABFTW_API_TOKEN="3-4f8a9c2e1b7d"\n`) },
    // Secrets in any plaintext input, on command lines, and generated secrets that lost their marking.
    { id: "Borg passphrase in the VM's description", owner: SECRETS, apply: (g) => changed(g, T.vm, "-db", (p) => (p.description = "Backups: BORG_PASSPHRASE=correct-horse-battery, ask the CSSI")) },
    { id: "a password in a VM tag", owner: SECRETS, apply: (g) => changed(g, T.vm, "-web", (p) => plain(p.tags).push("mysql_password=Tr0ub4dor3x")) },
    { id: "MYSQL_PASSWORD in a data file written by cloud-init", owner: SECRETS, apply: userData("db", writeFile("/etc/elabftw/db.conf", "[client]\nMYSQL_PASSWORD=Tr0ub4dor3x")) },
    { id: "a generated password copied into a description (unsecret)", owner: SECRETS, apply: (g) => changed(g, T.vm, "-db", (p) => (p.description = `db user: ${g.find((r) => r.name.endsWith("-db-user-password"))!.rawOutputs.result}`)) },
    { id: "mysql -pSECRET in a unit", owner: SECRETS, apply: script("-backup-db-unit-elabftw-backup-db-service", (t) => t.replace("ExecStart=", "ExecStartPre=/usr/bin/docker exec mysql mysqladmin -uroot -pTr0ub4dor3x ping\nExecStart=")) },
    { id: "sshpass -p in an installed script", owner: SECRETS, apply: script("-backup-web-script-elabftw-restore", (t) => `${t}\nsshpass -p "$(cat /root/pw)" ssh backup@10.20.60.20 true\n`) },
    { id: "--passphrase on a remote command line", owner: SECRETS, apply: (g) => changed(g, T.command, "-backup-db-timers", (p) => (p.create = `${p.create} && gpg --batch --passphrase s3cr3t-s3cr3t -c /dev/null`)) },
    // Borg's own files on the OS disk.
    { id: "Borg's cache moved to /root/.cache/borg in borg.env", owner: DISK, apply: script("-backup-db-borg-env", (t) => `${t}BORG_CACHE_DIR='/root/.cache/borg'\n`) },
    { id: "BORG_BASE_DIR dropped: Borg's files under /root", owner: DISK, apply: script("-backup-web-borg-env", (t) => t.replace(/^BORG_BASE_DIR=.*\n/m, "")) },
    { id: "BORG_BASE_DIR climbing out of the LUKS mount with ..", owner: DISK, apply: script("-backup-db-borg-env", (t) => t.replace(/^BORG_BASE_DIR='([^']*)'/m, "BORG_BASE_DIR='/srv/elabftw/../var/lib/borg'")) },
    // Dumps wherever commands are written: scripts a command writes, stdin scripts, local commands, containers.
    { id: "dump in a cron file a here-document writes", owner: BACKUP, apply: (g) => changed(g, T.command, "-backup-db-timers", (p) => (p.create = `${p.create}\ncat > /etc/cron.d/elab-dump <<'EOF'\n30 2 * * * root docker exec mysql mysqldump elabftw > /var/backups/elabftw.sql\nEOF\n`)) },
    { id: "dump in the script a command reads on stdin (bash -s)", owner: BACKUP, apply: (g) => changed(g, T.command, "-backup-db-before-upgrade", (p) => { p.create = "sudo bash -s"; p.stdin = "docker exec mysql mysqldump --all-databases 2>&1 >/var/tmp/pre-upgrade.sql\n"; }) },
    { id: "dump in a sidecar container's command", owner: BACKUP, apply: container("-mysql-container", (p) => (p.healthcheck = { ...plain(p.healthcheck), tests: ["CMD-SHELL", "mysqldump --all-databases > /var/lib/mysql/hc.sql && true"] })) },
    // Other tools copying data off the VM without encryption.
    { id: "uploads rsynced to the backup host", owner: BACKUP, apply: script("-backup-web-script-elabftw-backup", (t) => `${t}\nrsync -a /srv/elabftw/uploads/ borg@10.20.60.20:/srv/plain/uploads/\n`) },
    { id: "dump copied with scp in a unit", owner: BACKUP, apply: script("-backup-db-unit-elabftw-backup-db-service", (t) => t.replace("ExecStart=", "ExecStartPost=/usr/bin/scp /srv/elabftw/backup/last.tar nas.lab.example.org:/backups/\nExecStart=")) },
    { id: "uploads tarred into ssh from cloud-init runcmd", owner: BACKUP, apply: userData("web", (t) => `${t}  - tar czf - /srv/elabftw/uploads | ssh backup@10.20.60.20 'cat > uploads.tgz'\n`) },
    { id: "uploads copied onto an NFS mount", owner: BACKUP, apply: userData("web", (t) => `${t}  - mount -t nfs4 10.20.60.30:/exports/elab /mnt/nas\n  - cp -a /srv/elabftw/uploads /mnt/nas/\n`) },
    // The guests' nftables layer on its own (the Proxmox firewall still drops these packets).
    { id: "db guest ruleset accepts the VPN on 3306", owner: NO_OUTSIDE, apply: nft("-db-guest-firewall-nftables", (t) => t.replace('iifname "lo" accept', 'iifname "lo" accept\n        ip saddr 10.8.0.0/16 tcp dport mysql accept')) },
    { id: "web guest ruleset accepts HTTPS from a named set holding the lab", owner: NO_OUTSIDE, also: { policy: INFRA, why: "the rule also opens port 80 to the lab and the admin network, beyond the flow matrix (the guest layer judged inbound)" }, apply: nft("-web-guest-firewall-nftables", (t) => t.replace("    chain input {", "    set staff { type ipv4_addr; flags interval; elements = { 10.20.40.0/24, 10.20.50.0/28 } }\n    chain input {").replace('iifname "lo" accept', 'iifname "lo" accept\n        ip saddr @staff tcp dport { 80, 443 } accept')) },
    { id: "db guest ruleset: the lab's drop turned into a jump to an accepting chain", owner: NO_OUTSIDE, apply: nft("-db-guest-firewall-nftables", (t) => t.replace(/ip saddr 10\.20\.40\.0\/24 drop comment "[^"]*"\n(\s+ip saddr 10\.20\.30\.10 tcp dport 3306 accept)/, "ip saddr 10.20.40.0/24 jump lab\n$1").replace("    chain forward {", "    chain lab {\n        tcp dport 1-65535 accept\n    }\n    chain forward {")) },
    // Decided on what the deployment does (issue 14, second pass): the edge, a dedicated DB VM, LUKS's options and keys.
    { id: "edge hand-off lets any source reach the edge on 443", owner: NO_OUTSIDE, apply: (g) => changed(g, T.edge, "-edge", (p) => plain(p.rules).unshift({ num: "0", source: "any", sourcePort: "any", destination: "edgeFirewall", destinationPort: "443 TCP", action: "allow", description: "mutation" })) },
    { id: "an admin tool's container beside MySQL on the DB VM", owner: "cnrs-two-vms", also: { policy: NO_OUTSIDE, why: "the added container waits for no firewall: on a new VM it listens before the firewall is enabled" }, apply: (g) => {
        const db = g.find((r) => r.type === T.container && r.name.endsWith("-mysql-container"))!;
        const props = { ...structuredClone(plain(db.inputs)), name: "dbadmin", command: ["php-fpm"], mounts: [], ports: [], envs: ["PMA_HOST=127.0.0.1"], healthcheck: null };
        return withResource(g, db, T.container, "dbadmin-container", props);
    } },
    { id: "LUKS header over plaintext (null cipher, later option)", owner: DISK, apply: (g) => changed(g, T.command, "-db-data-luks-format", (p) => (p.create = String(p.create).replace("--pbkdf argon2id", "--pbkdf argon2id -c aes-xts-plain64 --cipher=cipher_null-ecb"))) },
    { id: "LUKS passphrase also saved in cryptsetup-keys.d", owner: DISK, apply: (g) => changed(g, T.command, "-web-data-luks-format", (p) => (p.create = String(p.create).replace('uuid=$(cryptsetup luksUUID "$device")', 'key > "/etc/cryptsetup-keys.d/${name}.key"\nuuid=$(cryptsetup luksUUID "$device")'))) },
    { id: "Borg passphrase generated by a RandomString (plaintext in the state)", owner: SECRETS, apply: (g) => g.map((r) => (r.name.endsWith("-db-repository-passphrase") ? { ...r, type: "random:index/randomString:RandomString" } : r)) },
    { id: "Borg passphrase of 6 characters", owner: "key-strength-and-validity", apply: (g) => changed(g, "random:index/randomPassword:RandomPassword", "-db-repository-passphrase", (p) => (p.length = 6)) },
    { id: "eLabFTW image built on the VM from a latest base, tagged as the release", owner: "pinned-container-images", apply: (g) => changed(g, T.image, "-elabftw-image", (p) => (p.build = { context: "docker/elabimg", buildArgs: { BASE_IMAGE: "elabftw/elabimg:latest" }, pullParent: true })) },
    { id: "uploads backup given the container's path (--source /elabftw/uploads)", owner: BACKUP, apply: (g) => changed(g, T.command, "-elabftw-backup-uploads-service", (p) => (p.stdin = String(plain(p.stdin)).replace("--source /srv/elabftw/elabftw/uploads", "--source /elabftw/uploads"))) },
    { id: "web VM's MAC filter off", owner: INFRA, apply: (g) => changed(g, T.options, "-web-options", (p) => (p.macfilter = false)) },
    { id: "datacenter ebtables off", owner: INFRA, apply: (g) => changed(g, T.datacenter, "-datacenter", (p) => (p.ebtables = false)) },
    { id: "web VM's EFI disk without Secure Boot keys under a PCR 7 seal", owner: DISK, apply: (g) => changed(g, T.vm, "-web", (p) => (plain(p.efiDisk).preEnrolledKeys = false)) },
    { id: "Docker told to pull from any registry without TLS verification", owner: "pinned-container-images", apply: userData("web", (t) => t.replace('"live-restore": true,', '"live-restore": true,\n        "insecure-registries": ["0.0.0.0/0"],')) },
    { id: "nightly dump with --no-data (schema only)", owner: BACKUP, apply: dumpScript((t) => t.replace("mysqldump --defaults-extra-file", "mysqldump --skip-no-data --no-data=ON --defaults-extra-file")) },
    { id: "uploads timer without [Install] (enable --now runs it for this boot only)", owner: BACKUP, apply: (g) => changed(g, T.command, "-elabftw-backup-uploads-timer", (p) => (p.stdin = String(plain(p.stdin)).replace(/\[Install\][\s\S]*$/, ""))) },
    { id: "Borg's ssh accepts any backup host key", owner: "verified-remote-hosts", apply: script("-backup-db-script-elabftw-backup", (t) => t.replace("-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$BACKUP_KNOWN_HOSTS", "-o StrictHostKeyChecking=no -o UserKnownHostsFile=$BACKUP_KNOWN_HOSTS")) },
    { id: "Borg's ssh with no UserKnownHostsFile (root's own known_hosts vouches)", owner: "verified-remote-hosts", apply: script("-backup-db-script-elabftw-backup", (t) => t.replace(" -o UserKnownHostsFile=$BACKUP_KNOWN_HOSTS", "")) },
    { id: "DB Docker provider's ssh trusts the operator's ~/.ssh/known_hosts", owner: "verified-remote-hosts", apply: (g) => changed(g, T.provider, "-db-docker", (p) => (p.sshOpts = String(plain(p.sshOpts)).replace(/UserKnownHostsFile=[^"]*/, "UserKnownHostsFile=${HOME}/.ssh/known_hosts"))) },
    { id: "host-key reader skips the API certificate check", owner: "verified-remote-hosts", apply: (g) => changed(g, "command:local:Command", "-db-host-key", (p) => (p.stdin = JSON.stringify({ ...JSON.parse(String(plain(p.stdin))), insecure: true }))) },
    { id: "db:install given the sysadmin password with -p", owner: SECRETS, apply: (g) => changed(g, T.command, "-db-lifecycle-install", (p) => (p.create = String(p.create).replace('--ask-password >"$output"', '-p "$password" >"$output"'))) },
    { id: "MySQL container publishing all its image's ports", owner: "private-published-ports", apply: container("-mysql-container", (p) => (p.publishAllPorts = true)) },
    { id: "nightly dump through docker run mysql:latest", owner: "pinned-container-images", apply: (g) => changed(g, T.command, "-backup-db-unit-elabftw-backup-db-service", (p) => (p.stdin = String(plain(p.stdin)).replace('--mysql-exec "docker exec -i mysql"', '--mysql-exec "docker run --rm -i --network container:mysql -v /srv/elabftw/mysql/operator:/etc/mysql/operator:ro mysql:latest"'))) },
    { id: "DB VM's dockerd also on tcp://0.0.0.0:2375 without TLS", owner: "verified-remote-hosts", apply: userData("db", writeFile("/etc/systemd/system/docker.service.d/tcp.conf", "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:2375 --tls=false")) },
    { id: "web luks-format also prints a recovery key into the state", owner: SECRETS, also: { policy: DISK, why: "the recovery key is also a keyslot beside the escrowed passphrase and the vTPM key, one more secret that opens the disk" }, apply: (g) => changed(g, T.command, "-web-data-luks-format", (p) => (p.create = String(p.create).replace('uuid=$(cryptsetup luksUUID "$device")', 'systemd-cryptenroll --recovery-key "$device"\nuuid=$(cryptsetup luksUUID "$device")'))) },
    { id: "web guest ruleset kept under /tmp, loaded from there at boot", owner: INFRA, apply: (g) => changed(g, T.command, "-web-guest-firewall-nftables", (p) => (p.create = String(p.create).replace(/' apply-nftables\.sh$/, "' apply-nftables.sh --ruleset /tmp/elabftw-nftables.nft"))) },
    { id: "operator account granted ALL ON *.* WITH GRANT OPTION", owner: OPERATOR, apply: sql((t) => `${t}\nGRANT ALL PRIVILEGES ON *.* TO 'operator'@'%' WITH GRANT OPTION;`) },
    { id: "a reporting account with a password from any host", owner: OPERATOR, apply: sql((t) => `${t}\nCREATE USER 'metabase'@'%' IDENTIFIED BY 'Report-2024-pw' REQUIRE NONE;\nGRANT SELECT ON elabftw.* TO 'metabase'@'%';`) },
    { id: "mysqld --init-file turning require_secure_transport off at each start", owner: TLS, apply: (g) => {
        const template = g.find((r) => r.type === T.command && r.name.endsWith("-mysql-operator-account"))!;
        const written = withResource(g, template, T.command, "mysql-init-sql", { ...structuredClone(plain(template.inputs)), create: "install -d -m 0750 /srv/elabftw/mysql/init && echo 'SET GLOBAL require_secure_transport = OFF;' | tee /srv/elabftw/mysql/init/init.sql >/dev/null", stdin: undefined });
        return changed(written, T.container, "-mysql-container", (p) => {
            plain(p.command).push("--init-file=/etc/mysql/init/init.sql");
            plain(p.mounts).push({ type: "bind", source: "/srv/elabftw/mysql/init", target: "/etc/mysql/init", readOnly: true });
        });
    } },
    { id: "pre-upgrade DB backup without triggers (runs once, never before a later db:update)", owner: BACKUP, apply: (g) => changed(g, T.command, "-backup-db-before-upgrade", (p) => delete p.triggers) },
    { id: "backup script without pipefail (a failed dump ends in a good archive)", owner: BACKUP, apply: dumpScript((t) => t.replace("set -euo pipefail", "set -eu")) },
    { id: "kdump-tools on the DB VM (crash dumps on the OS disk)", owner: DISK, apply: userData("db", (t) => t.replace("packages:\n", "packages:\n  - kdump-tools\n")) },
    { id: "systemd-coredump on the web VM (process cores on the OS disk)", owner: DISK, apply: userData("web", (t) => t.replace("packages:\n", "packages:\n  - systemd-coredump\n")) },
    { id: "edge NAT row names the web VM, not the proxy the calls go through", owner: "cnrs-dedicated-egress-address", apply: (g) => changed(g, T.edge, "-edge", (p) => (plain(p.rules).find((r: Props) => r.num === "nat").source = "web (10.20.30.10)")) },
    { id: "hand-off lets the web VM call a public timestamping address directly", owner: "cnrs-dedicated-egress-address", apply: (g) => changed(g, T.edge, "-edge", (p) => plain(p.rules).splice(-1, 0, { num: "extra-1", source: "web (10.20.30.10)", sourcePort: "any", destination: "tsa (193.174.13.86)", destinationPort: "443 TCP", action: "allow", description: "timestamping without the proxy" })) },
    { id: "eLabFTW's account granted ALL ON *.* WITH GRANT OPTION", owner: OPERATOR, apply: sql((t) => `${t}\nGRANT ALL PRIVILEGES ON *.* TO 'elabftw'@'%' WITH GRANT OPTION;`) },
    { id: "the MySQL server key also installed on the web VM", owner: "key-strength-and-validity", apply: (g) => {
        const web = g.find((r) => r.type === T.command && r.name.endsWith("-elabftw-https-key"))!;
        const key = plain(g.find((r) => r.name.endsWith("-mysql-tls-key"))!.inputs).stdin;
        return withResource(g, web, T.command, "mysql-standby-key", { ...structuredClone(plain(web.inputs)), create: "sudo install -m 0400 /dev/stdin /srv/elabftw/mysql-standby/server-key.pem", stdin: key });
    } },
    { id: "web data disk formatted with the DB VM's LUKS passphrase", owner: "key-strength-and-validity", apply: (g) => {
        const db = plain(g.find((r) => r.name.endsWith("-db-data-luks-format"))!.inputs).stdin;
        return changed(g, T.command, "-web-data-luks-format", (p) => (p.stdin = db));
    } },
    { id: "operator client certificate requested on the MySQL server's key", owner: "key-strength-and-validity", apply: (g) => {
        const serverKey = plain(g.find((r) => r.name.endsWith("-pki-mysql-server-csr"))!.inputs).privateKeyPem;
        return changed(g, "tls:index/certRequest:CertRequest", "-pki-operator-client-csr", (p) => (p.privateKeyPem = serverKey));
    } },
    { id: "dockerd debug mode on the web VM (logs create requests with their environment)", owner: SECRETS, apply: userData("web", (t) => t.replace('"live-restore": true,', '"live-restore": true,\n        "debug": true,')) },
    { id: "eLabFTW pulled from a third-party mirror under the release tag", owner: "pinned-container-images", apply: image("-elabftw-image", "ghcr.io/lab-mirrors/elabimg:5.6.12") },
    { id: "db:update run through docker exec --privileged", owner: HARDENING, apply: (g) => changed(g, T.command, "-db-lifecycle-update", (p) => (p.create = String(p.create).replace(/docker exec (-i )?"\$container"/, 'docker exec --privileged "$container"'))) },
    { id: "the SMTP password written into the settings document in plaintext", owner: SECRETS, apply: (g) => changed(g, "elabftw:app:ElabftwSettings", "-settings", (p) => (plain(p.config).smtp_password = "Relay-Passw0rd-2024")) },
    { id: "MySQL root given the eLabFTW account's password", owner: "key-strength-and-validity", apply: (g) => {
        const user = plain(g.find((r) => r.name.endsWith("-mysql-user-password"))!.inputs).stdin;
        return changed(g, T.command, "-mysql-root-password", (p) => (p.stdin = user));
    } },
    { id: "a SECRET_KEY regenerated at each eLabFTW version (keepers)", owner: "key-strength-and-validity", apply: (g) => changed(g, "random:index/randomPassword:RandomPassword", "-elabftw-secret-key-hex", (p) => (p.keepers = { elabftwVersion: "5.6.12" })) },
    { id: "a local command writes the LUKS recovery passphrase into the project folder", owner: SECRETS, apply: (g) => {
        const hostKey = g.find((r) => r.type === "command:local:Command")!;
        const passphrase = plain(g.find((r) => r.name.endsWith("-web-data-luks-format"))!.inputs).stdin;
        return withResource(g, hostKey, "command:local:Command", "escrow-file", { create: "umask 077 && mkdir -p escrow && cat > escrow/web.txt", stdin: passphrase });
    } },
    { id: "MySQL root password given directly instead of through its _FILE", owner: SECRETS, apply: container("-mysql-container", (p) => {
        const envs: string[] = plain(p.envs);
        envs.splice(envs.findIndex((e) => typeof e === "string" && e.startsWith("MYSQL_ROOT_PASSWORD_FILE=")), 1, "MYSQL_ROOT_PASSWORD=Unit-Root-Pw-2024");
    }) },
    // Segmentation along the flow matrix, both ways and on both layers; the nodes; one NIC; the ruleset really loaded.
    { id: "web may send to the lab IP set on any port", owner: INFRA, apply: append("-web-rules", { type: "out", action: "ACCEPT", dest: "+demo-lab-subnet", comment: "workstations" }) },
    { id: "db: the web VM's MySQL rule loses proto and dport", owner: INFRA, apply: (g) => changed(g, T.rules, "-db-rules", (p) => Object.assign(plain(p.rules).find((r: Props) => r.dport === "3306"), { proto: null, dport: "" })) },
    { id: "the datacenter's management IP set gains the lab", owner: INFRA, apply: (g) => changed(g, T.ipset, "-management", (p) => plain(p.cidrs).push({ name: "10.20.40.0/24" })) },
    { id: "db's IP filter set widened to the server /24", owner: INFRA, apply: (g) => changed(g, T.ipset, "-db-ipfilter", (p) => plain(p.cidrs).push({ name: "10.20.30.0/24" })) },
    { id: "web's IP filter off and its set removed", owner: INFRA, apply: (g) => without(changed(g, T.options, "-web-options", (p) => (p.ipfilter = false)), T.ipset, "-web-ipfilter") },
    { id: "web VM dual-homed on another VLAN", owner: INFRA, apply: (g) => changed(g, T.vm, "-web", (p) => plain(p.networkDevices).push({ bridge: "vmbr0", firewall: true, model: "virtio", vlanId: 40 })) },
    { id: "web guest output chain: http(s) to any address", owner: INFRA, apply: nft("-web-guest-firewall-nftables", (t) => t.replace(/(hook output priority filter; policy drop;)/, "$1\n        tcp dport { 80, 443 } accept")) },
    { id: "db guest ruleset only checked (nft -c), now and at boot", owner: INFRA, apply: (g) => changed(g, T.command, "-db-guest-firewall-nftables", (p) => (p.create = String(p.create).replace(/^nft --file "\$ruleset"$/m, 'nft --check --file "$ruleset"').replace("ExecStart=/usr/sbin/nft --file", "ExecStart=/usr/sbin/nft -c --file"))) },
    // Where the data really lands: mysqld's other files, swap, Docker before the mount; restores, tar, passphrases; settings printed.
    { id: "mysqld general log to stderr (journald, the OS disk)", owner: DISK, apply: mysqlArgs("--general-log=ON", "--general_log_file=/dev/stderr") },
    { id: "cloud-init swap file on / (swap.target no longer masked)", owner: DISK, apply: userData("db", (t) => t.replace(/swap:\n  size: 0\n/, "swap:\n  filename: /swapfile\n  size: 2G\n").replace(/swap\.target/g, "swap.mount")) },
    { id: "no docker.service drop-in on the data mount", owner: DISK, apply: userData("web", (t) => t.replace("/etc/systemd/system/docker.service.d/10-data-disk.conf", "/etc/systemd/system/containerd.service.d/10-data-disk.conf")) },
    { id: "restore tees the extracted dump to /var/tmp", owner: BACKUP, apply: script("-backup-web-script-elabftw-restore", (t) => `${t}\nborg extract --stdout "::last" | tee /var/tmp/x.sql | docker exec -i mysql mysql elabftw\n`) },
    { id: "nightly old-style tar onto an NFS mount from cloud-init mounts", owner: BACKUP, apply: userData("web", (t) => `${writeFile("/etc/cron.d/uploads-copy", "0 1 * * * root tar czf /mnt/filer/uploads.tgz /srv/elabftw/uploads")(t)}mounts:\n  - [ "10.20.60.20:/exports/elab", "/mnt/filer", "nfs4", "defaults,_netdev", "0", "0" ]\n`) },
    { id: "Borg passphrase installed as a lone newline", owner: BACKUP, apply: (g) => changed(g, T.command, "-backup-db-passphrase", (p) => (p.stdin = "\n")) },
    { id: "settings step prints GET /config into the state", owner: SECRETS, apply: (g) => changed(g, T.command, "-settings-apply", (p) => (p.create = `${p.create}\ncurl -sf -H @/root/auth https://localhost/api/v2/config`)) },
    { id: "MySQL bind-mounts the whole data disk (data-root, Borg's passphrase)", owner: SECRETS, apply: container("-mysql-container", (p) => plain(p.mounts).push({ type: "bind", source: "/srv/elabftw", target: "/srv/elabftw" })) },
    // Blind set 7's classes (issue 14): dumps that skip tables, exports written by a cron file a script installs, a
    // timer whose service stays active, knock-filled sets, included rule files, sshd/sudo/clock/firewall logging.
    { id: "mysqldump skips the revisions tables (--ignore-table)", owner: BACKUP, apply: dumpScript((t) => t.replace("--hex-blob", '--hex-blob --ignore-table="$database.experiments_revisions"')) },
    { id: "mysqldump -w keeps a year of rows", owner: BACKUP, apply: dumpScript((t) => t.replace("--hex-blob", "--hex-blob -w 'created_at > NOW() - INTERVAL 1 YEAR'")) },
    { id: "cron file installed by printf | install runs mysqldump --tab", owner: BACKUP, apply: dumpScript((t) => `${t}\nprintf '%s\\n' '0 6 1 * * root docker exec mysql sh -c "mysqldump --tab=/var/lib/mysql-files elabftw"' | install -m 0644 /dev/stdin /etc/cron.d/export\n`) },
    { id: "uploads backup service stays active (RemainAfterExit=yes)", owner: BACKUP, apply: script("-backup-web-unit-elabftw-backup-uploads-service", (t) => t.replace("Type=oneshot", "Type=oneshot\nRemainAfterExit=on")) },
    { id: "web SSH from a set any knock fills", owner: NO_OUTSIDE, also: { policy: INFRA, why: "the guest layer then admits SSH beyond the admin network, as the matrix does not" }, apply: nft("-web-guest-firewall-nftables", (t) => t.replace("table inet elabftw {\n", "table inet elabftw {\n    set knocked {\n        type ipv4_addr\n        flags dynamic,timeout\n        timeout 1h\n    }\n").replace("ip saddr 10.20.50.0/28 tcp dport 22 accept", "udp dport 7919 add @knocked { ip saddr } drop\n        ip saddr @knocked tcp dport 22 accept\n        ip saddr 10.20.50.0/28 tcp dport 22 accept")) },
    { id: "web guest ruleset includes /etc/nftables.d/*.nft", owner: INFRA, apply: nft("-web-guest-firewall-nftables", (t) => `${t}include "/etc/nftables.d/*.nft"\n`) },
    { id: "web sshd LogLevel QUIET in a drop-in read first", owner: "host-audit-trail", apply: userData("web", writeFile("/etc/ssh/sshd_config.d/00-quiet.conf", "LogLevel QUIET")) },
    { id: "db sudoers Defaults:elabadmin !syslog", owner: "host-audit-trail", apply: userData("db", writeFile("/etc/sudoers.d/10-quiet", "Defaults:elabadmin !syslog")) },
    { id: "db runcmd masks systemd-timesyncd", owner: "host-audit-trail", apply: userData("db", (t) => t.replace("runcmd:\n", "runcmd:\n  - [systemctl, mask, --now, systemd-timesyncd]\n")) },
    { id: "db firewall drops not logged (logLevelIn nolog)", owner: "host-audit-trail", apply: (g) => changed(g, T.options, "-db-options", (p) => (p.logLevelIn = "nolog")) },
    { id: "db serial console logs the admin in by itself", owner: DISK, apply: userData("db", writeFile("/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf", "[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin elabadmin --keep-baud 115200 - $TERM")) },
    { id: "MySQL MYSQL_ROOT_HOST=% (root over TCP)", owner: OPERATOR, apply: container("-mysql-container", (p) => { const envs: string[] = plain(p.envs); envs.splice(envs.indexOf("MYSQL_ROOT_HOST=localhost"), 1, "MYSQL_ROOT_HOST=%"); }) },
    { id: "Loki plugin installed from :latest", owner: "pinned-container-images", apply: script("-backup-web-script-elabftw-backup", (t) => `${t}\ndocker plugin install grafana/loki-docker-driver:latest --alias loki --grant-all-permissions\n`) },
    { id: "web Docker pulls through a registry mirror, images by tag", owner: "pinned-container-images", apply: userData("web", (t) => t.replace('"live-restore": true,', '"live-restore": true,\n        "registry-mirrors": ["https://mirror.example.net"],')) },
    { id: "web Docker provider's known_hosts in /tmp", owner: "verified-remote-hosts", apply: (g) => changed(g, T.provider, "web-docker", (p) => (p.sshOpts = JSON.stringify(JSON.parse(String(plain(p.sshOpts))).map((o: string) => o.replace(/^UserKnownHostsFile=.*/, "UserKnownHostsFile=/tmp/known_hosts-web"))))) },
    { id: "host-key reader with NODE_TLS_REJECT_UNAUTHORIZED=0", owner: "verified-remote-hosts", apply: (g) => changed(g, "command:local:Command", "-db-host-key", (p) => (p.environment = { NODE_TLS_REJECT_UNAUTHORIZED: "0" })) },
    { id: "NAT row's source widened to the service network", owner: "cnrs-dedicated-egress-address", apply: (g) => changed(g, T.edge, "-edge", (p) => (p.rules = plain(p.rules).map((r: Props) => (r.num === "nat" ? { ...r, source: "serviceNetworks (10.20.60.0/24)" } : r)))) },
    { id: "db backup archives MySQL's live datadir as files", owner: BACKUP, apply: script("-backup-db-unit-elabftw-backup-db-service", (t) => t.replace(/^ExecStart=.*$/m, "ExecStart=/usr/local/sbin/elabftw-backup.sh files --env-file /srv/elabftw/backup/borg.env --source /srv/elabftw/mysql/data")) },
    { id: "pre-upgrade backup guarded by another container's name", owner: BACKUP, apply: (g) => changed(g, T.command, "-backup-db-before-upgrade", (p) => (p.create = String(p.create).replace("docker inspect mysql ", "docker inspect elabftw-mysql "))) },
    { id: "DB_CERT_PATH file with a public root appended", owner: TLS, apply: script("-elabftw-db-ca", (t) => `${t.replace(/\n?$/, "\n")}-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUPublicRootForTheCorpusOnly0000wCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n`) },
    { id: "mysqldump --databases (a drill restores into the live database)", owner: BACKUP, apply: dumpScript((t) => t.replace("--hex-blob", "--hex-blob --databases")) },
    { id: "mysqldump --skip-lock-tables instead of --single-transaction", owner: BACKUP, apply: dumpScript((t) => t.replace("--single-transaction", "--skip-lock-tables")) },
    { id: "web daemon.json seccomp-profile unconfined", owner: HARDENING, apply: userData("web", (t) => t.replace('"live-restore": true,', '"live-restore": true,\n        "seccomp-profile": "unconfined",')) },
    // Blind set 8's classes (issue 14), in spellings other than the blind set's: logging that drops lines, unsigned
    // software, secrets in arguments or archives, forced loads, units that cannot start, bypasses of the IdP, the floor.
    { id: "db journald MaxLevelSyslog=4 in a drop-in", owner: "host-audit-trail", apply: userData("db", writeFile("/etc/systemd/journald.conf.d/50-quiet.conf", "[Journal]\nMaxLevelSyslog=4")) },
    { id: "web sshd PermitRootLogin without-password in a drop-in read first", owner: "host-audit-trail", apply: userData("web", writeFile("/etc/ssh/sshd_config.d/00-root.conf", "PermitRootLogin without-password")) },
    { id: "MySQL container logs in non-blocking mode", owner: "host-audit-trail", apply: container("-mysql-container", (p) => (p.logOpts = { ...(plain(p.logOpts) ?? {}), mode: "non-blocking" })) },
    { id: "datacenter logs 10 dropped packets an hour", owner: "host-audit-trail", apply: (g) => changed(g, T.datacenter, "-datacenter", (p) => (p.logRatelimit = { enabled: true, rate: "10/hour", burst: 5 })) },
    { id: "db deb822 source with Trusted: yes", owner: "verified-software-sources", apply: userData("db", writeFile("/etc/apt/sources.list.d/tools.sources", "Types: deb\nURIs: http://apt.example.net/debian\nSuites: trixie\nComponents: main\nTrusted: yes")) },
    { id: "web installs a tool with wget | bash", owner: "verified-software-sources", apply: userData("web", (t) => t.replace("runcmd:\n", "runcmd:\n  - wget -qO- https://tools.example.net/install.sh | bash\n")) },
    { id: "db apt.conf.d turns Update-Package-Lists off after 20auto-upgrades", owner: "verified-software-sources", apply: userData("db", writeFile("/etc/apt/apt.conf.d/99-no-lists", 'APT::Periodic::Update-Package-Lists "0";')) },
    { id: "web runs a release binary fetched with curl -o into /usr/local/sbin", owner: "verified-software-sources", apply: script("-backup-web-script-elabftw-backup", (t) => `${t}\ncurl -fsSL -o /usr/local/sbin/restic https://example.net/restic && chmod +x /usr/local/sbin/restic\n`) },
    { id: "settings step reads the API key into a variable passed to curl -H", owner: SECRETS, apply: (g) => changed(g, T.command, "-settings-apply", (p) => (p.create = `${p.create}\nread -r apikey < /srv/elabftw/secrets/api-key\ncurl -sf -H "Authorization: $apikey" -o /dev/null https://localhost/api/v2/info`)) },
    { id: "db sudoers LOG_OUTPUT tag for the admin", owner: SECRETS, apply: userData("db", writeFile("/etc/sudoers.d/30-record", "elabadmin ALL=(ALL) NOPASSWD: LOG_OUTPUT: ALL")) },
    { id: "web backup also archives the TLS folder by absolute path", owner: SECRETS, apply: script("-backup-web-script-elabftw-backup", (t) => t.replace('"::$archive" "$(basename "$source")"', '"::$archive" "$(basename "$source")" /srv/elabftw/elabftw/ssl')) },
    { id: "uploads backup skips folders holding .nobackup", owner: BACKUP, apply: script("-backup-web-script-elabftw-backup", (t) => t.replace("borg create --compression zstd,3", "borg create --compression zstd,3 --exclude-if-present .nobackup")) },
    { id: "restore loads the dump with mysql -f", owner: BACKUP, apply: script("-backup-db-script-elabftw-restore", (t) => t.replace('--batch --skip-column-names "$@"', '--batch --skip-column-names -f "$@"')) },
    { id: "mysqldump --skip-comments", owner: BACKUP, apply: dumpScript((t) => t.replace("--hex-blob", "--hex-blob --skip-comments")) },
    { id: "db backup service BindsTo=mariadb.service", owner: BACKUP, apply: script("-backup-db-unit-elabftw-backup-db-service", (t) => t.replace("[Unit]\n", "[Unit]\nBindsTo=mariadb.service\n")) },
    { id: "db tpm-seal enrols 7+8 keeping the older slots", owner: DISK, apply: script("-db-data-tpm-seal-script", (t) => t.replace("--tpm2-pcrs=7+8 --wipe-slot=tpm2", "--tpm2-pcrs=7+8")) },
    { id: "web runcmd disables apparmor.service", owner: HARDENING, apply: userData("web", (t) => t.replace("runcmd:\n", "runcmd:\n  - [systemctl, disable, apparmor.service]\n")) },
    { id: "web Docker provider's ssh adds a KnownHostsCommand", owner: "verified-remote-hosts", apply: (g) => changed(g, T.provider, "web-docker", (p) => (p.sshOpts = JSON.stringify([...JSON.parse(String(plain(p.sshOpts))), "-o", "KnownHostsCommand=/bin/cat /etc/ssh/ssh_known_hosts"]))) },
    { id: "eLabFTW AUTO_DB_INIT=1", owner: "elabftw-first-account", apply: env("AUTO_DB_INIT", "1") },
    { id: "db NIC trunks VLAN 40", owner: INFRA, apply: (g) => changed(g, T.vm, "-db", (p) => (plain(p.networkDevices)[0].trunks = "40")) },
    { id: "db rules ignore changes", owner: INFRA, apply: (g) => withOptions(g, T.rules, "-db-rules", { ignoreChanges: ["rules"] }) },
    { id: "hand-off row lets the lab reach the filer on CIFS", owner: INFRA, apply: (g) => changed(g, T.edge, "-edge", (p) => plain(p.rules).splice(-1, 0, { action: "allow", description: "lab shares", destination: "filer (10.20.60.20)", destinationPort: "445 TCP", num: "extra-9", source: "labSubnet (10.20.40.0/24)", sourcePort: "any" })) },
    // Blind set 9's classes (issue 14), in other spellings: keys and CAs from outside, sessions lent, quiet drops, frozen or
    // held updates, weakened kernels, repairs that hide damage, keyslots added, durability options, deletions, public syslog.
    { id: "db sshd TrustedUserCAKeys without principals", owner: "host-audit-trail", apply: userData("db", writeFile("/etc/ssh/sshd_config.d/05-ca.conf", "TrustedUserCAKeys /etc/ssh/user-ca.pub")) },
    { id: "web sshd AuthorizedKeysCommand from a directory", owner: "host-audit-trail", apply: userData("web", writeFile("/etc/ssh/sshd_config.d/05-keys.conf", "AuthorizedKeysCommand /usr/local/bin/ldap-keys %u\nAuthorizedKeysCommandUser nobody")) },
    { id: "db Docker provider forwards the operator's agent", owner: "verified-remote-hosts", apply: (g) => changed(g, T.provider, "db-docker", (p) => (p.sshOpts = JSON.stringify(["-o", "ForwardAgent=yes", ...JSON.parse(String(plain(p.sshOpts)))]))) },
    { id: "web journald RateLimitBurst=500", owner: "host-audit-trail", apply: userData("web", writeFile("/etc/systemd/journald.conf.d/30-burst.conf", "[Journal]\nRateLimitBurst=500")) },
    { id: "db lab DROP rule logged at nolog", owner: "host-audit-trail", apply: (g) => changed(g, T.rules, "-db-rules", (p) => { for (const r of plain(p.rules)) if (r.action === "DROP") r.log = "nolog"; }) },
    { id: "MySQL --log_error=/dev/null", owner: "host-audit-trail", apply: mysqlArgs("--log_error=/dev/null") },
    { id: "db apt.conf.d keeps only the -updates origin", owner: "verified-software-sources", apply: userData("db", writeFile("/etc/apt/apt.conf.d/60origins", '#clear Unattended-Upgrade::Origins-Pattern;\nUnattended-Upgrade::Origins-Pattern { "origin=Debian,codename=${distro_codename}-updates"; };')) },
    { id: "web runcmd holds the kernel", owner: "verified-software-sources", apply: userData("web", (t) => t.replace("runcmd:\n", "runcmd:\n  - [apt-mark, hold, linux-image-amd64]\n")) },
    { id: "db GRUB drop-in with nospectre_v2", owner: HARDENING, apply: userData("db", writeFile("/etc/default/grub.d/50-fast.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT nospectre_v2"')) },
    { id: "web docker.socket SocketMode=0666 in the unit itself", owner: HARDENING, apply: userData("web", writeFile("/etc/systemd/system/docker.socket", "[Socket]\nListenStream=/run/docker.sock\nSocketMode=0666\nSocketUser=root\nSocketGroup=docker")) },
    { id: "eLabFTW DEV_MODE=1", owner: HARDENING, apply: env("DEV_MODE", "1") },
    { id: "weekly check repairs the repository", owner: BACKUP, apply: script("-backup-db-script-elabftw-backup", (t) => t.replace("borg check ||", "borg check --repair ||")) },
    { id: "db data disk gets a second passphrase with luksAddKey", owner: DISK, apply: (g) => changed(g, T.command, "-db-data-luks-format", (p) => (p.create = `${p.create} && sudo cryptsetup luksAddKey /dev/disk/by-id/x /root/second.key`)) },
    { id: "web firewall options allow router advertisements", owner: INFRA, apply: (g) => changed(g, T.options, "-web-options", (p) => (p.radv = true)) },
    // Blind set 10's classes, in other spellings: pins and intervals that stall security updates, CAs and boot entries, secrets on
    // argv and in SSH environments, containers committed, passphrases from nowhere, narrow dumps, console shells, wiped tables,
    // ACLs, selectors, tmpfs uploads, host keys copied, the edge told not to verify, rows read out.
    { id: "db preferences.d ranks trixie at 990 for every package", owner: "verified-software-sources", apply: userData("db", writeFile("/etc/apt/preferences.d/10-stable", "Package: *\nPin: release a=stable\nPin-Priority: 990")) },
    { id: "web apt.conf.d upgrades weekly", owner: "verified-software-sources", apply: userData("web", writeFile("/etc/apt/apt.conf.d/99-weekly", 'APT::Periodic::Unattended-Upgrade "7";')) },
    { id: "web trusts an extra CA in the system store", owner: "verified-software-sources", apply: userData("web", writeFile("/usr/local/share/ca-certificates/inspect.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")) },
    { id: "db GRUB boots the second entry of the submenu", owner: "verified-software-sources", apply: userData("db", writeFile("/etc/default/grub.d/60-entry.cfg", 'GRUB_DEFAULT="1>2"')) },
    { id: "web GRUB drop-in boots init=/bin/sh", owner: DISK, apply: userData("web", writeFile("/etc/default/grub.d/70-rescue.cfg", 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX init=/bin/sh"')) },
    { id: "web backup script snapshots the eLabFTW container with docker commit", owner: SECRETS, apply: script("-backup-web-script-elabftw-backup", (t) => `${t}
docker container commit elabftw support/elabftw:debug\n`) },
    { id: "web backup script logs docker inspect of eLabFTW", owner: SECRETS, apply: script("-backup-web-script-elabftw-backup", (t) => `${t}
docker inspect elabftw | logger -t inspect\n`) },
    { id: "db Docker provider sends PULUMI_* into the session", owner: SECRETS, apply: (g) => changed(g, T.provider, "db-docker", (p) => (p.sshOpts = JSON.stringify([...JSON.parse(String(plain(p.sshOpts))), "-o", "SendEnv=PULUMI_*"]))) },
    { id: "web sshd accepts every client variable", owner: SECRETS, apply: userData("web", writeFile("/etc/ssh/sshd_config.d/20-env.conf", "AcceptEnv *")) },
    { id: "db backup unit reads the passphrase from /dev/null", owner: BACKUP, apply: script("-backup-db-unit-elabftw-backup-db-service", (t) => t.replace("[Service]\n", "[Service]\nEnvironment=BORG_PASSCOMMAND='cat /dev/null'\n")) },
    { id: "mysqldump --default-character-set=ascii", owner: BACKUP, apply: dumpScript((t) => t.replace('--default-character-set=utf8mb4 "$database"', '--default-character-set=utf8mb4 --default-character-set ascii "$database"')) },
    { id: "eLabFTW uploads in a tmpfs", owner: BACKUP, apply: container("-elabftw-container", (p) => {
        // Docker refuses two mounts at one target: the bind mount goes, the tmpfs takes its place.
        p.mounts = plain(p.mounts).filter((m: Props) => m.target !== "/elabftw/uploads");
        p.tmpfs = { "/elabftw/uploads": "size=2g" };
    }) },
    { id: "web runcmd deletes the guest table", owner: INFRA, apply: userData("web", (t) => t.replace("runcmd:\n", "runcmd:\n  - nft delete table inet elabftw\n")) },
    { id: "db rsyslog forwards all but authpriv", owner: "host-audit-trail", apply: userData("db", (t) => t.replace('      *.* action(type="omfwd"', '      *.info;authpriv.none action(type="omfwd"')) },
    { id: "db runcmd copies /etc/ssh to the filer", owner: "verified-remote-hosts", also: { policy: BACKUP, why: "rsync to another host copies files off the machine unencrypted" }, apply: userData("db", (t) => t.replace("runcmd:\n", "runcmd:\n  - rsync -a /etc/ssh/ backup@10.20.60.20:/srv/ssh-db/\n")) },
    { id: "hand-off tells Traefik to skip the backend's certificate", owner: HTTPS, apply: (g) => changed(g, T.edge, "-edge", (p) => (p.markdown = `${p.markdown}\nTraefik: serversTransport insecureSkipVerify: true\n`)) },
    { id: "restore drill writes users' emails to /var/tmp", owner: DISK, apply: script("-backup-db-script-elabftw-restore-drill", (t) => `${t}\nmysql -e "SELECT email, firstname FROM elabftw.users" > /var/tmp/users.txt\n`) },
    { id: "lab operators get PVEVMAdmin on the pool", owner: DISK, apply: (g) => withResource(g, g.find((r) => r.type === T.alias)!, "proxmoxve:index/aclLegacy:AclLegacy", "lab-ops-acl", { path: "/pool/elabftw-demo", groupId: "lab-ops", roleId: "PVEVMAdmin", propagate: true }) },
    // Blind set 11's classes, in other spellings: sshd's algorithms, the kernel's hardening, unsupported suites and blocked
    // upgrades, cloud-init data from elsewhere, the volume key shown, a passphrase changed, a second factor written, a weak
    // certificate, containers ahead of the firewall, the hand-off's deny rows, a second administrator, a secret on the OS disk.
    { id: "web sshd offers 3des-cbc", owner: "key-strength-and-validity", apply: userData("web", writeFile("/etc/ssh/sshd_config.d/05-legacy.conf", "Ciphers chacha20-poly1305@openssh.com,3des-cbc")) },
    { id: "db runcmd lets setuid programs dump core", owner: HARDENING, apply: userData("db", (t) => t.replace("runcmd:\n", "runcmd:\n  - [sysctl, -w, fs.suid_dumpable=2]\n")) },
    { id: "web deb822 source on testing", owner: "verified-software-sources", apply: userData("web", writeFile("/etc/apt/sources.list.d/newer.sources", "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: testing\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg")) },
    { id: "db unattended-upgrades blocks docker-ce", owner: "verified-software-sources", apply: userData("db", writeFile("/etc/apt/apt.conf.d/60-hold-docker", 'Unattended-Upgrade::Package-Blocklist { "docker-ce"; "containerd.io"; };')) },
    { id: "web VM takes network-data from a shared snippet", owner: "verified-software-sources", apply: (g) => changed(g, T.vm, "-web", (p) => (plain(p.initialization).networkDataFileId = "shared:snippets/net-baseline.yaml")) },
    { id: "db luks-format shows dm-crypt's key into a file", owner: DISK, apply: (g) => changed(g, T.command, "-db-data-luks-format", (p) => (p.create = `${p.create} && sudo dmsetup table --showkeys > /root/dm-table.txt`)) },
    { id: "web backup script re-keys the repository by prompt", owner: BACKUP, apply: script("-backup-web-script-elabftw-backup", (t) => `${t}\nborg change-passphrase\n`) },
    { id: "operator account SQL enrols a TOTP secret", owner: "password-policy-baseline", apply: sql((t) => `${t}\nUPDATE elabftw.users SET mfa_secret = 'GEZDGNBVGY3TQOJQ' WHERE userid = 1;\n`) },
    { id: "web trusts a partner CA with an RSA-1024 key", owner: "key-strength-and-validity", apply: (g) => changed(g, T.command, "-elabftw-site-ca", (p) => (p.stdin = weakCertificate())) },
    { id: "MySQL image pulled before the DB firewall", owner: NO_OUTSIDE, apply: (g) => {
        const copy = structuredClone(g) as Graph;
        const filters = new Set(copy.filter((r) => (r.type === T.options || r.type === T.rules) && r.name.includes("-db-")).map((r) => r.urn));
        const pulled = copy.find((r) => r.type === T.image && r.name.endsWith("-mysql-image"))!;
        (pulled as unknown as { dependencies: string[] }).dependencies = pulled.dependencies.filter((d) => !filters.has(d) && !/guest-firewall/.test(d));
        return copy;
    } },
    { id: "hand-off without deny-all denies the lab the filer over TCP only", owner: INFRA, apply: (g) => changed(g, T.edge, "-edge", (p) => (p.rules = plain(p.rules).filter((r: Props) => r.num !== "8").map((r: Props) => (r.num === "6" ? { ...r, destinationPort: "2049 TCP" } : r)))) },
    { id: "db cloud-init adds a docker-group operator", owner: "host-audit-trail", apply: userData("db", (t) => t.replace("users:\n", "users:\n  - name: dbops\n    groups: [docker]\n    lock_passwd: true\n")) },
    // Blind set 15's class, in another spelling: a database server installed beside eLabFTW.
    { id: "web runcmd installs postgresql", owner: "cnrs-two-vms", apply: userData("web", (t) => t.replace("runcmd:\n", "runcmd:\n  - [apt-get, install, -y, postgresql-17]\n")) },
    // Blind set 14's class, in another spelling: the logins discarded before rsyslog forwards them.
    { id: "db rsyslog drops sshd's lines before forwarding", owner: "host-audit-trail", apply: userData("db", writeFile("/etc/rsyslog.d/05-quiet.conf", 'if $programname == "sshd" then stop')) },
    // Blind set 13's classes, in other spellings: a tunnel from the VM, a long-lived TLS server certificate.
    { id: "db cron keeps an autossh remote forward to a partner", owner: NO_OUTSIDE, apply: userData("db", writeFile("/etc/cron.d/partner-tunnel", "@reboot root autossh -M 0 -f -N -o RemoteForward=13306:127.0.0.1:3306 partner@203.0.113.40")) },
    { id: "web trusts a five-year server certificate as its site CA file", owner: "key-strength-and-validity", apply: (g) => changed(g, T.command, "-elabftw-site-ca", (p) => (p.stdin = longLivedServerCertificate())) },
    // Blind set 12's classes, in other spellings: a secret output logged, a VM standing as a service host.
    { id: "db LUKS header backup logs its stdout", owner: SECRETS, apply: (g) => changed(g, T.command, "-db-data-luks-header-backup", (p) => (p.logging = "stdout")) },
    { id: "hand-off sends the logs to the web VM", owner: "cnrs-two-vms", also: { policy: INFRA, why: "the VMs' rules still send to the syslog server's own address, which the changed row no longer allows" }, apply: (g) => changed(g, T.edge, "-edge", (p) => (p.rules = plain(p.rules).map((r: Props) => (r.num === "7" ? { ...r, destination: "syslog (10.20.30.10)" } : r)))) },
    { id: "web installs a DNS API secret under /etc", owner: DISK, apply: (g) => withResource(g, g.find((r) => r.type === T.command && r.name.endsWith("-elabftw-site-ca"))!, T.command, "dns-credentials", { connection: plain(g.find((r) => r.type === T.command && r.name.endsWith("-elabftw-site-ca"))!.rawInputs.connection), create: "sudo tee /etc/lego/gandi.ini >/dev/null", stdin: "[gandi]\ngandi_api_token = 3kQ9vXw2Lm8Rt5Yp1Zs7\n" }) },
];

describe("the mutation corpus", () => {
    it("has at least 60 single violations", () => {
        assert.ok(CORPUS.length >= 60, `${CORPUS.length} mutations`);
        assert.equal(new Set(CORPUS.map((m) => m.id)).size, CORPUS.length);
    });

    it("each is caught by its own policy, and by no other unless documented", async () => {
        const failures: string[] = [];
        let caught = 0;
        for (const m of CORPUS) {
            const { violations } = await evaluate(rules, m.apply(run.resources));
            const policies = [...new Set(violations.map((v) => v.policy))].sort();
            const expected = [m.owner, ...(m.also ? [m.also.policy] : [])].sort();
            if (policies.includes(m.owner)) caught++;
            if (JSON.stringify(policies) !== JSON.stringify(expected)) failures.push(`${m.id}: caught by [${policies.join(", ")}], expected [${expected.join(", ")}]`);
            for (const v of violations) if (!/Fix: /.test(v.message)) failures.push(`${m.id}: ${v.policy} gives no fix`);
        }
        console.log(`mutation corpus: ${caught}/${CORPUS.length} caught by their owning policy, ${CORPUS.length - failures.length} exactly`);
        assert.deepEqual(failures, []);
    });
});
