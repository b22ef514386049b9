// CNRS « Pas d'accès depuis l'extérieur : accès via VPN pour utilisateurs en télétravail ».
// Decided on what the Proxmox firewall does with packets (policies/models/proxmoxFirewall.ts), not
// on how the rules are written: every packet class from the forbidden peers is evaluated.
import { StackValidationPolicy } from "@pulumi/policy";
import { PVE_TYPES } from "../models/pveResources";
import { describeExposure } from "../models/reachability";
import { HandOffRow, inboundFromOutside } from "../models/handOff";
import { cnrs, dockerHostAddress, isAnywhere, knownOrUndefined, ofType, TYPES, violation, vmAddress, waitsFor } from "./common";
import { outsideAccessFindings, stackNetwork } from "./firewallView";
import { guestLayerFindings } from "./guestFirewallView";
import { deployedScripts } from "./deployedText";
import { reverseTunnel } from "../models/hostAccess";
import { effectiveCommand, pipelines } from "../models/shell";

const REQUIREMENT = cnrs("Pas d'accès depuis l'extérieur : accès via VPN pour utilisateurs en télétravail", "no access from outside; remote users through the VPN");
const DB_PORT = 3306;


export const cnrsNoOutsideAccess: StackValidationPolicy = {
    name: "cnrs-no-access-from-outside",
    description:
        "On each firewall layer alone (Proxmox, and the guest's nftables): no packet from the VPN clients, the lab subnet or any address outside the server and admin networks reaches the DB VM on any port; HTTPS reaches the web VM only from the edge firewall; nothing from the Internet reaches either VM; MySQL is published on the DB VM's private address only; every container waits for its VM's firewall options, and no firewall object waits for a container (nothing listens before the firewall filters); no SSH remote forwarding (-R, RemoteForward, autossh) from a VM: its far end would let the outside in.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const vms = ofType(args.resources, TYPES.vm);
        for (const finding of outsideAccessFindings(stackNetwork(args.resources))) {
            if (finding.exposures.length === 0) continue;
            const shown = finding.exposures.slice(0, 3).map(describeExposure).join("; ");
            const more = finding.exposures.length > 3 ? ` and ${finding.exposures.length - 3} more packet classes` : "";
            const vm = vms.find((v) => v.props.vmId === finding.vm.vmId);
            reportViolation(
                violation(REQUIREMENT, finding.vm.name, `breaks "${finding.statement}": ${shown}${more} (${finding.reach.evidence})`, "remove or narrow the rule (extraFlows, security groups, IP sets) so the flow matrix's peers alone are accepted"),
                vm?.urn,
            );
        }
        // Each layer on its own: the guest's nftables must keep the same packets out.
        for (const finding of guestLayerFindings(stackNetwork(args.resources), args.resources).filter((f) => f.exposures.length > 0)) {
            const more = finding.exposures.length > 3 ? ` and ${finding.exposures.length - 3} more packet classes` : "";
            reportViolation(
                violation(REQUIREMENT, `${finding.vmName}'s in-guest nftables layer (${finding.resource.name})`, `alone breaks "${finding.statement}": ${finding.exposures.slice(0, 3).join("; ")}${more} (${finding.evidence})`, "keep the guest ruleset's drop policies and accept only the flow matrix's peers, whatever the Proxmox firewall does"),
                finding.resource.urn,
            );
        }
        // The edge hand-off: what the network team applies decides who reaches the edge from outside.
        for (const handOff of ofType(args.resources, TYPES.edgeHandOff)) {
            const rows = knownOrUndefined(() => handOff.props.rules as HandOffRow[]) ?? [];
            for (const row of inboundFromOutside(rows)) {
                reportViolation(violation(REQUIREMENT, `${handOff.name}'s edge row ${row.row}`, `lets ${row.from} (outside the unit's private networks) reach ${row.to} on ${row.port}`, "only the VPN clients reach the unit: keep the flow matrix's sources (vpnClientsNetwork, edgeFirewallAddress) and no extraFlows from the Internet"), handOff.urn);
            }
        }
        // Order: a VM's Proxmox firewall filters before anything listens on it. A container created before
        // the VM's options (or with options that wait for it) publishes its port on an unfiltered VM.
        for (const vm of vms) {
            const filters = args.resources.filter((r) => (r.type === PVE_TYPES.options || r.type === PVE_TYPES.rules) && knownOrUndefined(() => r.props.vmId) === vm.props.vmId);
            const containers = ofType(args.resources, TYPES.container).filter((c) => dockerHostAddress(c) === vmAddress(vm));
            for (const filter of filters) {
                for (const container of containers.filter((c) => waitsFor(filter).some((d) => d.urn === c.urn))) {
                    reportViolation(violation(REQUIREMENT, filter.name, `waits for the container ${container.name}: on a new VM, the container listens for as long as ${vm.name}'s firewall is not in place`, "the firewall comes first: no dependency of the firewall on the VM's containers"), filter.urn);
                }
            }
            const options = filters.filter((f) => f.type === PVE_TYPES.options);
            for (const container of containers.filter((c) => options.length > 0 && !options.some((o) => waitsFor(c).some((d) => d.urn === o.urn)))) {
                reportViolation(violation(REQUIREMENT, container.name, `is created without waiting for ${vm.name}'s firewall options: on a new VM it may listen before the firewall is enabled`, "make the container depend on the VM's firewall (the platform passes it as the Docker host's firewall)"), container.urn);
            }
        }
        // A tunnel the VM opens itself (ssh -R through the proxy's CONNECT, say) lets whoever reaches the far end in.
        for (const s of deployedScripts(args.resources)) {
            for (const tunnel of pipelines(s.script).flatMap((p) => p.stages).map((stage) => reverseTunnel(effectiveCommand(stage).argv)).filter((t): t is string => t !== undefined)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `runs \`${tunnel}\`: the far end of that SSH connection listens for the VM, so whoever reaches it reaches the VM's services from outside, past both firewalls and the VPN`, "remove the tunnel: remote users come in through the VPN and the edge firewall only"), s.resource.urn);
            }
        }
        const vmAddresses = new Set(vms.map(vmAddress));
        for (const container of ofType(args.resources, TYPES.container)) {
            for (const port of (container.props.ports ?? []) as Record<string, any>[]) {
                if (port.internal !== DB_PORT && port.external !== DB_PORT) continue;
                if (!port.ip || isAnywhere(port.ip) || !vmAddresses.has(port.ip)) {
                    reportViolation(violation(REQUIREMENT, `${container.name}`, `publishes the MySQL port on ${port.ip || "every address"}`, "publish 3306 on the database VM's private address only"), container.urn);
                }
            }
        }
    },
};
