// The hand-off to the network team, as a resource of the stack: the rules their edge firewall must
// apply and the unit's dedicated address for outgoing web-service calls. Holding them as the
// component's inputs lets the policy pack check the declaration, and the stack exports them.
import * as pulumi from "@pulumi/pulumi";
import { EdgeRule, edgeRules, edgeRulesMarkdown } from "./firewallRules";
import { FlowMatrix } from "./flowMatrix";

export interface EdgeHandOffArgs {
    readonly matrix: FlowMatrix;
    /** The CNRS requirement: the unit's dedicated external address for outgoing web-service calls. */
    readonly egressPublicAddress: string;
}

export class EdgeHandOff extends pulumi.ComponentResource {
    public readonly egressPublicAddress: string;
    public readonly rules: EdgeRule[];
    public readonly markdown: string;

    constructor(name: string, args: EdgeHandOffArgs, opts?: pulumi.ComponentResourceOptions) {
        const rules = edgeRules(args.matrix, args.egressPublicAddress);
        const markdown = edgeRulesMarkdown(rules);
        super("elabftw:firewall:EdgeHandOff", name, { egressPublicAddress: args.egressPublicAddress, rules, markdown }, opts);
        this.egressPublicAddress = args.egressPublicAddress;
        this.rules = rules;
        this.markdown = markdown;
        this.registerOutputs({ egressPublicAddress: this.egressPublicAddress, rules, markdown });
    }
}
