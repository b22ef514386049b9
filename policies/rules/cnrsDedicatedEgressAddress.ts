// CNRS « Adresse IP externe pour appel Web Service dédiée à l'unité ».
import { StackValidationPolicy } from "@pulumi/policy";
import { cnrs, isDocumentationAddress, isPublicUnicast, isTestStack, ofType, TYPES, violation } from "./common";
import { cellAddresses, HandOffRow } from "../models/handOff";
import { contains, covers, describe, intersect, INTERNET, setOf, subtract, toInt, union } from "../models/ipv4";
import { matrixAllows, stackNetwork } from "./firewallView";

const REQUIREMENT = cnrs("Adresse IP externe pour appel Web Service dédiée à l'unité", "a dedicated external address for the unit's outgoing web-service calls");

export const cnrsDedicatedEgressAddress: StackValidationPolicy = {
    name: "cnrs-dedicated-egress-address",
    description: "The edge hand-off declares the unit's dedicated public address and the source NAT to it of every sender of the unit's outgoing calls: the proxy the VMs use, and any VM the matrix lets reach Internet addresses itself (exported for the network team); no other host is a source of that NAT (the address stays the unit's own).",
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
            const rows = (handOff.props.rules ?? []) as HandOffRow[];
            const natRows = rows.filter((rule) => String(rule.action ?? "").includes(`source NAT to ${address}`));
            if (natRows.length === 0) {
                reportViolation(violation(REQUIREMENT, handOff.name, "has no source NAT of the outgoing calls to the dedicated address", "keep the nat row of the edge rules"), handOff.urn);
                continue;
            }
            // Who really sends the calls: a VM the matrix lets reach Internet addresses itself, and
            // the proxy the VMs reach. Each must be a source of the NAT, or its calls leave from the
            // institution's default address.
            const natted = union(...natRows.map((r) => cellAddresses(String(r.source ?? "")) ?? []));
            const net = stackNetwork(args.resources);
            for (const vm of [net.web, net.db].filter((v): v is NonNullable<typeof v> => v?.address !== undefined)) {
                const direct = intersect(union(matrixAllows(net, vm, "out", "tcp", [443, 443]), matrixAllows(net, vm, "out", "tcp", [80, 80])), INTERNET);
                if (direct.length > 0 && !contains(natted, toInt(vm.address!))) {
                    reportViolation(violation(REQUIREMENT, handOff.name, `lets ${vm.name} call ${describe(direct)} directly, but NATs only ${describe(natted)} to ${address}: those calls leave from the institution's default address`, "send web-service calls through the proxy (no extraFlows to public addresses), or NAT the VM too"), handOff.urn);
                }
            }
            const proxy = net.endpoints.get("proxy") ?? [];
            // Dedicated: the unit's senders only. A NAT source wider than the proxy and the unit's own
            // VMs sends other hosts' traffic (DNS, the filer, other units) from the unit's address.
            const senders = union(proxy, ...[net.web, net.db].flatMap((vm) => (vm?.address ? [setOf(vm.address)] : [])));
            const others = subtract(natted, senders);
            if (senders.length > 0 && others.length > 0) {
                reportViolation(violation(REQUIREMENT, handOff.name, `source-NATs ${describe(others)} to ${address} as well as the unit's senders (${describe(senders)}): other hosts' traffic then leaves from the unit's address, which is no longer dedicated to it`, "keep the nat row's source to the proxy (and a VM the flows let call the Internet itself)"), handOff.urn);
            }
            const usesProxy = proxy.length > 0 && [net.web, net.db].some((vm) => vm?.address !== undefined && net.flows.some((f) => covers(f.from, setOf(vm.address!)) && intersect(f.to, proxy).length > 0));
            if (usesProxy && !covers(natted, proxy)) {
                reportViolation(violation(REQUIREMENT, handOff.name, `NATs ${describe(natted)} to ${address} but not the proxy (${describe(proxy)}) the VMs send their calls through`, "keep the proxy as the nat row's source"), handOff.urn);
            }
        }
    },
};
