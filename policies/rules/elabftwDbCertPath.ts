// Hardening: eLabFTW verifies MySQL's certificate (DB_CERT_PATH): without it, it connects in plaintext.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { containerEnvValue, isApplicationContainer, TYPES } from "./common";

export const elabftwDbCertPath: ResourceValidationPolicy = {
    name: "elabftw-db-cert-path",
    description: "The eLabFTW container has DB_CERT_PATH set to a CA file mounted into it, so it talks TLS to MySQL and verifies the server.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.container || !isApplicationContainer(args.props)) return;
        const path = containerEnvValue(args.props, "DB_CERT_PATH");
        if (!path) {
            reportViolation(`${args.name}: DB_CERT_PATH is not set, so eLabFTW connects to MySQL in plaintext (and a TLS-only server refuses it). Fix: set DB_CERT_PATH to the private CA's certificate, mounted into the container.`);
        } else if (!((args.props.mounts ?? []) as { target: string }[]).some((m) => m.target === path)) {
            reportViolation(`${args.name}: DB_CERT_PATH=${path} is not mounted into the container. Fix: mount the CA file at ${path}.`);
        }
    },
};
