// The dossier's inventories: certificates, generated secrets (names only), backups, versions. Rows
// are Markdown cells with every value escaped.
import type { CapturedResource } from "../offline/mockEngine";
import { backupRepositories, of, Resources, roleTitle, vmAddress, vmRole, vms } from "./facts";
import { capital, code, text } from "./markdown";

const KEY = "tls:index/privateKey:PrivateKey";
const SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
const LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const CSR = "tls:index/certRequest:CertRequest";

/** Plain names of the resource kinds the inventories and the glossary show. */
export const KINDS: Record<string, string> = {
    [KEY]: "private key",
    "random:index/randomPassword:RandomPassword": "generated password",
    "random:index/randomBytes:RandomBytes": "generated random bytes",
    "command:remote:Command": "command run on a VM",
    "docker:index/container:Container": "Docker container",
    [CSR]: "certificate request",
    [SELF_SIGNED]: "self-signed certificate",
    [LOCALLY_SIGNED]: "certificate signed by the private CA",
    "proxmoxve:index/fileLegacy:FileLegacy": "file on a Proxmox node",
};
const kind = (r: CapturedResource) => KINDS[r.type] ?? r.type.split(":").pop()!;

const dependsOn = (resources: Resources, r: CapturedResource, type: string) => resources.find((d) => d.type === type && r.dependencies.includes(d.urn));

function describeKey(key?: CapturedResource): string {
    const k = key?.inputs;
    if (!k) return "not found";
    if (k.algorithm === "ECDSA") return `ECDSA ${k.ecdsaCurve}`;
    if (k.algorithm === "RSA") return `RSA ${k.rsaBits ?? 2048}`;
    return String(k.algorithm);
}

const days = (hours: unknown) => (typeof hours === "number" && Number.isFinite(hours) ? `${Math.round(hours / 24)} days` : "not set");
const subject = (s?: { commonName?: string; organization?: string }) => [s?.commonName && `CN=${s.commonName}`, s?.organization && `O=${s.organization}`].filter(Boolean).join(", ") || "(empty)";
const renewal = (hours: unknown) => (typeof hours === "number" && hours > 0 ? `${days(hours)} before expiry` : "none: renewed only when its inputs change");
const sans = (inputs: Record<string, any>) => [...(inputs.dnsNames ?? []).map((n: string) => `DNS:${n}`), ...(inputs.ipAddresses ?? []).map((ip: string) => `IP:${ip}`)].join(", ");

/** Subject, SANs or role, key, validity, renewal and uses of every certificate the program issues. */
export function certificateInventory(resources: Resources): string[][] {
    const rows = of(resources, SELF_SIGNED).map((cert) => {
        const role = cert.inputs.isCaCertificate ? "CA" : sans(cert.inputs) || "no SAN";
        return [code(cert.name), text(subject(cert.inputs.subject)), text(role), text(describeKey(dependsOn(resources, cert, KEY))), text(days(cert.inputs.validityPeriodHours)), text(renewal(cert.inputs.earlyRenewalHours)), text((cert.inputs.allowedUses ?? []).join(", "))];
    });
    for (const cert of of(resources, LOCALLY_SIGNED)) {
        const csr = dependsOn(resources, cert, CSR);
        const key = csr && dependsOn(resources, csr, KEY);
        rows.push([code(cert.name), text(subject(csr?.inputs.subject)), text(sans(csr?.inputs ?? {}) || "no SAN"), text(describeKey(key)), text(days(cert.inputs.validityPeriodHours)), text(renewal(cert.inputs.earlyRenewalHours)), text((cert.inputs.allowedUses ?? []).join(", "))]);
    }
    return rows;
}

/** Every generated secret and the other resources that use it: names only, never values. */
export function secretInventory(resources: Resources): string[][] {
    const secrets = resources.filter((r) => [KEY, "random:index/randomPassword:RandomPassword", "random:index/randomBytes:RandomBytes"].includes(r.type));
    return secrets.map((secret) => {
        const users = resources.filter((r) => r.custom && r.urn !== secret.urn && r.dependencies.includes(secret.urn));
        const used = users.map((r) => `${code(r.name)} (${text(kind(r))})`).join("<br>") || text("nothing in the stack: an output only, for the operator");
        return [code(secret.name), text(kind(secret)), text(secret.protect ? "protected from deletion" : "-"), used];
    });
}

/** Where each VM's backups go, when they run and how long they are kept, from the units the program installs. */
export function backupPolicy(resources: Resources): string[] {
    const units = of(resources, "command:remote:Command").filter((c) => /install-file\.sh --path \/etc\/systemd\/system\/elabftw-[\w-]+\.(timer|service) /.test(String(c.inputs.create)));
    return [
        ...backupRepositories(resources).map((b) => `${text(capital(roleTitle(vmRole(b.vm))))} (${code(vmAddress(b.vm))}) writes its archives to ${code(b.repository)}, encryption ${b.encryption ? code(b.encryption) : text("NOT FOUND")}.`),
        ...units.flatMap((c) => {
            const unit = /\/etc\/systemd\/system\/(\S+)/.exec(String(c.inputs.create))![1];
            const content = String(c.inputs.stdin ?? "");
            const vm = vms(resources).find((v) => vmAddress(v) === c.inputs.connection?.host);
            const where = vm ? text(roleTitle(vmRole(vm))) : code(c.inputs.connection?.host);
            const calendar = /^OnCalendar=(.+)$/m.exec(content)?.[1];
            const daily = /--keep-daily (\d+)/.exec(content)?.[1];
            const monthly = /--keep-monthly (\d+)/.exec(content)?.[1];
            return [
                calendar && `${code(unit)} on ${where} runs at ${code(calendar)} (systemd calendar).`,
                daily && `${code(unit)} on ${where} keeps ${text(daily)} daily and ${text(monthly ?? "0")} monthly archives.`,
            ].filter((line): line is string => typeof line === "string");
        }),
        // Pruning runs on the backup host, with its own key (the VMs' keys are append-only).
        ...of(resources, "elabftw:backup:Backup").flatMap((b) =>
            Object.entries((b.rawOutputs.pruneCommands ?? {}) as Record<string, string>).map(([role, command]) => {
                const daily = /--keep-daily (\d+)/.exec(command)?.[1] ?? "?";
                const monthly = /--keep-monthly (\d+)/.exec(command)?.[1] ?? "0";
                return `The backup host prunes ${text(roleTitle(role === "db" ? "db" : "web"))}'s repository: keeps ${text(daily)} daily and ${text(monthly)} monthly archives (\`backupPruneCommands\` output; the VMs can only append).`;
            }),
        ),
    ];
}

export function versions(resources: Resources): string[] {
    return of(resources, "docker:index/remoteImage:RemoteImage").map((i) => code(i.inputs.name));
}
