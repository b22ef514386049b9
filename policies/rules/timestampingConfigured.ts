// Trusted timestamping: the instance names an RFC 3161 authority eLabFTW knows, with what it needs.
import { StackValidationPolicy } from "@pulumi/policy";
import { settingsResources, settingsViews } from "./instanceSettings";

/** eLabFTW 5.6's authorities; true: the authority wants ts_login and ts_password (the pack stands
 * alone, so this repeats components/config/settingsKeys.ts; a test keeps the two equal). */
export const AUTHORITIES: Readonly<Record<string, boolean>> = { dfn: false, digicert: false, sectigo: false, globalsign: false, universign: true, dgn: true, evidency: true, deltablot: true, custom: false };

export const timestampingConfigured: StackValidationPolicy = {
    name: "timestamping-configured",
    description: "eLabFTW's instance settings name a timestamping authority it knows, with its URL (custom) or its credentials (universign, dgn, evidency, deltablot).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const settings = settingsResources(args.resources);
        if (settings.length === 0) {
            reportViolation("eLabFTW's instance settings are not managed, so no timestamping authority is configured. Fix: keep the ElabftwSettings component of the platform.");
        }
        for (const resource of settings) {
            for (const { config, generatedKeys } of settingsViews(resource, args.resources)) {
                const authority = config.ts_authority;
                if (!(authority in AUTHORITIES)) {
                    reportViolation(`${resource.name}: the timestamping authority "${authority ?? ""}" is not one eLabFTW knows. Fix: pulumi config set timestampAuthority digicert (or ${Object.keys(AUTHORITIES).join(", ")}).`, resource.urn);
                    continue;
                }
                if (authority === "custom" && !/^https:\/\//.test(config.ts_url ?? "")) {
                    reportViolation(`${resource.name}: a custom timestamping authority without an https URL. Fix: pulumi config set timestampUrl https://<tsa>/tsr.`, resource.urn);
                }
                if (AUTHORITIES[authority] && (!config.ts_login || !generatedKeys.includes("ts_password"))) {
                    reportViolation(`${resource.name}: ${authority} needs a login and a password. Fix: pulumi config set timestampLogin <account>; pulumi config set --secret timestampPassword <password>.`, resource.urn);
                }
            }
        }
    },
};
