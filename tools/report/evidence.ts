// The evidence of each CNRS requirement in plain language (Markdown, values escaped), the glossary
// of the resource names it cites, and which hardening rules apply to this stack.
import type { Violation } from "../offline/policyEngine";
import type { PolicyResource } from "@pulumi/policy";
import { outsideAccessEvidence } from "../../policies/rules/firewallView";
import { segmentationEvidence } from "../../policies/rules/firewallEvidence";
import { capital, code, text } from "./markdown";
import { backupRepositories, dataDiskEncryption, firewallNames, instanceSettings, isProduction, of, Resources, roleTitle, TYPES, vmAddress, vmRole, vms } from "./facts";

/** Resource names the evidence cites, with what each one is (the glossary). */
export type Glossary = Map<string, string>;

const cite = (glossary: Glossary, name: string, what: string) => {
    glossary.set(name, what);
    return code(name);
};

const port = (rule: Record<string, string>) => `${(rule.proto ?? "any protocol").toUpperCase()} ${rule.dport ?? "any port"}`;

/**
 * The resources as the pack's policies read them at `up`: properties known, providers and
 * dependencies linked (what the engine hands a stack policy).
 */
function asPolicyResources(resources: Resources): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const linked = resources.map((r) => {
        const provider = resources.find((p) => r.provider.startsWith(`${p.urn}::`));
        const resource = { type: r.type, name: r.name, urn: r.urn, props: r.inputs, provider: provider ? { type: provider.type, name: provider.name, urn: provider.urn, props: provider.inputs } : undefined, dependencies: [] as PolicyResource[], propertyDependencies: {}, opts: {} } as unknown as PolicyResource;
        byUrn.set(r.urn, resource);
        return resource;
    });
    resources.forEach((r, i) => (linked[i] as { dependencies: PolicyResource[] }).dependencies.push(...r.dependencies.flatMap((d) => byUrn.get(d) ?? [])));
    return linked;
}

/** For each requirement, sentences a security officer can check against the resources. */
export const EVIDENCE: Record<string, (resources: Resources, glossary: Glossary, settings: Record<string, Record<string, unknown>>) => string[]> = {
    "cnrs-no-access-from-outside": (resources, glossary) => {
        const from = (vmId: unknown, source: string) => {
            const names = firewallNames(resources, vmId);
            return `${code(source)}${names.has(source) ? ` (${code(names.get(source))})` : ""}`;
        };
        // First the pack's own evaluation of the firewall model (statements, packet classes counted), as the pack words it.
        const pack = outsideAccessEvidence(asPolicyResources(resources));
        return [
            ...pack.map((statement) => `${text(capital(statement))}.`.replace(/\.\.$/, ".")),
            ...vms(resources).map((vm) => {
                const list = of(resources, TYPES.rules).find((l) => l.inputs.vmId === vm.inputs.vmId);
                const accepted = ((list?.inputs.rules ?? []) as Record<string, string>[]).filter((r) => r.type === "in" && r.action === "ACCEPT");
                const allowed = accepted.map((r) => `${port(r)} from ${from(vm.inputs.vmId, r.source)}`).join("; ") || "nothing";
                return `${text(capital(roleTitle(vmRole(vm))))} accepts only: ${allowed}; everything else is dropped (rule list ${list ? cite(glossary, list.name, "the Proxmox firewall rules of one VM") : "missing"}).`;
            }),
            ...of(resources, TYPES.container).flatMap((c) =>
                ((c.inputs.ports ?? []) as { internal: number; ip: string }[]).map((p) => `Container ${cite(glossary, c.name, "a Docker container")} publishes port ${code(p.internal)} on ${code(p.ip)} only (a private address).`),
            ),
        ];
    },
    "cnrs-two-vms": (resources, glossary) => [
        ...vms(resources).map(
            (vm) => `${text(vmRole(vm) === "db" ? "MySQL" : "eLabFTW")} runs on its own VM ${code(vm.inputs.vmId)} (${cite(glossary, vm.name, "a Proxmox virtual machine")}, address ${code(vmAddress(vm))}, node ${code(vm.inputs.nodeName)}).`,
        ),
        ...of(resources, TYPES.dockerProvider).map((p) => `Docker host ${cite(glossary, p.name, "the program's connection to one VM's Docker engine")} is reached at ${code(p.inputs.host)}.`),
    ],
    "cnrs-infrastructure-firewall": (resources, glossary) => [
        // The pack's own evaluation against the flow matrix, both layers, as the pack words it.
        ...segmentationEvidence(asPolicyResources(resources)).map((statement) => `${text(capital(statement))}.`.replace(/\.\.$/, ".")),
        ...of(resources, TYPES.clusterFirewall).map((f) => `The Proxmox datacenter firewall is ${f.inputs.enabled ? "on" : "OFF"}, incoming policy ${code(f.inputs.inputPolicy)} (${cite(glossary, f.name, "the cluster-wide firewall options")}).`),
        ...of(resources, TYPES.options).map((o) => {
            const vm = vms(resources).find((v) => v.inputs.vmId === o.inputs.vmId);
            return `${text(vm ? capital(roleTitle(vmRole(vm))) : `VM ${o.inputs.vmId}`)}: firewall ${o.inputs.enabled ? "on" : "OFF"}, incoming ${code(o.inputs.inputPolicy)}, outgoing ${code(o.inputs.outputPolicy)}, MAC filter ${o.inputs.macfilter ? "on" : "off"}, IP filter ${o.inputs.ipfilter ? "on" : "off"} (${cite(glossary, o.name, "one VM's firewall options")}).`;
        }),
        ...vms(resources).map((vm) => {
            const nics = (vm.inputs.networkDevices ?? []) as { firewall?: boolean }[];
            return `${text(capital(roleTitle(vmRole(vm))))}: ${nics.length} network card(s), ${nics.filter((n) => n.firewall).length} behind the firewall.`;
        }),
    ],
    "cnrs-dedicated-egress-address": (resources, glossary) =>
        of(resources, TYPES.handOff).map((h) => `Outgoing web-service calls leave through the edge firewall with the source address ${code(h.inputs.egressPublicAddress)}, the unit's own (row ${code("nat")} of the flow matrix handed to the network team, ${cite(glossary, h.name, "the rules handed to the network team")}).`),
    "cnrs-disk-encryption": (resources, glossary, settings) =>
        vms(resources).map((vm) => {
            const disk = dataDiskEncryption(resources, vm);
            const declared = ((settings["cnrs-disk-encryption"]?.encryptedDatastores ?? []) as string[]).filter((id) => disk.datastores.includes(id));
            const host = `volumes on ${disk.datastores.map(code).join(", ")}${declared.length ? `, declared encrypted on the host: ${declared.map(code).join(", ")}` : ", none declared encrypted in the policy config"}`;
            if (!disk.luksBy) return `${text(capital(roleTitle(vmRole(vm))))}: no encryption inside the VM; ${host}.`;
            return `${text(capital(roleTitle(vmRole(vm))))}: data disk encrypted with LUKS2 inside the VM (${cite(glossary, disk.luksBy, "the command that formats a data disk with LUKS2")})${disk.tpm ? ", unlocked at boot by the VM's virtual TPM" : ""}; its recovery passphrase is generated and kept encrypted in the Pulumi state; ${host}.`;
        }),
    "cnrs-backup-encryption": (resources, glossary) =>
        backupRepositories(resources).map(
            (b) =>
                `${text(capital(roleTitle(vmRole(b.vm))))} backs up to ${code(b.repository)}, ${b.encryption ? `encrypted by Borg (${code(b.encryption)}, ${cite(glossary, b.initBy!, "the command that creates a Borg repository")})` : "with NO encryption found"}; the passphrase stays on the VM's encrypted disk and dumps are streamed into Borg, never written in clear.`,
        ),
};

export interface RuleResult {
    readonly name: string;
    /** "pass", "n/a: why", "disabled", "FAIL" or "advisory" */
    readonly result: string;
    readonly messages: readonly string[];
}

/** Why a rule does not apply to this stack, or undefined when it does. */
function notApplicable(policy: string, resources: Resources): string | undefined {
    if (["production-data-protected", "saml-sso-on-production"].includes(policy) && !isProduction(resources)) return "applies to production stacks only";
    if (policy === "smtp-verifies-certificate" && !instanceSettings(resources)?.smtp_address) return "eLabFTW sends no mail on this stack (no smtpHost)";
    return undefined;
}

/** The outcome of one rule from the evaluation's violations and its enforcement level. */
export function ruleResult(policy: string, level: string, violations: readonly Violation[], resources: Resources): RuleResult {
    const messages = violations.filter((v) => v.policy === policy).map((v) => v.message);
    if (level === "disabled") return { name: policy, result: "disabled by the policy config", messages: [] };
    if (messages.length > 0) return { name: policy, result: level === "mandatory" ? "FAIL" : `${level}: not met`, messages };
    const why = notApplicable(policy, resources);
    return { name: policy, result: why ? `n/a (${why})` : "pass", messages: [] };
}
