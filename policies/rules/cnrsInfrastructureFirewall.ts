// CNRS « Pare-feu d'infrastructure capable de segmenter les VM convenablement ».
// The switches and defaults of both firewall layers (Proxmox, and nftables in the guests), and the
// default-deny egress, decided on the firewall model.
import { StackValidationPolicy } from "@pulumi/policy";
import { covers, INTERNET } from "../models/ipv4";
import { acceptsEverything, parseRuleset } from "../models/nftables";
import { datacenterInputPolicy, vmPolicy } from "../models/proxmoxFirewall";
import { passingPeers, reach } from "../models/reachability";
import { cnrs, ofType, TYPES, violation } from "./common";
import { stackNetwork } from "./firewallView";

const REQUIREMENT = cnrs("Pare-feu d'infrastructure capable de segmenter les VM convenablement", "an infrastructure firewall able to segment the VMs");
const GUEST_TABLE = "inet elabftw";

export const cnrsInfrastructureFirewall: StackValidationPolicy = {
    name: "cnrs-infrastructure-firewall",
    description:
        "The datacenter firewall is on with input policy DROP; each VM's firewall is on with DROP both ways and its own rules, every NIC filtered; no VM reaches the whole Internet on any port; each VM loads the nftables table inet elabftw with drop policies and no accept-all rule.",
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
        const net = stackNetwork(args.resources);
        const datacenter = ofType(args.resources, TYPES.datacenterFirewall)[0];
        if (!datacenterFirewallManagedElsewhere && (!net.fw.datacenter || net.fw.datacenter.enabled !== true)) {
            reportViolation(violation(REQUIREMENT, "the stack", "does not switch on the datacenter firewall (without it no VM firewall filters)", "set manageClusterFirewall true, or declare datacenterFirewallManagedElsewhere in the policy config"));
        }
        if (net.fw.datacenter && datacenterInputPolicy(net.fw) !== "DROP") {
            reportViolation(violation(REQUIREMENT, "the datacenter firewall", `has the input policy ${datacenterInputPolicy(net.fw)}`, "set its inputPolicy to DROP"), datacenter?.urn);
        }
        for (const vm of net.fw.vms) {
            const urn = ofType(args.resources, TYPES.vm).find((r) => r.props.vmId === vm.vmId)?.urn;
            if (vm.options?.enabled !== true || vmPolicy(vm, "in") !== "DROP" || vmPolicy(vm, "out") !== "DROP") {
                const state = vm.options ? `enabled=${vm.options.enabled ?? "unset"}, input ${vmPolicy(vm, "in")}, output ${vmPolicy(vm, "out")}` : "no firewall options";
                reportViolation(violation(REQUIREMENT, vm.name, `has ${state}, not a firewall enabled with input and output policies DROP`, "give the VM firewall options enabled: true, inputPolicy DROP, outputPolicy DROP"), urn);
            }
            if (vm.rules.length === 0) reportViolation(violation(REQUIREMENT, vm.name, "has no firewall rules of its own", "render the flow matrix's rules for this VM"), urn);
            vm.nics.forEach((filtered, i) => {
                if (!filtered) reportViolation(violation(REQUIREMENT, `${vm.name} net${i}`, "is not filtered by the Proxmox firewall", "set firewall: true on every network device"), urn);
            });
            const egress = reach(net.fw, vm, "out", INTERNET);
            const open = egress.exposures.find((e) => covers(passingPeers(egress, e.proto, e.ports[0]), INTERNET));
            if (open) {
                reportViolation(
                    violation(REQUIREMENT, vm.name, `may send ${open.proto}${open.proto === "icmp" ? "" : `/${open.ports[0]}`} to every Internet address (${open.by}; ${egress.evidence})`, "name the egress networks precisely (egressNetworks) or go through the httpProxy"),
                    urn,
                );
            }
        }
        for (const command of ofType(args.resources, TYPES.command).filter((c) => /apply-nftables\.sh/.test(String(c.props.create ?? "")))) {
            const chains = parseRuleset(String(command.props.stdin ?? "")).filter((c) => c.table === GUEST_TABLE && c.hook);
            if (chains.length === 0) reportViolation(violation(REQUIREMENT, command.name, `loads no base chain in table ${GUEST_TABLE}`, "keep the GuestFirewall's rendered ruleset"), command.urn);
            for (const chain of chains) {
                const acceptAll = chain.rules.find(acceptsEverything);
                if (chain.policy !== "drop" || acceptAll) {
                    reportViolation(violation(REQUIREMENT, `${command.name}: chain ${chain.name}`, acceptAll ? `accepts every packet ("${acceptAll}")` : `has the policy ${chain.policy}`, "keep policy drop and accept only the flow matrix's flows"), command.urn);
                }
            }
        }
    },
};
