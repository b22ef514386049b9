// Every secret the platform generates, made with @pulumi/random so it is stored encrypted in the
// state and only ever handled as a secret Output.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Role } from "./config";

export interface SecretsArgs {
    /** Roles whose data disk is LUKS-encrypted in the guest and so needs a recovery passphrase. */
    readonly luksRoles: readonly Role[];
    /** Production stacks protect the secrets: replacing one would orphan what it encrypts. */
    readonly protect: boolean;
}

export class Secrets extends pulumi.ComponentResource {
    /** LUKS recovery passphrase of each VM's data disk: typed at the console if the vTPM cannot unlock it. */
    public readonly luksRecoveryPassphrases: Partial<Record<Role, pulumi.Output<string>>>;

    constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:secrets:Secrets", name, {}, opts);
        const childOpts = { parent: this, protect: args.protect };
        this.luksRecoveryPassphrases = Object.fromEntries(
            args.luksRoles.map((role) => [
                role,
                // 48 letters and digits (~285 bits): strong, and typeable at a VM console.
                new random.RandomPassword(`${name}-luks-recovery-${role}`, { length: 48, special: false }, childOpts).result,
            ]),
        );
        this.registerOutputs({});
    }
}
