// The compliance dossier the security officer reads and signs, as Markdown: a cover block, the CNRS
// requirements with plain-language evidence, the hardening rules, the flow matrix, the inventories,
// a glossary of the resource names cited and a signature block. Every value is escaped (markdown.ts).
import type { Violation } from "../offline/policyEngine";
import { EVIDENCE, Glossary, ruleResult } from "./evidence";
import { of, Resources, TYPES } from "./facts";
import { backupPolicy, certificateInventory, secretInventory, versions } from "./inventory";
import { code, item, lines, table, text } from "./markdown";

export const REQUIREMENTS: readonly { policy: string; french: string; english: string }[] = [
    { policy: "cnrs-no-access-from-outside", french: "Pas d'accès depuis l'extérieur : accès via VPN pour utilisateurs en télétravail", english: "no access from outside; remote users through the VPN" },
    { policy: "cnrs-two-vms", french: "2 VM : une Docker/eLabFTW, une base de donnée dédiée", english: "two VMs: Docker/eLabFTW and a dedicated database" },
    { policy: "cnrs-infrastructure-firewall", french: "Pare-feu d'infrastructure capable de segmenter les VM convenablement", english: "an infrastructure firewall segmenting the VMs" },
    { policy: "cnrs-dedicated-egress-address", french: "Adresse IP externe pour appel Web Service dédiée à l'unité", english: "a dedicated external address for outgoing calls" },
    { policy: "cnrs-disk-encryption", french: "Chiffrement des disques durs", english: "disk encryption" },
    { policy: "cnrs-backup-encryption", french: "Chiffrement des sauvegardes", english: "backup encryption" },
];

export interface Cover {
    readonly unit: string;
    readonly stackFile: string;
    readonly stackKind: string;
    readonly generatedAt: string;
    readonly programVersion: string;
    readonly commit: string;
    readonly policyPackVersion: string;
    /** The policy config file and its content, or undefined for the pack's defaults. */
    readonly policyConfig?: { file: string; content: string };
}

export interface DossierInput {
    readonly cover: Cover;
    readonly resources: Resources;
    readonly violations: readonly Violation[];
    /** Every rule of the pack with its description and its effective enforcement level. */
    readonly rules: readonly { name: string; description: string; level: string }[];
    /** The policy settings the evaluation used (per policy). */
    readonly settings: Record<string, Record<string, unknown>>;
    readonly diagramFile: string;
}

/** True when no mandatory rule failed. */
export function compliant(input: Pick<DossierInput, "rules" | "violations">): boolean {
    return !input.rules.some((r) => r.level === "mandatory" && input.violations.some((v) => v.policy === r.name));
}

function coverBlock(c: Cover, verdict: boolean): string[] {
    return [
        table(
            ["Dossier", ""],
            [
                ["Unit", code(c.unit)],
                ["Stack file", `${code(c.stackFile)} (${text(c.stackKind)} stack)`],
                ["Generated", text(c.generatedAt)],
                ["Program", `elabftw-onprem ${text(c.programVersion)}, commit ${code(c.commit)}`],
                ["Policy pack", `${code("policies/")} ${text(c.policyPackVersion)}`],
                ["Policy config", c.policyConfig ? `${code(c.policyConfig.file)}: ${code(c.policyConfig.content)}` : text("none: the pack's defaults")],
                ["Verdict", verdict ? "**compliant**: every mandatory rule passes" : "**NOT COMPLIANT**: a mandatory rule fails (see below)"],
            ],
        ),
        "",
        text("How to read this dossier: the program was run with this stack file on a simulated engine (no cluster touched), and the policy pack checked every resource it would create. Each requirement lists the facts read from those resources; the names in code type are resources, explained in the glossary at the end."),
    ];
}

function flowMatrix(resources: Resources): string {
    const rules = (of(resources, TYPES.handOff)[0]?.inputs.rules ?? []) as Record<string, string>[];
    return table(
        ["Num", "Source", "Source port", "Destination", "Destination port", "Action", "Description"],
        rules.map((r) => [code(r.num), code(r.source), code(r.sourcePort), code(r.destination), code(r.destinationPort), text(r.action), text(r.description)]),
    );
}

const SIGNATURES = ["Security officer (CSSI)", "System administrator (ASR)", "Director of the unit"];

export function dossierMarkdown(input: DossierInput): string {
    const glossary: Glossary = new Map();
    const level = (name: string) => input.rules.find((r) => r.name === name)?.level ?? "mandatory";
    const verdict = compliant(input);
    const requirementRows = REQUIREMENTS.map((r) => {
        const outcome = ruleResult(r.policy, level(r.policy), input.violations, input.resources);
        const result = outcome.messages.length ? `**${text(outcome.result)}**: ${lines(outcome.messages.map(text))}` : text(outcome.result);
        return [`${text(r.french)} (${text(r.english)})`, code(r.policy), result, lines(EVIDENCE[r.policy](input.resources, glossary, input.settings))];
    });
    const hardeningRows = input.rules
        .filter((p) => !p.name.startsWith("cnrs-"))
        .map((p) => {
            const outcome = ruleResult(p.name, p.level, input.violations, input.resources);
            return [code(p.name), text(p.description), outcome.messages.length ? `**${text(outcome.result)}**: ${lines(outcome.messages.map(text))}` : text(outcome.result)];
        });
    const certificates = certificateInventory(input.resources);
    const secrets = secretInventory(input.resources);
    return [
        `# Compliance dossier: eLabFTW of unit ${text(input.cover.unit)}`,
        "",
        ...coverBlock(input.cover, verdict),
        "",
        "## Architecture",
        "",
        `![Architecture](${input.diagramFile})`,
        "",
        "## CNRS requirements (JRES 2024, section 2.2)",
        "",
        table(["Requirement", "Policy", "Result", "Evidence"], requirementRows),
        "",
        "## Hardening rules",
        "",
        table(["Policy", "Checks", "Result"], hardeningRows),
        "",
        "## Network flow matrix (for the network team)",
        "",
        flowMatrix(input.resources),
        "",
        "## Certificates",
        "",
        table(["Certificate", "Subject", "SANs or role", "Key", "Validity", "Renewal", "Uses"], certificates),
        "",
        "## Secrets (names and uses only, never values)",
        "",
        table(["Secret", "Kind", "Protection", "Used by"], secrets),
        "",
        "## Backups",
        "",
        ...backupPolicy(input.resources).map(item),
        "",
        "## Versions deployed",
        "",
        ...versions(input.resources).map(item),
        "",
        "## Glossary of the resource names cited",
        "",
        table(["Name", "What it is"], [...glossary].sort(([a], [b]) => a.localeCompare(b)).map(([name, what]) => [code(name), text(what)])),
        "",
        "## Signatures",
        "",
        text(`I have read this dossier, generated ${input.cover.generatedAt} from ${input.cover.stackFile} at commit ${input.cover.commit}, and I accept the deployment it describes.`),
        "",
        table(["Role", "Name", "Date", "Signature"], SIGNATURES.map((role) => [text(role), " ", " ", " "])),
        "",
    ].join("\n");
}
