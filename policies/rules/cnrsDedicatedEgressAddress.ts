// CNRS « Adresse IP externe pour appel Web Service dédiée à l'unité ».
import { StackValidationPolicy } from "@pulumi/policy";
import { cnrs, isDocumentationAddress, isPublicUnicast, isTestStack, ofType, TYPES, violation } from "./common";

const REQUIREMENT = cnrs("Adresse IP externe pour appel Web Service dédiée à l'unité", "a dedicated external address for the unit's outgoing web-service calls");

export const cnrsDedicatedEgressAddress: StackValidationPolicy = {
    name: "cnrs-dedicated-egress-address",
    description: "The edge hand-off declares the unit's dedicated public address and the source NAT of outgoing calls to it (exported for the network team).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const handOffs = ofType(args.resources, TYPES.edgeHandOff);
        if (handOffs.length === 0) {
            reportViolation(violation(REQUIREMENT, "the stack", "hands no rules to the network team", "keep the EdgeHandOff of the platform (egressPublicAddress)"));
            return;
        }
        for (const handOff of handOffs) {
            const address: string = handOff.props.egressPublicAddress;
            const acceptable = isPublicUnicast(address) || (isDocumentationAddress(address) && isTestStack(args.resources));
            if (!acceptable) {
                reportViolation(violation(REQUIREMENT, handOff.name, `declares ${address}, which is not a public unicast address`, "set egressPublicAddress to the unit's public address (documentation addresses on test stacks only)"), handOff.urn);
            }
            if (!((handOff.props.rules ?? []) as Record<string, string>[]).some((rule) => rule.action?.includes(`source NAT to ${address}`))) {
                reportViolation(violation(REQUIREMENT, handOff.name, "has no source NAT of the outgoing calls to the dedicated address", "keep the nat row of the edge rules"), handOff.urn);
            }
        }
    },
};
