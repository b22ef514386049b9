// The compliance dossier's content, built from the resources the real program registers under the
// offline engine and the policy pack's verdicts: what the security officer reads and signs.
import { CapturedResource } from "../offline/mockEngine";
import { Violation } from "../offline/policyEngine";
import { outsideAccessEvidence } from "../../policies/rules/firewallView";

export interface RequirementRow {
    readonly french: string;
    readonly english: string;
    readonly policy: string;
    readonly passed: boolean;
    readonly evidence: string[];
    readonly violations: string[];
}

const of = (resources: readonly CapturedResource[], type: string) => resources.filter((r) => r.type === type);
const vmAddress = (vm: CapturedResource): string => String(vm.inputs.initialization?.ipConfigs?.[0]?.ipv4?.address ?? "").split("/")[0];
const onHost = (resources: readonly CapturedResource[], address: string) =>
    of(resources, "command:remote:Command").filter((c) => c.inputs.connection?.host === address);

/** For each requirement, the resources and properties that satisfy it. */
const EVIDENCE: Record<string, (resources: readonly CapturedResource[]) => string[]> = {
    // The pack's own evaluation of the firewall model, packet classes counted.
    "cnrs-no-access-from-outside": (resources) => [
        ...outsideAccessEvidence(resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs, provider: { props: resources.find((p) => r.provider.startsWith(`${p.urn}::`))?.inputs ?? {} } }))),
        ...of(resources, "docker:index/container:Container").flatMap((c) => (c.inputs.ports as { internal: number; ip: string }[]).map((p) => `${c.name}: port ${p.internal} published on ${p.ip}`)),
    ],
    "cnrs-two-vms": (resources) => [
        ...of(resources, "pulumi:providers:docker").map((p) => `${p.name}: Docker host ${p.inputs.host}`),
        ...of(resources, "proxmoxve:index/vmLegacy:VmLegacy").map((vm) => `${vm.name}: VM ${vm.inputs.vmId} on ${vm.inputs.nodeName}, ${vmAddress(vm)}`),
    ],
    "cnrs-infrastructure-firewall": (resources) => [
        ...of(resources, "proxmoxve:cluster/firewallLegacy:FirewallLegacy").map((f) => `${f.name}: datacenter firewall enabled=${f.inputs.enabled}, input ${f.inputs.inputPolicy}`),
        ...of(resources, "proxmoxve:firewall/optionsLegacy:OptionsLegacy").map((o) => `${o.name}: VM ${o.inputs.vmId} enabled=${o.inputs.enabled}, input ${o.inputs.inputPolicy}, output ${o.inputs.outputPolicy}, macfilter ${o.inputs.macfilter}, ipfilter ${o.inputs.ipfilter}`),
        ...of(resources, "proxmoxve:index/vmLegacy:VmLegacy").map((vm) => `${vm.name}: NIC firewall ${(vm.inputs.networkDevices as { firewall: boolean }[]).map((n) => n.firewall).join(", ")}`),
    ],
    "cnrs-dedicated-egress-address": (resources) => of(resources, "elabftw:firewall:EdgeHandOff").map((e) => `${e.name}: egressPublicAddress ${e.inputs.egressPublicAddress}, with the source NAT row handed to the network team`),
    "cnrs-disk-encryption": (resources) =>
        of(resources, "proxmoxve:index/vmLegacy:VmLegacy").map((vm) => {
            const luks = onHost(resources, vmAddress(vm)).find((c) => String(c.inputs.create).includes("luks-format.sh"));
            return luks ? `${vm.name}: data disk LUKS2 by ${luks.name} (vTPM unlock, recovery passphrase escrowed)` : `${vm.name}: volumes on ${vm.inputs.disks.map((d: { datastoreId: string }) => d.datastoreId).join(", ")}`;
        }),
    "cnrs-backup-encryption": (resources) =>
        of(resources, "proxmoxve:index/vmLegacy:VmLegacy").flatMap((vm) =>
            onHost(resources, vmAddress(vm))
                .filter((c) => / init --env-file /.test(String(c.inputs.create)))
                .map((c) => `${vm.name}: ${c.name} creates the Borg repository with --encryption=repokey-blake2; its own passphrase under /srv/elabftw/backup/ (encrypted disk); dumps streamed into borg create`),
        ),
};

export const REQUIREMENTS: readonly { policy: string; french: string; english: string }[] = [
    { policy: "cnrs-no-access-from-outside", french: "Pas d'accès depuis l'extérieur : accès via VPN pour utilisateurs en télétravail", english: "no access from outside; remote users through the VPN" },
    { policy: "cnrs-two-vms", french: "2 VM : une Docker/eLabFTW, une base de donnée dédiée", english: "two VMs: Docker/eLabFTW and a dedicated database" },
    { policy: "cnrs-infrastructure-firewall", french: "Pare-feu d'infrastructure capable de segmenter les VM convenablement", english: "an infrastructure firewall segmenting the VMs" },
    { policy: "cnrs-dedicated-egress-address", french: "Adresse IP externe pour appel Web Service dédiée à l'unité", english: "a dedicated external address for outgoing calls" },
    { policy: "cnrs-disk-encryption", french: "Chiffrement des disques durs", english: "disk encryption" },
    { policy: "cnrs-backup-encryption", french: "Chiffrement des sauvegardes", english: "backup encryption" },
];

export function requirementRows(resources: readonly CapturedResource[], violations: readonly Violation[]): RequirementRow[] {
    return REQUIREMENTS.map((r) => {
        const mine = violations.filter((v) => v.policy === r.policy).map((v) => v.message);
        return { ...r, passed: mine.length === 0, evidence: EVIDENCE[r.policy](resources), violations: mine };
    });
}

/** Subject, SANs, key type, validity and renewal of every certificate the program issues. */
export function certificateInventory(resources: readonly CapturedResource[]): string[][] {
    const keyOf = (name: string) => of(resources, "tls:index/privateKey:PrivateKey").find((k) => k.name === name)?.inputs;
    const describeKey = (k?: Record<string, any>) => (!k ? "?" : k.algorithm === "ECDSA" ? `ECDSA ${k.ecdsaCurve}` : k.algorithm === "RSA" ? `RSA ${k.rsaBits}` : k.algorithm);
    const days = (hours: number) => `${Math.round(hours / 24)} days`;
    const rows: string[][] = of(resources, "tls:index/selfSignedCert:SelfSignedCert").map((ca) => [
        ca.name,
        `CN=${ca.inputs.subject?.commonName}, O=${ca.inputs.subject?.organization}`,
        "(CA)",
        describeKey(keyOf(`${ca.name}-key`)),
        days(ca.inputs.validityPeriodHours),
        `${days(ca.inputs.earlyRenewalHours)} before expiry`,
    ]);
    for (const cert of of(resources, "tls:index/locallySignedCert:LocallySignedCert")) {
        const csr = of(resources, "tls:index/certRequest:CertRequest").find((r) => r.name === `${cert.name}-csr`)?.inputs ?? {};
        const sans = [...(csr.dnsNames ?? []).map((n: string) => `DNS:${n}`), ...(csr.ipAddresses ?? []).map((ip: string) => `IP:${ip}`)].join(", ") || "-";
        rows.push([cert.name, `CN=${csr.subject?.commonName}, O=${csr.subject?.organization}`, sans, describeKey(keyOf(`${cert.name}-key`)), days(cert.inputs.validityPeriodHours), `${days(cert.inputs.earlyRenewalHours)} before expiry (${(cert.inputs.allowedUses as string[]).join(", ")})`]);
    }
    return rows;
}

/** Every generated secret, and the resources that use it: names only, never values. */
export function secretInventory(resources: readonly CapturedResource[]): string[][] {
    const secrets = resources.filter((r) => ["random:index/randomPassword:RandomPassword", "random:index/randomBytes:RandomBytes", "tls:index/privateKey:PrivateKey"].includes(r.type));
    return secrets.map((secret) => {
        const users = resources.filter((r) => r.custom && r.dependencies.includes(secret.urn)).map((r) => r.name);
        return [secret.name, secret.type.split(":").pop()!, secret.protect ? "protected" : "-", users.join(", ") || "(exported only)"];
    });
}

/** The backup schedule and retention, read from the units the program installs. */
export function backupPolicy(resources: readonly CapturedResource[]): string[] {
    return of(resources, "command:remote:Command")
        .filter((c) => /install-file\.sh --path \/etc\/systemd\/system\/elabftw-[\w-]+\.(timer|service) /.test(String(c.inputs.create)))
        .flatMap((c) => {
            const unit = /\/etc\/systemd\/system\/(\S+)/.exec(String(c.inputs.create))![1];
            const text = String(c.inputs.stdin);
            const lines = [/^OnCalendar=(.+)$/m.exec(text)?.[1] && `${unit} on ${c.inputs.connection.host}: ${/^OnCalendar=(.+)$/m.exec(text)![1]}`, /--keep-daily (\d+) --keep-monthly (\d+)/.exec(text) && `${unit}: keeps ${/--keep-daily (\d+)/.exec(text)![1]} daily and ${/--keep-monthly (\d+)/.exec(text)![1]} monthly archives`];
            return lines.filter((l): l is string => typeof l === "string");
        });
}

export function versions(resources: readonly CapturedResource[]): string[] {
    return of(resources, "docker:index/remoteImage:RemoteImage").map((i) => String(i.inputs.name));
}

/** The architecture as Graphviz DOT: the VMs and their containers, the endpoints, the allowed flows. */
export function architectureDot(resources: readonly CapturedResource[]): string {
    const handOff = of(resources, "elabftw:firewall:EdgeHandOff")[0];
    const rows = ((handOff?.inputs.rules ?? []) as Record<string, string>[]).filter((r) => r.action === "allow");
    const vms = of(resources, "proxmoxve:index/vmLegacy:VmLegacy");
    const quote = (text: string) => `"${text.replace(/"/g, "'")}"`;
    // "dns (10.20.60.2, 10.20.60.3), ntp (10.20.60.2)" -> ["dns", "ntp"]
    const names = (side: string) => side.replace(/ \([^)]*\)/g, "").split(", ");
    const lines = ["digraph elabftw {", '  rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];'];
    for (const vm of vms) {
        const containers = of(resources, "docker:index/container:Container").filter((c) => {
            const provider = resources.find((p) => c.provider.startsWith(`${p.urn}::`));
            return String(provider?.inputs.host ?? "").endsWith(`@${vmAddress(vm)}`);
        });
        const role = String(vm.name).endsWith("-db") ? "db" : "web";
        lines.push(`  subgraph cluster_${role} { label=${quote(`${vm.inputs.name} (VM ${vm.inputs.vmId}, ${vmAddress(vm)}, ${vm.inputs.nodeName})`)}; style=rounded; color="#5b6b8c";`);
        lines.push(`    ${role} [label=${quote(`${role === "db" ? "MySQL" : "eLabFTW"}\\n${containers.map((c) => c.inputs.name).join(", ")}\\nLUKS2 data disk`)}, fillcolor="#dfe8f7"];`);
        lines.push("  }");
    }
    const nodes = new Set<string>();
    for (const row of rows) for (const side of [row.source, row.destination]) for (const name of names(side)) nodes.add(name);
    for (const name of nodes) if (!["web", "db"].includes(name)) lines.push(`  ${quote(name)};`);
    for (const row of rows) {
        for (const from of names(row.source)) {
            for (const to of names(row.destination)) lines.push(`  ${quote(from)} -> ${quote(to)} [label=${quote(`${row.destinationPort}`)}];`);
        }
    }
    lines.push("}");
    return `${lines.join("\n")}\n`;
}

const table = (header: string[], rows: string[][]) => [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, "\\|").replace(/\n/g, "<br>")).join(" | ")} |`)].join("\n");

export interface DossierInput {
    readonly stackFile: string;
    readonly unit: string;
    readonly stackKind: string;
    readonly resources: readonly CapturedResource[];
    readonly violations: readonly Violation[];
    readonly hardening: readonly { name: string; description: string }[];
    readonly diagramFile: string;
}

export function dossierMarkdown(input: DossierInput): string {
    const rows = requirementRows(input.resources, input.violations);
    const handOff = of(input.resources, "elabftw:firewall:EdgeHandOff")[0];
    const passedAll = rows.every((r) => r.passed) && input.violations.length === 0;
    return [
        `# Compliance dossier: eLabFTW of unit ${input.unit}`,
        "",
        `Stack file \`${input.stackFile}\` (${input.stackKind}), evaluated by the real program under the offline engine and the policy pack \`policies/\`. Verdict: **${passedAll ? "compliant" : "NOT COMPLIANT"}**.`,
        "",
        "## Architecture",
        "",
        `![Architecture](${input.diagramFile})`,
        "",
        "## CNRS requirements (JRES 2024, section 2.2)",
        "",
        table(
            ["Requirement", "Policy", "Result", "Evidence"],
            rows.map((r) => [`${r.french} (${r.english})`, `\`${r.policy}\``, r.passed ? "pass" : `**FAIL**: ${r.violations.join("<br>")}`, r.evidence.join("<br>")]),
        ),
        "",
        "## Hardening rules",
        "",
        table(
            ["Policy", "Checks", "Result"],
            input.hardening.map((p) => {
                const failed = input.violations.filter((v) => v.policy === p.name);
                return [`\`${p.name}\``, p.description, failed.length ? `**FAIL**: ${failed.map((v) => v.message).join("<br>")}` : "pass"];
            }),
        ),
        "",
        "## Network flow matrix (for the network team)",
        "",
        String(handOff?.inputs.markdown ?? "(no hand-off)"),
        "",
        "## Certificates",
        "",
        table(["Certificate", "Subject", "SANs", "Key", "Validity", "Renewal"], certificateInventory(input.resources)),
        "",
        "## Secrets (names and uses only, never values)",
        "",
        table(["Secret", "Kind", "Protection", "Used by"], secretInventory(input.resources)),
        "",
        "## Backups",
        "",
        ...backupPolicy(input.resources).map((line) => `- ${line}`),
        "",
        "## Versions deployed",
        "",
        ...versions(input.resources).map((v) => `- \`${v}\``),
        "",
    ].join("\n");
}
