// Every secret the platform generates, made with @pulumi/random so it is stored encrypted in the
// state and only ever handled as a secret Output.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Role } from "../config";
import { defuseAsciiSafeKey } from "./defuseKey";

export interface SecretsArgs {
    /** Roles whose data disk is LUKS-encrypted in the guest and so needs a recovery passphrase. */
    readonly luksRoles: readonly Role[];
    /** Production stacks protect the secrets: replacing one would orphan what it encrypts. */
    readonly protect: boolean;
    /** An escrowed SECRET_KEY to reuse (a unit rebuilt from its backups) instead of a new one. */
    readonly existingSecretKey?: pulumi.Output<string>;
}

/** Special characters of the sysadmin password: none that a shell, sed or YAML would reinterpret. */
export const SYSADMIN_PASSWORD_SPECIALS = "!#%+,-.:=?@^_~";

export class Secrets extends pulumi.ComponentResource {
    /** LUKS recovery passphrase of each VM's data disk: typed at the console if the vTPM cannot unlock it. */
    public readonly luksRecoveryPassphrases: Partial<Record<Role, pulumi.Output<string>>>;
    /** MySQL root: used only by the image's first initialisation and by operators. */
    public readonly dbRootPassword: pulumi.Output<string>;
    /** MySQL account `elabftw`. Alphanumeric: eLabFTW's entrypoint substitutes it with sed. */
    public readonly dbUserPassword: pulumi.Output<string>;
    /** eLabFTW's SECRET_KEY (defuse ASCII-safe format). Changing it makes stored credentials undecryptable. */
    public readonly elabftwSecretKey: pulumi.Output<string>;
    /** The first eLabFTW sysadmin's password. */
    public readonly sysadminPassword: pulumi.Output<string>;
    /** Opens the Borg repositories (with their keys, stored in them: repokey mode). */
    public readonly backupPassphrase: pulumi.Output<string>;

    constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:secrets:Secrets", name, {}, opts);
        const childOpts = { parent: this, protect: args.protect };
        const alphanumeric = (role: string, length: number) =>
            new random.RandomPassword(`${name}-${role}`, { length, special: false }, childOpts).result;

        this.luksRecoveryPassphrases = Object.fromEntries(
            // 48 letters and digits (~285 bits): strong, and typeable at a VM console.
            args.luksRoles.map((role) => [role, alphanumeric(`luks-recovery-${role}`, 48)]),
        );
        this.dbRootPassword = alphanumeric("db-root-password", 40);
        this.dbUserPassword = alphanumeric("db-user-password", 40);
        this.backupPassphrase = alphanumeric("backup-passphrase", 48);
        if (args.existingSecretKey) {
            this.elabftwSecretKey = pulumi.secret(args.existingSecretKey);
        } else {
            // 64 hex digits = 32 random bytes. Not random.RandomBytes: its resource id is the base64
            // of the bytes, kept in plaintext in the state (found under the real engine); a
            // RandomPassword's id is "none" and its result is a secret.
            const keyHex = new random.RandomPassword(
                `${name}-elabftw-secret-key-hex`,
                { length: 64, upper: false, lower: false, numeric: true, special: true, overrideSpecial: "abcdef" },
                childOpts,
            ).result;
            this.elabftwSecretKey = pulumi.secret(keyHex.apply(defuseAsciiSafeKey));
        }
        this.sysadminPassword = new random.RandomPassword(
            `${name}-sysadmin-password`,
            { length: 32, minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2, overrideSpecial: SYSADMIN_PASSWORD_SPECIALS },
            childOpts,
        ).result;
        this.registerOutputs({});
    }
}
