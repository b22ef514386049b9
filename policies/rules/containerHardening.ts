// Hardening: containers gain no privileges and run with a reduced capability set.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./common";

export const containerHardening: ResourceValidationPolicy = {
    name: "container-hardening",
    description: "Every container runs with no-new-privileges, drops capabilities, and is not privileged.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.container) return;
        if (!((args.props.securityOpts ?? []) as string[]).includes("no-new-privileges:true")) {
            reportViolation(`${args.name}: processes may gain privileges (setuid). Fix: add the security option no-new-privileges:true.`);
        }
        if (((args.props.capabilities?.drops ?? []) as string[]).length === 0) {
            reportViolation(`${args.name}: keeps Docker's full default capability set. Fix: drop capabilities (eLabFTW: all but CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID; MySQL: the official list).`);
        }
        if (args.props.privileged === true) {
            reportViolation(`${args.name}: runs privileged. Fix: remove privileged.`);
        }
    },
};
