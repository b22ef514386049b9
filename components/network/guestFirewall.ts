// The flow matrix enforced a second time inside each VM, with nftables: defence in depth behind
// the Proxmox firewall. The ruleset is installed over SSH and applied at every boot.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { FlowMatrix } from "./flowMatrix";
import { nftablesRuleset, VmEndpoint } from "./firewallRules";
import { scriptCommand } from "../vm";

export interface GuestFirewallArgs {
    readonly matrix: FlowMatrix;
    readonly vm: VmEndpoint;
    readonly vmName: string;
    /** Ports the VM's containers publish, which Docker forwards after DNAT. */
    readonly publishedPorts: readonly number[];
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** cloud-init is done (nftables is installed). */
    readonly after: pulumi.Resource;
}

export class GuestFirewall extends pulumi.ComponentResource {
    public readonly applied: command.remote.Command;

    constructor(name: string, args: GuestFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:firewall:GuestFirewall", name, {}, opts);
        this.applied = new command.remote.Command(
            `${name}-nftables`,
            {
                connection: args.connection,
                create: scriptCommand("apply-nftables.sh"),
                stdin: nftablesRuleset(args.matrix, args.vm, args.vmName, args.publishedPorts),
            },
            { parent: this, dependsOn: [args.after] },
        );
        this.registerOutputs({});
    }
}
