// Hardening: a published port listens on a private address only, never on every interface.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { isAnywhere, isPrivateAddress, TYPES } from "./common";

export const privatePublishedPorts: ResourceValidationPolicy = {
    name: "private-published-ports",
    description: "Every port a container publishes is bound to a private address (not 0.0.0.0, not a public address); no container publishes all its image's ports (publishAllPorts).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.container) return;
        // docker run -P: every port the image EXPOSEs (MySQL's 3306 and 33060) on a random host port of every address.
        if (args.props.publishAllPorts === true || String(args.props.publishAllPorts).toLowerCase() === "true") {
            reportViolation(`${args.name}: publishAllPorts publishes every port its image exposes on random host ports of every address (0.0.0.0 and ::). Fix: leave publishAllPorts off and publish each needed port on the VM's private address (ports[].ip).`);
        }
        for (const port of (args.props.ports ?? []) as { internal: number; ip?: string }[]) {
            if (!port.ip || isAnywhere(port.ip) || !isPrivateAddress(port.ip)) {
                reportViolation(`${args.name}: port ${port.internal} is published on ${port.ip || "every address"}. Fix: publish it on the VM's private address (ip).`);
            }
        }
    },
};
