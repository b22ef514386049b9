// eLabFTW on the web VM: the pinned elabftw/elabimg image with the official environment, TLS to
// MySQL verified against the private CA (DB_CERT_PATH), HTTPS with the CA-issued or institutional
// certificate, uploads on the encrypted disk owned by 101:101, 443 on the private address only.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { contentLabel, DATA_MOUNT, DockerVm, vmFiles } from "../vm";
import { DATABASE } from "../database";
import { isIpv4 } from "../network";
import { IssuedCertificate } from "../pki";

export const ELABFTW_DIR = `${DATA_MOUNT}/elabftw`;
export const ELABFTW_CONTAINER = "elabftw";
/** uid:gid of nginx and php-fpm in elabimg 5.x: the owner of the uploads. */
export const ELABFTW_UID = "101:101";
export const DB_CA_IN_CONTAINER = "/etc/elabftw/mysql-ca.pem";
export const ELABFTW_HTTPS_PORT = 443;
/** The site's CA, kept on the VM for the post-deploy HTTPS check. */
export const SITE_CA_ON_VM = `${ELABFTW_DIR}/tls/site-ca.pem`;

export interface ElabftwServerArgs {
    /** Production: `pulumi destroy` cannot delete the container (an upgrade unprotects it first: docs/operating.md). */
    readonly protect?: boolean;
    readonly host: DockerVm;
    readonly version: string;
    /** Registry digest: pulled as elabftw/elabimg:<version>@<digest>. */
    readonly digest?: string;
    readonly fqdn: string;
    readonly siteUrl: string;
    readonly timezone: string;
    /** The edge firewall / reverse proxy: the only client whose X-Forwarded-For eLabFTW trusts. */
    readonly reverseProxyAddress: string;
    readonly dbHost: string;
    readonly dbAddress: string;
    readonly dbCaCertPem: pulumi.Input<string>;
    readonly dbPassword: pulumi.Output<string>;
    readonly secretKey: pulumi.Output<string>;
    /** The site's chain (leaf first) and key. */
    readonly https: IssuedCertificate;
    /** The CA the HTTPS check trusts: the private CA's certificate, or the system bundle for an institutional one. */
    readonly siteCaCertPem?: pulumi.Input<string>;
    /** An upgrade's fresh backup of the uploads, which must come before the container is replaced. */
    readonly beforeUpgrade?: pulumi.Resource;
}

/**
 * The container's environment: the two entries that hold generated secrets first, each its own
 * element (a preview knows every other entry, and Docker keeps the last assignment of a name, so no
 * unknown entry can hide a setting the policies read), then the rest sorted so that two runs
 * produce the same inputs.
 */
export function elabftwEnvironment(args: ElabftwServerArgs): pulumi.Input<string>[] {
    return [
        pulumi.interpolate`DB_PASSWORD=${args.dbPassword}`,
        pulumi.interpolate`SECRET_KEY=${args.secretKey}`,
        ...[
            "AUTO_DB_INIT=false",
            "AUTO_DB_UPDATE=false",
            `DB_CERT_PATH=${DB_CA_IN_CONTAINER}`,
            `DB_HOST=${args.dbHost}`,
            `DB_NAME=${DATABASE.name}`,
            `DB_PORT=${DATABASE.port}`,
            `DB_USER=${DATABASE.user}`,
            "DISABLE_HTTPS=false",
            // true: read the mounted /ssl/live/<SERVER_NAME>/ certificate instead of making a self-signed one.
            "ENABLE_LETSENCRYPT=true",
            `PHP_TIMEZONE=${args.timezone}`,
            `SERVER_NAME=${args.fqdn}`,
            "SET_REAL_IP=true",
            `SET_REAL_IP_FROM=${args.reverseProxyAddress}`,
            `SITE_URL=${args.siteUrl}`,
            `TZ=${args.timezone}`,
        ].sort(),
    ];
}

export class ElabftwServer extends pulumi.ComponentResource {
    public readonly container: docker.Container;

    constructor(name: string, args: ElabftwServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:app:ElabftwServer", name, {}, opts);
        const { file, directory } = vmFiles(name, { connection: args.host.connection, ready: args.host.ready }, this);
        const sslDir = `${ELABFTW_DIR}/ssl/live/${args.fqdn}`;

        const prepared = [
            directory("uploads", `${ELABFTW_DIR}/uploads`, ELABFTW_UID, "0750"),
            file("db-ca", `${ELABFTW_DIR}/tls/mysql-ca.pem`, "0:0", "0444", args.dbCaCertPem, false),
            file("https-chain", `${sslDir}/fullchain.pem`, "0:0", "0444", args.https.certPem, false),
            // Readable by the web server whether it reads it as root or as uid 101.
            file("https-key", `${sslDir}/privkey.pem`, "0:101", "0440", args.https.privateKeyPem, true),
            ...(args.siteCaCertPem ? [file("site-ca", SITE_CA_ON_VM, "0:0", "0444", args.siteCaCertPem, false)] : []),
        ];

        const image = new docker.RemoteImage(
            `${name}-image`,
            { name: `elabftw/elabimg:${args.version}${args.digest ? `@${args.digest}` : ""}`, keepLocally: true },
            { parent: this, provider: args.host.provider, dependsOn: [args.host.ready, ...args.host.firewall] },
        );

        this.container = new docker.Container(
            `${name}-container`,
            {
                name: ELABFTW_CONTAINER,
                image: image.imageId,
                envs: elabftwEnvironment(args),
                // DB_HOST must resolve to the DB VM even without a DNS record: the certificate carries the name.
                hosts: isIpv4(args.dbHost) ? [] : [{ host: args.dbHost, ip: args.dbAddress }],
                mounts: [
                    { type: "bind", source: `${ELABFTW_DIR}/uploads`, target: "/elabftw/uploads" },
                    { type: "bind", source: `${ELABFTW_DIR}/ssl`, target: "/ssl", readOnly: true },
                    { type: "bind", source: `${ELABFTW_DIR}/tls/mysql-ca.pem`, target: DB_CA_IN_CONTAINER, readOnly: true },
                ],
                ports: [{ internal: ELABFTW_HTTPS_PORT, external: ELABFTW_HTTPS_PORT, ip: args.host.address, protocol: "tcp" }],
                capabilities: { drops: ["ALL"], adds: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"] },
                securityOpts: ["no-new-privileges:true"],
                labels: [contentLabel("org.elabftw-onprem.tls-sha256", args.dbCaCertPem, args.https.certPem)],
                logDriver: "journald",
                logOpts: { tag: ELABFTW_CONTAINER },
                restart: "always",
                mustRun: true,
            },
            { parent: this, provider: args.host.provider, dependsOn: [...prepared, ...(args.beforeUpgrade ? [args.beforeUpgrade] : [])], deleteBeforeReplace: true , protect: args.protect },
        );
        this.registerOutputs({});
    }
}
