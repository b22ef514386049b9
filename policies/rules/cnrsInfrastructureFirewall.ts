// CNRS « Pare-feu d'infrastructure capable de segmenter les VM convenablement ».
import { StackValidationPolicy } from "@pulumi/policy";
import { cnrs, isAnywhere, ofType, resolveReference, TYPES, violation } from "./common";

const REQUIREMENT = cnrs("Pare-feu d'infrastructure capable de segmenter les VM convenablement", "an infrastructure firewall able to segment the VMs");

export const cnrsInfrastructureFirewall: StackValidationPolicy = {
    name: "cnrs-infrastructure-firewall",
    description: "The datacenter firewall is on; each VM's firewall is on with DROP policies both ways and its own rules; every NIC has firewall: true; no rule accepts any to any.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            datacenterFirewallManagedElsewhere: {
                type: "boolean",
                default: false,
                description: "True when another stack of the cluster owns the datacenter firewall (manageClusterFirewall: false here).",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { datacenterFirewallManagedElsewhere } = args.getConfig<{ datacenterFirewallManagedElsewhere: boolean }>();
        if (!datacenterFirewallManagedElsewhere && !ofType(args.resources, TYPES.datacenterFirewall).some((f) => f.props.enabled === true)) {
            reportViolation(violation(REQUIREMENT, "the stack", "does not switch on the datacenter firewall (without it no VM firewall filters)", "set manageClusterFirewall true, or declare datacenterFirewallManagedElsewhere in the policy config"));
        }
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const options = ofType(args.resources, TYPES.options).find((o) => o.props.vmId === vm.props.vmId);
            if (!options || options.props.enabled !== true || options.props.inputPolicy !== "DROP" || options.props.outputPolicy !== "DROP") {
                reportViolation(violation(REQUIREMENT, vm.name, "has no firewall enabled with input and output policies DROP", "give the VM firewall options enabled: true, inputPolicy DROP, outputPolicy DROP"), vm.urn);
            }
            if (!ofType(args.resources, TYPES.rules).some((r) => r.props.vmId === vm.props.vmId)) {
                reportViolation(violation(REQUIREMENT, vm.name, "has no firewall rules of its own", "render the flow matrix's rules for this VM"), vm.urn);
            }
            for (const [i, nic] of ((vm.props.networkDevices ?? []) as Record<string, unknown>[]).entries()) {
                if (nic.firewall !== true) reportViolation(violation(REQUIREMENT, `${vm.name} net${i}`, "is not filtered by the Proxmox firewall", "set firewall: true on every network device"), vm.urn);
            }
        }
        for (const list of ofType(args.resources, TYPES.rules)) {
            for (const rule of (list.props.rules ?? []) as Record<string, string>[]) {
                const open = (reference: string | undefined) => resolveReference(reference, args.resources).some(isAnywhere);
                if (rule.action === "ACCEPT" && open(rule.source) && open(rule.dest) && !rule.proto && !rule.dport) {
                    reportViolation(violation(REQUIREMENT, `${list.name}: the rule "${rule.comment ?? ""}"`, "accepts anything from anywhere to anywhere", "remove it: the matrix names every allowed flow"), list.urn);
                }
            }
        }
    },
};
