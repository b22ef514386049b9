// Hardening: no secret in the places that are stored in plaintext: cloud-init snippets (on the
// node's storage), command lines (process lists, logs, Pulumi's state), the scripts, units and cron
// files the program installs (their text travels unmarked), and container labels (docker inspect).
import { StackValidationPolicy } from "@pulumi/policy";
import { assignments } from "../models/borg";
import { cloudConfig } from "../models/programText";
import { keyMaterial, secretAssignments, isLiteralSecretValue, isSecretName } from "../models/secrets";
import { knownOrUndefined, ofType, TYPES } from "./common";
import { deployedScripts } from "./deployedText";

/** Client options that carry a password on a command line, and SQL that does. */
const ON_COMMAND_LINES: [RegExp, string][] = [
    [/--password=\S|\s-p[^\s'"-]\S*|IDENTIFIED (WITH \S+ )?BY '/, "a password"],
];

export const noPlaintextSecrets: StackValidationPolicy = {
    name: "no-plaintext-secrets",
    description: "No key material, password setting or secret-looking assignment (PASSWORD, SECRET, TOKEN, KEY... = a literal) in cloud-init snippets, command lines, installed scripts, units and cron files, or container labels; secrets travel through stdin or files read at run time.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const report = (resource: { name: string; urn: string }, where: string, what: string, fix: string) =>
            reportViolation(`${resource.name}: ${where} holds ${what}, stored in plaintext. Fix: ${fix}.`, resource.urn);
        for (const snippet of ofType(args.resources, TYPES.snippet)) {
            const data = String(snippet.props.sourceRaw?.data ?? "");
            for (const what of keyMaterial(data)) report(snippet, "the snippet", what, "pass it over SSH after boot (stdin), never through cloud-init");
            for (const setting of cloudConfig(data)?.passwordSettings ?? []) report(snippet, "the snippet", `a password setting (${setting})`, "log in with SSH keys only; never set passwords through cloud-init");
        }
        for (const s of deployedScripts(args.resources)) {
            const where = s.runByPulumi ? s.where : `${s.where}`;
            if (s.resource.type === TYPES.command && s.runByPulumi) {
                for (const what of keyMaterial(s.script)) report(s.resource, where, what, "pass secrets through stdin");
                for (const [pattern, what] of ON_COMMAND_LINES) if (pattern.test(s.script)) report(s.resource, where, what, "pass secrets through stdin or a client option file");
            } else if (s.resource.type === TYPES.command) {
                for (const what of keyMaterial(s.script)) report(s.resource, where, what, "install keys as files of their own (secret stdin), not inside scripts");
            }
            for (const name of secretAssignments(assignments(s.script))) {
                report(s.resource, where, `a secret-looking assignment ${name}=<literal>`, `read ${name} at run time from a root-only file (e.g. ${name}_FILE or a *COMMAND variable), never a literal`);
            }
        }
        for (const container of ofType(args.resources, TYPES.container)) {
            const labels = (container.props.labels ?? []) as { label: string; value: string }[];
            for (let i = 0; i < labels.length; i++) {
                const entry = knownOrUndefined(() => ({ label: String(labels[i].label), value: String(labels[i].value) }));
                if (entry === undefined) continue;
                const { label, value } = entry;
                if ((isSecretName(label.replace(/[.-]/g, "_")) && isLiteralSecretValue({ text: value, literal: true })) || keyMaterial(value).length > 0) {
                    report(container, `the label ${label}`, "a secret", "keep secrets out of labels (docker inspect shows them to anyone with the socket)");
                }
            }
        }
    },
};
