// Local passwords meet the product's baseline (instanceSettings.ts): length, complexity, lockout, MFA.
import { StackValidationPolicy } from "@pulumi/policy";
import { PASSWORD_BASELINE, settingsResources, settingsViews } from "./instanceSettings";
import { mfaSecretWrites } from "../models/elabftwSettings";
import { deployedScripts } from "./deployedText";
import { knownOrUndefined } from "./common";

export const passwordPolicyBaseline: StackValidationPolicy = {
    name: "password-policy-baseline",
    description: `Local passwords: at least ${PASSWORD_BASELINE.minLength} characters, complexity medium or strong, lockout after at most ${PASSWORD_BASELINE.maxLoginTries} failed attempts, a second factor at least for the sysadmins, enrolled by each person (the deployment writes no user's TOTP secret).`,
    enforcementLevel: "mandatory",
    // A stack policy: resource policies see custom resources only, and the settings are a component.
    validateStack: (args, reportViolation) => {
        for (const resource of settingsResources(args.resources)) {
            for (const { config } of settingsViews(resource, args.resources)) {
                const number = (key: string) => Number(config[key] ?? NaN);
                if (!(number("min_password_length") >= PASSWORD_BASELINE.minLength)) {
                    reportViolation(`${resource.name}: local passwords may be ${config.min_password_length} characters long. Fix: pulumi config set passwordMinLength ${PASSWORD_BASELINE.minLength} (or more).`, resource.urn);
                }
                if (!(number("password_complexity_requirement") >= PASSWORD_BASELINE.minComplexity)) {
                    reportViolation(`${resource.name}: local passwords need no mix of character classes. Fix: pulumi config set passwordComplexity strong (or medium).`, resource.urn);
                }
                if (!(number("login_tries") <= PASSWORD_BASELINE.maxLoginTries)) {
                    reportViolation(`${resource.name}: ${config.login_tries} failed logins are allowed before lockout. Fix: pulumi config set loginAttempts ${PASSWORD_BASELINE.maxLoginTries} (or fewer).`, resource.urn);
                }
                if (!(number("enforce_mfa") >= PASSWORD_BASELINE.minMfa)) {
                    reportViolation(`${resource.name}: no second factor is required, not even from the sysadmins. Fix: pulumi config set mfaEnforcement admins (or sysadmins, everyone).`, resource.urn);
                }
            }
        }
        // A second factor the deployment generates lives beside the password (state, escrow): one factor stored twice.
        const texts = [...deployedScripts(args.resources).map((d) => ({ resource: d.resource, text: d.script })), ...args.resources.filter((r) => typeof knownOrUndefined(() => r.props.stdin) === "string").map((r) => ({ resource: r, text: String(r.props.stdin) }))];
        for (const { resource, text } of texts) {
            for (const statement of mfaSecretWrites(text)) {
                reportViolation(`${resource.name}: writes a user's second-factor secret (\`${statement}\`): whoever holds the deployment's state or its escrow has both factors of that account, so its MFA is one factor stored twice. Fix: let each person enrol their own authenticator in eLabFTW; for break-glass, escrow the password alone and enrol a new factor after use.`, resource.urn);
            }
        }
    },
};
