// Hardening: eLabFTW serves HTTPS itself (the edge re-encrypts to it, and the session cookies are
// marked secure), as the elabimg image reads DISABLE_HTTPS (models/elabimg.ts).
import { ResourceValidationPolicy } from "@pulumi/policy";
import { elabimgHttps } from "../models/elabimg";
import { backendVerificationOff } from "../models/handOff";
import { containerEnvValue, isApplicationContainer, knownOrUndefined, TYPES } from "./common";

export const elabftwHttpsOn: ResourceValidationPolicy = {
    name: "elabftw-https-on",
    description: "The eLabFTW container serves HTTPS: DISABLE_HTTPS unset, empty or false, as the elabimg image evaluates it (it runs the value as a command); the edge hand-off never tells the reverse proxy to skip verifying the web VM's certificate (proxy_ssl_verify off, verify none, SSLProxyVerify none, insecureSkipVerify).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        // The edge re-encrypts to the web VM: told not to verify its certificate, it talks TLS to
        // whatever answers at that address, and the users' sessions and passwords go with it.
        if (args.type === TYPES.edgeHandOff) {
            const rules = (knownOrUndefined(() => args.props.rules) ?? []) as { description?: string }[];
            const text = [String(knownOrUndefined(() => args.props.markdown) ?? ""), ...rules.map((r) => String(r?.description ?? ""))].join("\n");
            for (const setting of new Set(backendVerificationOff(text))) reportViolation(`${args.name}: the hand-off tells the edge proxy "${setting}": it then accepts any certificate for the web VM, and whoever sits between the edge and VLAN 30 reads the sessions and passwords. Fix: verify the backend against the stack's caCertificate output (nginx proxy_ssl_verify on with proxy_ssl_trusted_certificate; HAProxy verify required ca-file).`);
            return;
        }
        if (args.type !== TYPES.container || !isApplicationContainer(args.props)) return;
        const disableHttps = containerEnvValue(args.props, "DISABLE_HTTPS");
        const verdict = elabimgHttps(disableHttps);
        if (!verdict.https) {
            reportViolation(`${args.name}: DISABLE_HTTPS=${JSON.stringify(disableHttps)}: ${verdict.why}. Fix: set DISABLE_HTTPS=false (or leave it unset).`);
        }
    },
};
