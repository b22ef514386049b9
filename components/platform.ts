// The whole reference architecture for one unit: what index.ts instantiates.
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { CloudImage, PlatformConfig, Role } from "./config";
import { Secrets } from "./secrets";
import { SecureVm } from "./secureVm";

export interface ElabftwPlatformArgs {
    readonly config: PlatformConfig;
    readonly sshPrivateKey?: pulumi.Output<string>;
}

/** The OS image's volume id: downloaded once per node, only if its SHA-512 matches, or already there. */
function cloudImageId(name: string, image: CloudImage, config: PlatformConfig, parent: pulumi.Resource): pulumi.Input<string> {
    if (image.kind === "volume") return image.volumeId;
    return new proxmoxve.download.File(
        `${name}-cloud-image`,
        {
            nodeName: config.proxmoxNode,
            datastoreId: config.datastores.import,
            contentType: "import",
            url: image.url,
            fileName: image.fileName,
            checksum: image.sha512,
            checksumAlgorithm: "sha512",
            verify: true,
            overwrite: false,
        },
        { parent },
    ).id;
}

export class ElabftwPlatform extends pulumi.ComponentResource {
    public readonly secrets: Secrets;
    public readonly vms: Readonly<Record<Role, SecureVm>>;

    constructor(name: string, args: ElabftwPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:platform:ElabftwPlatform", name, {}, opts);
        const { config } = args;
        const roles: Role[] = ["web", "db"];
        this.secrets = new Secrets(
            `${name}-secrets`,
            { luksRoles: config.diskEncryption === "guest-luks" ? roles : [], protect: config.stackKind === "production" },
            { parent: this },
        );
        const imageId = cloudImageId(name, config.cloudImage, config, this);
        // Both VMs depend only on the image and the secrets, so Pulumi creates them in parallel.
        const vm = (role: Role) =>
            new SecureVm(
                `${name}-${role}`,
                {
                    spec: config.vms[role],
                    platform: config,
                    cloudImageId: imageId,
                    recoveryPassphrase: this.secrets.luksRecoveryPassphrases[role],
                    sshPrivateKey: args.sshPrivateKey,
                },
                { parent: this },
            );
        this.vms = { web: vm("web"), db: vm("db") };
        this.registerOutputs({});
    }
}
