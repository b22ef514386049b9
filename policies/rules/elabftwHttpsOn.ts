// Hardening: eLabFTW serves HTTPS itself (the edge re-encrypts to it, and the session cookies are
// marked secure), as the elabimg image reads DISABLE_HTTPS (models/elabimg.ts).
import { ResourceValidationPolicy } from "@pulumi/policy";
import { elabimgHttps } from "../models/elabimg";
import { containerEnvValue, isApplicationContainer, TYPES } from "./common";

export const elabftwHttpsOn: ResourceValidationPolicy = {
    name: "elabftw-https-on",
    description: "The eLabFTW container serves HTTPS: DISABLE_HTTPS unset, empty or false, as the elabimg image evaluates it (it runs the value as a command).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.container || !isApplicationContainer(args.props)) return;
        const disableHttps = containerEnvValue(args.props, "DISABLE_HTTPS");
        const verdict = elabimgHttps(disableHttps);
        if (!verdict.https) {
            reportViolation(`${args.name}: DISABLE_HTTPS=${JSON.stringify(disableHttps)}: ${verdict.why}. Fix: set DISABLE_HTTPS=false (or leave it unset).`);
        }
    },
};
