// The policy pack over a production-like stack (a downloaded, checksummed image; protected data):
// no violation; the two rules that only a production graph exercises catch their mutation alone.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { rules } from "../policies/rules";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { changed, plain, withOptions } from "./support/mutations";
import { evaluate } from "../tools/offline/policyEngine";
import { PRODUCTION_OVERRIDES } from "./support/stacks";

let run: ProgramRun;
before(async () => {
    run = await runProgram({ overrides: PRODUCTION_OVERRIDES });
});

async function onlyPolicies(graph: typeof run.resources): Promise<string[]> {
    const { violations } = await evaluate(rules, graph);
    for (const v of violations) assert.match(v.message, /Fix: /);
    return [...new Set(violations.map((v) => v.policy))];
}

describe("policy pack on a production stack", () => {
    it("finds no violation", async () => {
        assert.deepEqual((await evaluate(rules, run.resources)).violations, []);
    });

    /** The graph with one installed timer unit's OnCalendar= changed (its text is the command's stdin). */
    const withCalendar = (nameSuffix: string, calendar: string) =>
        changed(run.resources, "command:remote:Command", nameSuffix, (p) => {
            const edit = (text: string) => text.replace(/OnCalendar=.*/, `OnCalendar=${calendar}`);
            p.stdin = typeof p.stdin === "object" && p.stdin ? { ...p.stdin, value: edit(p.stdin.value) } : edit(p.stdin);
        });

    it("production-data-protected and cnrs-backup-encryption: steps that would lose the data or skip its backup, each caught alone", async () => {
        const C = "command:remote:Command";
        const rmDelete = changed(run.resources, C, "-mysql-datadir", (p) => (p.delete = "sudo rm -rf /srv/elabftw/mysql/data"));
        assert.deepEqual(await onlyPolicies(rmDelete), ["production-data-protected"]);
        const update = run.one(C, "-db-lifecycle-update");
        const backup = run.one(C, "-backup-db-before-upgrade");
        // Without its direct dependency db:update still waits for the backup, through db:install and
        // the MySQL container (the engine orders by the whole graph); without both, it does not.
        const direct = withOptions(run.resources, C, "-db-lifecycle-update", { dependencies: update.dependencies.filter((d) => d !== backup.urn) });
        assert.deepEqual(await onlyPolicies(direct), []);
        const mysql = run.one("docker:index/container:Container", "-mysql-container");
        const unordered = withOptions(direct, "docker:index/container:Container", "-mysql-container", { dependencies: mysql.dependencies.filter((d) => d !== backup.urn) });
        assert.deepEqual(await onlyPolicies(unordered), ["cnrs-backup-encryption"]);
        const noBlock = changed(run.resources, C, "-backup-db-before-upgrade", (p) => (p.create = String(p.create).replace("systemctl start ", "systemctl start --no-block ")));
        assert.deepEqual(await onlyPolicies(noBlock), ["cnrs-backup-encryption"]);
        const noTimer = changed(run.resources, C, "-backup-db-timers", (p) => (p.create = String(p.create).replace("enable --now elabftw-backup-db.timer ", "enable --now ")));
        assert.deepEqual(await onlyPolicies(noTimer), ["cnrs-backup-encryption"]);
        const weekly = withCalendar("-backup-db-unit-elabftw-backup-db-timer", "Sun *-*-* 02:00:00");
        assert.deepEqual(await onlyPolicies(weekly), ["cnrs-backup-encryption"]);
        const reset = changed(run.resources, C, "-db-lifecycle-install", (p) => (p.create = String(p.create).replace('"$container" bin/init db:install', '"$container" bin/init db:install -r')));
        assert.deepEqual(await onlyPolicies(reset), ["production-data-protected"]);
        const never = withCalendar("-backup-db-unit-elabftw-restore-drill-timer", "*-02-30 04:30:00");
        assert.deepEqual(await onlyPolicies(never), ["cnrs-backup-encryption"]);
    });

    it("accountability-on-production: a VM whose logs no longer reach the syslog server, eLabFTW's log driver none", async () => {
        const elsewhere = changed(run.resources, "proxmoxve:index/fileLegacy:FileLegacy", "-web-user-data", (p) => (plain(p.sourceRaw).data = String(plain(p.sourceRaw).data).replace(/target=\\?"10\.20\.60\.5\\?"/g, 'target="10.20.60.99"')));
        assert.deepEqual(await onlyPolicies(elsewhere), ["accountability-on-production"]);
        const none = changed(run.resources, "docker:index/container:Container", "-elabftw-container", (p) => (p.logDriver = "none"));
        assert.deepEqual(await onlyPolicies(none), ["accountability-on-production"]);
    });

    it("accountability-on-production: eLabFTW logging to json-file, rsyslog forwarding over TCP where the matrix opens UDP", async () => {
        const jsonFile = changed(run.resources, "docker:index/container:Container", "-elabftw-container", (p) => (p.logDriver = "json-file"));
        assert.deepEqual(await onlyPolicies(jsonFile), ["accountability-on-production"]);
        const overTcp = changed(run.resources, "proxmoxve:index/fileLegacy:FileLegacy", "-web-user-data", (p) => (plain(p.sourceRaw).data = String(plain(p.sourceRaw).data).replace(/protocol=\\?"udp\\?"/g, 'protocol="tcp"')));
        assert.notEqual(JSON.stringify(overTcp), JSON.stringify(run.resources), "the mutation applies");
        assert.deepEqual(await onlyPolicies(overTcp), ["accountability-on-production"]);
    });

    it("production-data-protected: eLabFTW's uploads mounted at a mistyped path, a firewall object left unprotected", async () => {
        const typo = changed(run.resources, "docker:index/container:Container", "-elabftw-container", (p) => (plain(p.mounts)[0].target = "/elabftw/upload"));
        // Also a backup finding: the uploads land in the container's layer, which the nightly archive never reads.
        assert.deepEqual(await onlyPolicies(typo), ["cnrs-backup-encryption", "production-data-protected"]);
        const options = withOptions(run.resources, "proxmoxve:firewall/optionsLegacy:OptionsLegacy", "-db-options", { protect: false });
        assert.deepEqual(await onlyPolicies(options), ["production-data-protected"]);
    });

    it("production-data-protected: rm -rf of the uploads folder in a create command", async () => {
        const graph = changed(run.resources, "command:remote:Command", "-elabftw-uploads", (p) => (p.create = String(p.create).replace("sudo install -d -o 101 -g 101 -m 0750 /srv/elabftw/elabftw/uploads", "sudo rm -rf /srv/elabftw/elabftw/uploads && sudo install -d -o 101 -g 101 -m 0750 /srv/elabftw/elabftw/uploads")));
        assert.notEqual(JSON.stringify(graph), JSON.stringify(run.resources), "the mutation applies");
        assert.deepEqual(await onlyPolicies(graph), ["production-data-protected"]);
    });

    it("production-data-protected: a nightly cron job that purges old uploads (find -delete, find -exec rm)", async () => {
        for (const purge of ["find /srv/elabftw/elabftw/uploads -type f -mtime +60 -delete", "find /srv/elabftw/elabftw/uploads -mtime +60 -exec rm -f {} +"]) {
            const graph = changed(run.resources, "command:remote:Command", "-elabftw-uploads", (p) => (p.create = `${p.create} && printf '%s\\n' '17 3 * * * root ${purge}' | sudo install -m 0644 /dev/stdin /etc/cron.d/purge`));
            assert.deepEqual(await onlyPolicies(graph), ["production-data-protected"], purge);
        }
    });

    it("accountability-on-production: the DB VM's syslog rule removed, an rsyslog stop read before the forwarding", async () => {
        const noRule = changed(run.resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "-db-rules", (p) => (p.rules = plain(p.rules).filter((r: Record<string, unknown>) => !(r.type === "out" && r.dport === "514"))));
        assert.notEqual(JSON.stringify(noRule), JSON.stringify(run.resources), "the mutation applies");
        assert.deepEqual(await onlyPolicies(noRule), ["accountability-on-production"]);
        const stop = changed(run.resources, "proxmoxve:index/fileLegacy:FileLegacy", "-web-user-data", (p) => (plain(p.sourceRaw).data = String(plain(p.sourceRaw).data).replace("write_files:\n", "write_files:\n  - path: /etc/rsyslog.d/10-noise.conf\n    content: |\n      if $programname == 'elabftw' then stop\n")));
        assert.deepEqual(await onlyPolicies(stop), ["accountability-on-production"]);
    });

    it("production-data-protected: the recovery keyslot wiped, InnoDB's doublewrite off, a data disk with cache=unsafe", async () => {
        const wipeAll = changed(run.resources, "command:remote:Command", "-db-data-tpm-seal-script", (p) => (p.stdin = String(plain(p.stdin)).replace('--wipe-slot=tpm2 "$device"', '--wipe-slot=all "$device"')));
        assert.notEqual(JSON.stringify(wipeAll), JSON.stringify(run.resources), "the mutation applies");
        assert.deepEqual(await onlyPolicies(wipeAll), ["production-data-protected"]);
        const doublewrite = changed(run.resources, "docker:index/container:Container", "-mysql-container", (p) => plain(p.command).push("--skip-innodb-doublewrite"));
        assert.deepEqual(await onlyPolicies(doublewrite), ["production-data-protected"]);
        const unsafe = changed(run.resources, "proxmoxve:index/vmLegacy:VmLegacy", "elabftw-db", (p) => (p.disks = plain(p.disks).map((d: Record<string, unknown>) => (d.serial ? { ...d, cache: "unsafe" } : d))));
        assert.deepEqual(await onlyPolicies(unsafe), ["production-data-protected"]);
    });

    it("verified-cloud-image: an image without checksum", async () => {
        const graph = changed(run.resources, "proxmoxve:download/file:File", "-cloud-image-pve1", (p) => {
            delete p.checksum;
            delete p.checksumAlgorithm;
        });
        assert.deepEqual(await onlyPolicies(graph), ["verified-cloud-image"]);
    });

    it("production-data-protected: a production VM left unprotected", async () => {
        const graph = withOptions(run.resources, "proxmoxve:index/vmLegacy:VmLegacy", "-db", { protect: false });
        assert.deepEqual(await onlyPolicies(graph), ["production-data-protected"]);
    });

    it("production-data-protected: an unprotected passphrase", async () => {
        const graph = withOptions(run.resources, "random:index/randomPassword:RandomPassword", "-backup-passphrase", { protect: false });
        assert.deepEqual(await onlyPolicies(graph), ["production-data-protected"]);
    });

    it("production-data-protected: a container holding data, or a signing key, left unprotected", async () => {
        for (const [type, suffix] of [["docker:index/container:Container", "-mysql-container"], ["tls:index/privateKey:PrivateKey", "-saml-sp-key"], ["tls:index/privateKey:PrivateKey", "-ca-key"]]) {
            const graph = withOptions(run.resources, type, suffix, { protect: false });
            assert.deepEqual(await onlyPolicies(graph), ["production-data-protected"], suffix);
        }
    });

    it("saml-sso-on-production: SAML off, local login for everyone, self-registration", async () => {
        const graph = changed(run.resources, "elabftw:app:ElabftwSettings", "-settings", (p) => Object.assign(p.config, { saml_toggle: "0", local_login_only_sysadmin: "0", local_register: "1" }));
        assert.deepEqual(await onlyPolicies(graph), ["saml-sso-on-production"]);
        assert.equal((await evaluate(rules, graph)).violations.length, 3);
    });

    it("accountability-on-production: anonymous users on (PHP reads \"1\" as true)", async () => {
        const graph = changed(run.resources, "elabftw:app:ElabftwSettings", "-settings", (p) => (p.config.anon_users = "1"));
        assert.deepEqual(await onlyPolicies(graph), ["accountability-on-production"]);
    });

    it("accountability-on-production: audit logs off, or left as the instance has them", async () => {
        for (const change of [(c: Record<string, string>) => (c.emit_audit_logs = "0"), (c: Record<string, string>) => delete c.emit_audit_logs]) {
            const graph = changed(run.resources, "elabftw:app:ElabftwSettings", "-settings", (p) => change(p.config));
            assert.deepEqual(await onlyPolicies(graph), ["accountability-on-production"]);
        }
    });

    it("instance settings are read as sent: the settings document, an API call, SQL on the config table", async () => {
        const command = "command:remote:Command";
        const document = changed(run.resources, command, "-settings-apply", (p) => {
            const doc = JSON.parse(plain(p.stdin));
            doc.config.anon_users = true;
            p.stdin = JSON.stringify(doc);
        });
        assert.deepEqual(await onlyPolicies(document), ["accountability-on-production"]);
        const api = changed(run.resources, command, "-backup-web-script-elabftw-restore", (p) => (p.stdin = `${plain(p.stdin)}\ncurl -sf -X PATCH -H @/root/auth "https://localhost/api/v2/config" --data '{"enforce_mfa": 0}'\n`));
        assert.deepEqual(await onlyPolicies(api), ["password-policy-baseline"]);
        const sqlUpdate = changed(run.resources, command, "-mysql-operator-account", (p) => (p.stdin = `${plain(p.stdin)}\nUPDATE elabftw.config SET conf_value = '0' WHERE conf_name = 'local_login_only_sysadmin';\n`));
        assert.deepEqual(await onlyPolicies(sqlUpdate), ["saml-sso-on-production"]);
    });

    it("settings as sent: a key the settings document leaves out keeps eLabFTW's default; SAML without strict mode", async () => {
        const command = "command:remote:Command";
        const edit = (change: (config: Record<string, unknown>) => void) => changed(run.resources, command, "-settings-apply", (p) => {
            const doc = JSON.parse(plain(p.stdin));
            change(doc.config);
            p.stdin = JSON.stringify(doc);
        });
        assert.deepEqual(await onlyPolicies(edit((c) => delete c.emit_audit_logs)), ["accountability-on-production"]);
        assert.deepEqual(await onlyPolicies(edit((c) => (c.saml_strict = 0))), ["saml-sso-on-production"]);
        assert.deepEqual(await onlyPolicies(edit((c) => delete c.saml_strict)), ["saml-sso-on-production"]);
    });

    it("accountability-on-production: a test stack may open anonymous access", async () => {
        const untag = (g: typeof run.resources, vm: string) => changed(g, "proxmoxve:index/vmLegacy:VmLegacy", vm, (p) => (p.tags = ["test"]));
        const graph = untag(untag(run.resources, "-db"), "-web");
        const settings = changed(graph, "elabftw:app:ElabftwSettings", "-settings", (p) => (p.config.anon_users = "1"));
        assert.ok(!(await onlyPolicies(settings)).includes("accountability-on-production"));
    });

    it("cnrs-dedicated-egress-address: a documentation address is refused outside test stacks", async () => {
        const graph = changed(run.resources, "elabftw:firewall:EdgeHandOff", "-edge", (p) => (p.egressPublicAddress = "203.0.113.25"));
        assert.deepEqual(await onlyPolicies(graph), ["cnrs-dedicated-egress-address"]);
    });
});
