// Hardening: a published port listens on a private address only, never on every interface.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { isAnywhere, isPrivateAddress, TYPES } from "./common";

export const privatePublishedPorts: ResourceValidationPolicy = {
    name: "private-published-ports",
    description: "Every port a container publishes is bound to a private address (not 0.0.0.0, not a public address).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.container) return;
        for (const port of (args.props.ports ?? []) as { internal: number; ip?: string }[]) {
            if (!port.ip || isAnywhere(port.ip) || !isPrivateAddress(port.ip)) {
                reportViolation(`${args.name}: port ${port.internal} is published on ${port.ip || "every address"}. Fix: publish it on the VM's private address (ip).`);
            }
        }
    },
};
