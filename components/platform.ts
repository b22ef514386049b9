// The whole reference architecture for one unit: what index.ts instantiates.
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { Backup } from "./backup";
import { CloudImage, LoadedConfig, PlatformConfig, Role } from "./config";
import { DatabaseLifecycle, ELABFTW_DIR, ELABFTW_HTTPS_PORT, ElabftwServer, ElabftwSettings, SITE_CA_ON_VM } from "./elabftw";
import { dockerVm, SecureVm } from "./vm";
import { EdgeHandOff, GuestFirewall, ProxmoxFirewall } from "./network";
import { Monitoring } from "./monitoring";
import { DATABASE, MYSQL_EXEC, MysqlServer, OPERATOR_CLIENT_CONFIG, ROOT_CLIENT_CONFIG } from "./database";
import { OPERATOR_COMMON_NAME, PrivateCa, Secrets } from "./pki";

/** The validated config and its secrets, as the config loader returns them. */
export type ElabftwPlatformArgs = LoadedConfig;

/** Where Debian keeps the public CAs: trusted for an institutional site certificate. */
const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** The OS image's volume id on a node: downloaded once per node, used only if its SHA-512 matches; or already there. */
function cloudImageId(name: string, image: CloudImage, node: string, config: PlatformConfig, parent: pulumi.Resource): pulumi.Input<string> {
    if (image.kind === "volume") return image.volumeId;
    return new proxmoxve.download.File(
        `${name}-cloud-image-${node}`,
        {
            nodeName: node,
            datastoreId: config.datastores.import,
            contentType: "import",
            url: image.url,
            // Per unit: a stack never manages (nor deletes) another unit's copy.
            fileName: `${config.unit}-${image.fileName}`,
            checksum: image.sha512,
            checksumAlgorithm: "sha512",
            verify: true,
            overwrite: false,
            // A file of that name the stack did not create is an error, not silently replaced
            // (docs/deploying.md: "The cloud image").
            overwriteUnmanaged: false,
            // The node downloads through the datacenter's http_proxy option, not the workstation's:
            // leave a slow proxy 30 minutes instead of the provider's 600 s.
            uploadTimeout: 1800,
        },
        { parent },
    ).id;
}

/** The site's names for its certificate: the FQDN first, SITE_URL's host, then the web VM's own name and address. */
export function siteNames(config: PlatformConfig): string[] {
    const web = config.vms.web;
    return [config.site.fqdn, new URL(config.site.siteUrl).hostname, `${web.name}.${config.network.searchDomain}`, web.address];
}

/** The DB server certificate's names: DB_HOST first, then the DB VM's own name and address. */
export function dbNames(config: PlatformConfig): string[] {
    const db = config.vms.db;
    return [config.dbHost, `${db.name}.${config.network.searchDomain}`, db.address];
}

export class ElabftwPlatform extends pulumi.ComponentResource {
    public readonly secrets: Secrets;
    public readonly pki: PrivateCa;
    public readonly vms: Readonly<Record<Role, SecureVm>>;
    public readonly mysql: MysqlServer;
    public readonly elabftw: ElabftwServer;
    public readonly lifecycle: DatabaseLifecycle;
    public readonly settings: ElabftwSettings;
    public readonly firewall: ProxmoxFirewall;
    public readonly backup: Backup;
    public readonly edge: EdgeHandOff;

    constructor(name: string, args: ElabftwPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:platform:ElabftwPlatform", name, {}, opts);
        const { config } = args;
        const production = config.stackKind === "production";
        const roles: Role[] = ["web", "db"];
        this.secrets = new Secrets(
            `${name}-secrets`,
            { luksRoles: config.diskEncryption === "guest-luks" ? roles : [], protect: production, existingSecretKey: args.elabftwSecretKey },
            { parent: this },
        );
        const institutional = config.tls.institutionalCertificate;
        this.pki = new PrivateCa(
            `${name}-pki`,
            {
                organization: config.unit,
                dbNames: dbNames(config),
                siteNames: siteNames(config),
                certValidityDays: config.tls.certValidityDays,
                caValidityDays: config.tls.caValidityDays,
                renewBeforeDays: config.tls.renewBeforeDays,
                institutionalHttps: institutional && args.httpsPrivateKey ? { certificateChain: institutional, privateKey: args.httpsPrivateKey } : undefined,
                protect: production,
            },
            { parent: this },
        );

        const nodes = [...new Set(roles.map((role) => config.vms[role].node))].sort();
        // On a shared import storage one download serves every node (a second one would find the file there).
        const sharedImport = config.sharedDatastores.includes(config.datastores.import);
        const downloadNodes = sharedImport ? nodes.slice(0, 1) : nodes;
        const downloaded = new Map(downloadNodes.map((node) => [node, cloudImageId(name, config.cloudImage, node, config, this)]));
        const imageIds = new Map(nodes.map((node) => [node, downloaded.get(node) ?? downloaded.get(nodes[0])!]));
        // The unit's pool: its VMs together, apart from other units' on a shared cluster.
        const pool = new proxmoxve.PoolLegacy(`${name}-pool`, { poolId: config.pool, comment: `eLabFTW of unit ${config.unit} (elabftw-onprem)` }, { parent: this });
        // Both VMs depend only on the image and the secrets, so Pulumi creates them in parallel.
        const vm = (role: Role) =>
            new SecureVm(
                `${name}-${role}`,
                {
                    spec: config.vms[role],
                    platform: config,
                    cloudImageId: imageIds.get(config.vms[role].node)!,
                    pool,
                    recoveryPassphrase: this.secrets.luksRecoveryPassphrases[role],
                    sshPrivateKey: args.sshPrivateKey,
                    haManaged: config.highAvailability,
                    proxmoxApi: args.proxmoxApi,
                },
                { parent: this },
            );
        this.vms = { web: vm("web"), db: vm("db") };
        const { web, db } = this.vms;
        if (config.highAvailability) {
            for (const role of roles) {
                new proxmoxve.HaresourceLegacy(
                    `${name}-${role}-ha`,
                    { resourceId: `vm:${config.vms[role].vmId}`, state: "started", comment: `eLabFTW ${role} VM of unit ${config.unit}` },
                    { parent: this, dependsOn: [this.vms[role].vm] },
                );
            }
        }

        this.firewall = new ProxmoxFirewall(
            `${name}-firewall`,
            {
                matrix: config.flows,
                unit: config.unit,
                vms: {
                    web: { vm: web.vm, vmId: config.vms.web.vmId, address: web.address, node: config.vms.web.node },
                    db: { vm: db.vm, vmId: config.vms.db.vmId, address: db.address, node: config.vms.db.node },
                },
                manageCluster: config.firewall.manageCluster,
                importManagementIpset: config.firewall.importManagementIpset,
            },
            // Production: every rule, alias, IP set, option and the datacenter switch (children inherit protect).
            { parent: this, protect: production },
        );
        this.edge = new EdgeHandOff(`${name}-edge`, { matrix: config.flows, egressPublicAddress: config.endpoints.egressPublic }, { parent: this });
        // What filters each VM's traffic, which its containers wait for (DESIGN: default deny before anything listens).
        const filters: Record<Role, pulumi.Resource[]> = { web: [this.firewall.options.web, this.firewall.rules.web], db: [this.firewall.options.db, this.firewall.rules.db] };
        if (config.firewall.guest) {
            const publishedPorts: Record<Role, number[]> = { web: [ELABFTW_HTTPS_PORT], db: [DATABASE.port] };
            for (const role of roles) {
                const target = this.vms[role];
                filters[role].push(new GuestFirewall(
                    `${name}-${role}-guest-firewall`,
                    { matrix: config.flows, vm: role, vmName: config.vms[role].name, publishedPorts: publishedPorts[role], connection: target.connection, after: target.ready },
                    { parent: this },
                ));
            }
        }

        const backupPlan = { target: config.backup.target, time: config.backup.time, keepDaily: config.backup.keepDaily, keepMonthly: config.backup.keepMonthly, drillCalendar: config.backup.drillCalendar };
        this.backup = new Backup(
            `${name}-backup`,
            {
                unit: config.unit,
                target: config.backup.target,
                hostKey: config.backup.hostKey,
                passphrase: this.secrets.backupPassphrase,
                protect: production,
                vms: { web: { connection: web.connection, ready: web.dataDisk.mounted }, db: { connection: db.connection, ready: db.dataDisk.mounted } },
                plans: {
                    web: { ...backupPlan, role: "web", uploads: `${ELABFTW_DIR}/uploads` },
                    db: { ...backupPlan, role: "db", mysql: { exec: MYSQL_EXEC, operatorConfig: OPERATOR_CLIENT_CONFIG, rootConfig: ROOT_CLIENT_CONFIG } },
                },
                upgradeTriggers: [config.versions.elabftw, config.versions.mysql],
            },
            { parent: this },
        );

        this.mysql = new MysqlServer(
            `${name}-mysql`,
            {
                host: dockerVm(`${name}-db-docker`, db, config.admin.user, this, filters.db),
                version: config.versions.mysql,
                digest: config.imageDigests.mysql,
                timezone: config.site.timezone,
                caCertPem: this.pki.caCertPem,
                server: this.pki.mysqlServer,
                operatorClient: this.pki.operatorClient,
                rootPassword: this.secrets.dbRootPassword,
                userPassword: this.secrets.dbUserPassword,
                operatorSubject: `/O=${config.unit}/CN=${OPERATOR_COMMON_NAME}`,
                webAddress: config.vms.web.address,
                beforeUpgrade: this.backup.beforeUpgrade.db,
                protect: production,
            },
            { parent: this },
        );
        this.elabftw = new ElabftwServer(
            `${name}-elabftw`,
            {
                host: dockerVm(`${name}-web-docker`, web, config.admin.user, this, filters.web),
                version: config.versions.elabftw,
                digest: config.imageDigests.elabftw,
                fqdn: config.site.fqdn,
                siteUrl: config.site.siteUrl,
                timezone: config.site.timezone,
                reverseProxyAddress: config.endpoints.edgeFirewall,
                dbHost: config.dbHost,
                dbAddress: db.address,
                dbCaCertPem: this.pki.caCertPem,
                dbPassword: this.secrets.dbUserPassword,
                secretKey: this.secrets.elabftwSecretKey,
                https: this.pki.https,
                siteCaCertPem: institutional ? undefined : this.pki.caCertPem,
                beforeUpgrade: this.backup.beforeUpgrade.web,
                protect: production,
            },
            { parent: this },
        );
        // How the web VM reaches its own site over HTTPS, verifying it.
        const ownSite = { name: config.site.fqdn, address: web.address, caFile: institutional ? SYSTEM_CA_BUNDLE : SITE_CA_ON_VM };
        // The only place where the web VM waits for the database.
        this.lifecycle = new DatabaseLifecycle(
            `${name}-db-lifecycle`,
            {
                connection: web.connection,
                elabftw: this.elabftw.container,
                mysql: this.mysql.container,
                elabftwVersion: config.versions.elabftw,
                sysadmin: config.sysadmin,
                sysadminPassword: this.secrets.sysadminPassword,
                https: ownSite,
                databaseBackedUp: this.backup.beforeUpgrade.db,
            },
            { parent: this },
        );
        this.settings = new ElabftwSettings(
            `${name}-settings`,
            {
                connection: web.connection,
                settings: config.settings,
                siteUrl: config.site.siteUrl,
                smtpPassword: args.smtpPassword,
                timestampPassword: args.timestampPassword,
                https: ownSite,
                siteHealthy: this.lifecycle.healthy,
                protect: production,
            },
            { parent: this },
        );
        new Monitoring(`${name}-monitoring`, { config, vms: { web: { connection: web.connection, ready: web.dataDisk.mounted }, db: { connection: db.connection, ready: db.dataDisk.mounted } } }, { parent: this });
        this.registerOutputs({});
    }
}
