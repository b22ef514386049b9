// Hardening: a production stack's data survives `pulumi destroy` and routine changes.
import { StackValidationPolicy } from "@pulumi/policy";
import { isProductionStack, ofType, TYPES } from "./common";

export const productionProtection: StackValidationPolicy = {
    name: "production-data-protected",
    description: "On a production stack, the VMs (and their data disks) are protected in Proxmox and in Pulumi, and the secrets that open the data (passphrases, passwords, SECRET_KEY, the CA key) are protected in Pulumi.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        if (!isProductionStack(args.resources)) return;
        for (const vm of ofType(args.resources, TYPES.vm)) {
            if (vm.props.protection !== true || !vm.opts.protect) {
                reportViolation(`${vm.name}: a production VM that \`pulumi destroy\` could delete. Fix: stackKind production sets protection and protect; do not unset them.`, vm.urn);
            }
        }
        const secrets = [...ofType(args.resources, TYPES.randomPassword), ...ofType(args.resources, TYPES.randomBytes), ...ofType(args.resources, TYPES.privateKey).filter((k) => k.name.endsWith("-ca-key"))];
        for (const secret of secrets.filter((s) => !s.opts.protect)) {
            reportViolation(`${secret.name}: an unprotected secret on a production stack (replacing it would orphan what it opens). Fix: keep protect on the Secrets component's resources.`, secret.urn);
        }
    },
};
