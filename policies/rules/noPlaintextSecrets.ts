// Hardening: no secret in the places that are stored in plaintext: the cloud-init snippets (on
// the node's storage) and command lines (in process lists and logs).
import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./common";

const IN_SNIPPETS: [RegExp, string][] = [
    [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
    [/^\s*(chpasswd|password|passwd|plain_text_passwd|hashed_passwd):/m, "a password setting"],
    [/\bdef00000[0-9a-f]{128}\b/, "an eLabFTW SECRET_KEY"],
];
const ON_COMMAND_LINES: [RegExp, string][] = [
    ...IN_SNIPPETS.slice(0, 1),
    [/\bdef00000[0-9a-f]{128}\b/, "an eLabFTW SECRET_KEY"],
    [/--password=\S|\s-p\S+|IDENTIFIED BY '/, "a password"],
    [/\bBORG_PASSPHRASE=\S/, "a Borg passphrase"],
];

export const noPlaintextSecrets: ResourceValidationPolicy = {
    name: "no-plaintext-secrets",
    description: "Cloud-init snippets carry no key, password or SECRET_KEY; command lines carry none either (secrets travel through stdin).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type === TYPES.snippet) {
            const data: string = args.props.sourceRaw?.data ?? "";
            for (const [pattern, what] of IN_SNIPPETS) {
                if (pattern.test(data)) reportViolation(`${args.name}: the snippet holds ${what}, stored in plaintext on the node. Fix: pass it over SSH after boot (stdin), never through cloud-init.`);
            }
        }
        if (args.type === TYPES.command) {
            for (const field of ["create", "update", "delete"]) {
                const line: string = args.props[field] ?? "";
                for (const [pattern, what] of ON_COMMAND_LINES) {
                    if (pattern.test(line)) reportViolation(`${args.name}: its ${field} command line holds ${what}. Fix: pass secrets through stdin.`);
                }
            }
        }
    },
};
