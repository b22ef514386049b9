// eLabFTW's database lifecycle, on the web VM over SSH: install the schema and the first sysadmin
// once (idempotent, never `-r`), migrate with db:update + db:check whenever the eLabFTW version
// changes, then wait until the site answers its healthcheck over HTTPS.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ELABFTW_CONTAINER, ELABFTW_DIR } from "./elabftwServer";
import { scriptCommand } from "../vm";

/** The read-write sysadmin API key db:install prints, root-only on the web VM's encrypted disk. */
export const SYSADMIN_API_KEY_FILE = `${ELABFTW_DIR}/secrets/sysadmin-api-key`;

export interface DatabaseLifecycleArgs {
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    readonly elabftw: docker.Container;
    /** Created only once MySQL is healthy (the container waits for its healthcheck). */
    readonly mysql: docker.Container;
    readonly elabftwVersion: string;
    readonly sysadmin: { readonly email: string; readonly firstName: string; readonly lastName: string };
    readonly sysadminPassword: pulumi.Output<string>;
    readonly https: { readonly name: string; readonly address: string; readonly caFile: string };
    /** The database's fresh backup before an upgrade: db:update waits for it. */
    readonly databaseBackedUp?: pulumi.Resource;
}

export class DatabaseLifecycle extends pulumi.ComponentResource {
    public readonly install: command.remote.Command;
    public readonly update: command.remote.Command;
    public readonly healthy: command.remote.Command;

    constructor(name: string, args: DatabaseLifecycleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:app:DatabaseLifecycle", name, {}, opts);
        const { sysadmin } = args;
        this.install = new command.remote.Command(
            `${name}-install`,
            {
                connection: args.connection,
                create: scriptCommand("elabftw-db-install.sh", [
                    "--container", ELABFTW_CONTAINER,
                    "--email", sysadmin.email,
                    "--firstname", sysadmin.firstName,
                    "--lastname", sysadmin.lastName,
                    "--key-file", SYSADMIN_API_KEY_FILE,
                ]),
                stdin: pulumi.secret(args.sysadminPassword),
                // Secret outputs are masked in the state, not in what the provider logs (stdoutAndStderr by default).
                logging: "none",
            },
            // The script withholds the API key from its output; keep the output secret all the same.
            { parent: this, dependsOn: [args.elabftw, args.mysql], additionalSecretOutputs: ["stdout", "stderr"] },
        );
        // Runs on creation and again whenever the version changes, after the new container is up.
        this.update = new command.remote.Command(
            `${name}-update`,
            {
                connection: args.connection,
                create: scriptCommand("elabftw-db-update.sh", ["--container", ELABFTW_CONTAINER]),
                triggers: [args.elabftwVersion],
            },
            { parent: this, dependsOn: [this.install, args.elabftw, ...(args.databaseBackedUp ? [args.databaseBackedUp] : [])] },
        );
        this.healthy = new command.remote.Command(
            `${name}-https-healthcheck`,
            {
                connection: args.connection,
                create: scriptCommand("wait-https.sh", ["--name", args.https.name, "--address", args.https.address, "--cacert", args.https.caFile]),
                triggers: [args.elabftw.id, args.elabftwVersion],
            },
            { parent: this, dependsOn: [this.update] },
        );
        this.registerOutputs({});
    }
}
