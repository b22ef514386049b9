// A file put on a VM over SSH by install-file.sh: content through stdin (secret when it is a key
// or a password), owner and mode set before the file appears under its final name.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { scriptCommand } from "./remoteScript";

export interface RemoteFileArgs {
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    readonly path: string;
    /** Numeric "uid:gid", as seen inside the containers that read the file. */
    readonly owner: string;
    readonly mode: string;
    readonly content: pulumi.Input<string>;
    /** Keys and passwords: kept secret in the state and never on a command line. */
    readonly secret: boolean;
}

export function remoteFile(name: string, args: RemoteFileArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: args.connection,
            create: scriptCommand("install-file.sh", ["--path", args.path, "--owner", args.owner, "--mode", args.mode]),
            stdin: args.secret ? pulumi.secret(args.content) : args.content,
        },
        opts,
    );
}

/** A directory for a bind mount (Docker refuses a bind mount whose source is missing). */
export function remoteDirectory(
    name: string,
    args: { readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>; readonly path: string; readonly owner: string; readonly mode: string },
    opts: pulumi.CustomResourceOptions,
): command.remote.Command {
    const [uid, gid] = args.owner.split(":");
    return new command.remote.Command(
        name,
        { connection: args.connection, create: ["sudo", "install", "-d", "-o", uid, "-g", gid, "-m", args.mode, args.path].join(" ") },
        opts,
    );
}

/** Files and folders on one VM, created once it is ready, named `<prefix>-<role>`. */
export function vmFiles(
    prefix: string,
    vm: { readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>; readonly ready: pulumi.Resource },
    parent: pulumi.Resource,
) {
    const opts = { parent, dependsOn: [vm.ready] };
    return {
        file: (role: string, path: string, owner: string, mode: string, content: pulumi.Input<string>, secret: boolean) =>
            remoteFile(`${prefix}-${role}`, { connection: vm.connection, path, owner, mode, content, secret }, opts),
        directory: (role: string, path: string, owner: string, mode: string) =>
            remoteDirectory(`${prefix}-${role}`, { connection: vm.connection, path, owner, mode }, opts),
    };
}
