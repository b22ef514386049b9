// The dossier's evidence for the firewall requirements, from the evaluation the pack itself runs.
import { PolicyResource } from "@pulumi/policy";
import { segmentation, stackNetwork } from "./firewallView";
import { guestBeyondMatrix } from "./guestFirewallView";

/**
 * The dossier's evidence for the segmentation, from the same evaluation the pack runs: for each VM
 * and direction on the Proxmox layer, then for each guest ruleset, whether anything passes beyond
 * the flow matrix and how much of the packet space was evaluated.
 */
export function segmentationEvidence(resources: readonly PolicyResource[]): string[] {
    const net = stackNetwork(resources);
    const proxmox = net.fw.vms.flatMap((vm) =>
        (["in", "out"] as const).map((direction) => {
            const result = segmentation(net, vm, direction);
            const statement = `on the Proxmox layer, ${vm.name} ${direction === "in" ? "accepts" : "may open"} nothing beyond the flow matrix`;
            return `${result.exposures.length === 0 ? "holds" : `BROKEN (${result.exposures.length} packet classes)`}: ${statement} (${result.evidence})`;
        }),
    );
    const guest = guestBeyondMatrix(net, resources).map((f) => `${f.exposures.length === 0 ? "holds" : `BROKEN (${f.exposures.length} packet classes)`}: in its own nftables, ${f.statement} (${f.evidence})`);
    return [...proxmox, ...guest];
}
