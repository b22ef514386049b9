// Mail: eLabFTW checks its mail relay's TLS certificate, so password-reset mail cannot be diverted.
import { StackValidationPolicy } from "@pulumi/policy";
import { settingsResources, settingsViews } from "./instanceSettings";

export const smtpVerifiesCertificate: StackValidationPolicy = {
    name: "smtp-verifies-certificate",
    description: "When eLabFTW sends mail, it verifies the mail relay's TLS certificate (smtp_verify_cert).",
    enforcementLevel: "mandatory",
    // A stack policy: resource policies see custom resources only, and the settings are a component.
    validateStack: (args, reportViolation) => {
        for (const resource of settingsResources(args.resources)) {
            for (const { config } of settingsViews(resource, args.resources)) {
                if (config.smtp_address && config.smtp_verify_cert !== "1") {
                    reportViolation(`${resource.name}: eLabFTW would accept any certificate from ${config.smtp_address}, so its mail (password resets) could be intercepted. Fix: pulumi config set smtpVerifyCert true, and give the relay a certificate the VM trusts.`, resource.urn);
                }
            }
        }
    },
};
