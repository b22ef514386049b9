// MySQL 8.4 LTS on the DB VM, TLS only: its certificates, key and password files are copied over
// SSH onto the encrypted data disk, and the official image runs with the hardening of eLabFTW's
// example, its data directory on that disk, and 3306 published on the VM's private address only.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { contentLabel, DATA_MOUNT, DockerVm, scriptCommand, vmFiles } from "../vm";
import { IssuedCertificate } from "../pki";

/** uid and gid of the mysql user in the official image. */
export const MYSQL_UID = "999:999";
export const MYSQL_DIR = `${DATA_MOUNT}/mysql`;
export const MYSQL_CONTAINER = "mysql";
export const DATABASE = { name: "elabftw", user: "elabftw", port: 3306 } as const;
/** Where the operator's client certificate waits for host-side tools (mysql client, backups). */
export const OPERATOR_TLS_DIR = `${MYSQL_DIR}/operator`;

const TLS_IN_CONTAINER = "/etc/mysql/tls";
const SECRETS_IN_CONTAINER = "/run/secrets/mysql";
const OPERATOR_TLS_IN_CONTAINER = "/etc/mysql/operator";
/** How host-side scripts (backups, restores) run the MySQL clients: inside the container. */
export const MYSQL_EXEC = `docker exec -i ${MYSQL_CONTAINER}`;
/** Client settings, as seen inside the container: the operator over TLS with its certificate, and root on the socket. */
export const OPERATOR_CLIENT_CONFIG = `${SECRETS_IN_CONTAINER}/operator.cnf`;
export const ROOT_CLIENT_CONFIG = `${SECRETS_IN_CONTAINER}/root.cnf`;
/** The healthcheck's client settings: TCP to the container's own loopback, TLS verified against the CA. */
export const HEALTHCHECK_CLIENT_CONFIG = `${SECRETS_IN_CONTAINER}/healthcheck.cnf`;

/**
 * A client over TCP and TLS as the operator, by its certificate (no password anywhere).
 * 127.0.0.1 is not in the server certificate: verify the chain, not the name, on the loopback.
 */
export function operatorClientConfig(): string {
    return [
        "[client]",
        "user=operator",
        "host=127.0.0.1",
        `port=${DATABASE.port}`,
        "protocol=TCP",
        `ssl-ca=${OPERATOR_TLS_IN_CONTAINER}/ca.pem`,
        `ssl-cert=${OPERATOR_TLS_IN_CONTAINER}/client-cert.pem`,
        `ssl-key=${OPERATOR_TLS_IN_CONTAINER}/client-key.pem`,
        "ssl-mode=VERIFY_CA",
        "",
    ].join("\n");
}

/** The healthcheck: `mysqladmin ping` over TCP with TLS (it passes once the real server answers, even before the operator account exists). */
export function mysqlHealthcheck(): string[] {
    return ["CMD", "mysqladmin", `--defaults-extra-file=${HEALTHCHECK_CLIENT_CONFIG}`, "ping"];
}

export interface MysqlServerArgs {
    /** Production: `pulumi destroy` cannot delete the container (an upgrade unprotects it first: docs/operating.md). */
    readonly protect?: boolean;
    readonly host: DockerVm;
    readonly version: string;
    /** Registry digest: pulled as mysql:<version>@<digest>. */
    readonly digest?: string;
    readonly timezone: string;
    readonly caCertPem: pulumi.Input<string>;
    readonly server: IssuedCertificate;
    readonly operatorClient: IssuedCertificate;
    readonly rootPassword: pulumi.Output<string>;
    readonly userPassword: pulumi.Output<string>;
    /** The only address the elabftw account may connect from. */
    readonly webAddress: string;
    /** The operator certificate's subject (/O=.../CN=...): the MySQL account of the backups requires it. */
    readonly operatorSubject: string;
    /** An upgrade's fresh backup, which must come before the container is replaced. */
    readonly beforeUpgrade?: pulumi.Resource;
}

/** The operator account: no password, the client certificate is the credential; read-only for mysqldump. */
export function operatorAccountSql(subject: string): string {
    const account = "'operator'@'%'";
    return [
        `CREATE USER IF NOT EXISTS ${account} REQUIRE SUBJECT '${subject}';`,
        `ALTER USER ${account} REQUIRE SUBJECT '${subject}';`,
        `GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON \`${DATABASE.name}\`.* TO ${account};`,
        `GRANT SHOW_ROUTINE ON *.* TO ${account};`,
        "",
    ].join("\n");
}

/** Starts mysqld TLS-only: TLS 1.2 or 1.3, with the private CA's certificate. */
export function mysqldCommand(): string[] {
    return [
        "mysqld",
        "--require-secure-transport=ON",
        "--tls-version=TLSv1.2,TLSv1.3",
        `--ssl-ca=${TLS_IN_CONTAINER}/ca.pem`,
        `--ssl-cert=${TLS_IN_CONTAINER}/server-cert.pem`,
        `--ssl-key=${TLS_IN_CONTAINER}/server-key.pem`,
    ];
}

export class MysqlServer extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** The backups' MySQL account exists. */
    public readonly operatorAccount: command.remote.Command;

    constructor(name: string, args: MysqlServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:app:MysqlServer", name, {}, opts);
        const { file, directory } = vmFiles(name, { connection: args.host.connection, ready: args.host.ready }, this);

        const files = [
            file("tls-ca", `${MYSQL_DIR}/tls/ca.pem`, "0:0", "0444", args.caCertPem, false),
            file("tls-cert", `${MYSQL_DIR}/tls/server-cert.pem`, "0:0", "0444", args.server.certPem, false),
            // Readable by mysqld (uid 999) alone.
            file("tls-key", `${MYSQL_DIR}/tls/server-key.pem`, MYSQL_UID, "0400", args.server.privateKeyPem, true),
            // The image reads the passwords from files (…_FILE), keeping them out of `docker inspect`.
            file("root-password", `${MYSQL_DIR}/secrets/root-password`, MYSQL_UID, "0400", args.rootPassword, true),
            file("user-password", `${MYSQL_DIR}/secrets/elabftw-password`, MYSQL_UID, "0400", args.userPassword, true),
            // No password: the healthcheck logs in as the operator, by certificate, over TCP with TLS.
            file("healthcheck-cnf", `${MYSQL_DIR}/secrets/healthcheck.cnf`, MYSQL_UID, "0400", operatorClientConfig(), false),
            file("operator-ca", `${OPERATOR_TLS_DIR}/ca.pem`, "0:0", "0444", args.caCertPem, false),
            file("operator-cert", `${OPERATOR_TLS_DIR}/client-cert.pem`, "0:0", "0444", args.operatorClient.certPem, false),
            file("operator-key", `${OPERATOR_TLS_DIR}/client-key.pem`, "0:0", "0400", args.operatorClient.privateKeyPem, true),
            file("operator-cnf", `${MYSQL_DIR}/secrets/operator.cnf`, MYSQL_UID, "0400", operatorClientConfig(), false),
            file("root-cnf", `${MYSQL_DIR}/secrets/root.cnf`, MYSQL_UID, "0400", pulumi.interpolate`[client]\nuser=root\npassword=${args.rootPassword}\nprotocol=socket\n`, true),
            directory("datadir", `${MYSQL_DIR}/data`, MYSQL_UID, "0750"),
        ];

        const image = new docker.RemoteImage(
            `${name}-image`,
            { name: `mysql:${args.version}${args.digest ? `@${args.digest}` : ""}`, keepLocally: true },
            { parent: this, provider: args.host.provider, dependsOn: [args.host.ready, ...args.host.firewall] },
        );

        this.container = new docker.Container(
            `${name}-container`,
            {
                name: MYSQL_CONTAINER,
                image: image.imageId,
                command: mysqldCommand(),
                envs: [
                    `MYSQL_DATABASE=${DATABASE.name}`,
                    `MYSQL_PASSWORD_FILE=${SECRETS_IN_CONTAINER}/elabftw-password`,
                    // The image's default '%' creates root@'%': root is for the local socket only.
                    "MYSQL_ROOT_HOST=localhost",
                    `MYSQL_ROOT_PASSWORD_FILE=${SECRETS_IN_CONTAINER}/root-password`,
                    `MYSQL_USER=${DATABASE.user}`,
                    `TZ=${args.timezone}`,
                ],
                mounts: [
                    { type: "bind", source: `${MYSQL_DIR}/data`, target: "/var/lib/mysql" },
                    { type: "bind", source: `${MYSQL_DIR}/tls`, target: TLS_IN_CONTAINER, readOnly: true },
                    { type: "bind", source: `${MYSQL_DIR}/secrets`, target: SECRETS_IN_CONTAINER, readOnly: true },
                    { type: "bind", source: OPERATOR_TLS_DIR, target: OPERATOR_TLS_IN_CONTAINER, readOnly: true },
                ],
                ports: [{ internal: DATABASE.port, external: DATABASE.port, ip: args.host.address, protocol: "tcp" }],
                capabilities: { drops: ["AUDIT_WRITE", "MKNOD", "NET_RAW", "SETFCAP", "SYS_CHROOT"], adds: ["SYS_NICE"] },
                securityOpts: ["no-new-privileges:true"],
                healthcheck: {
                    tests: mysqlHealthcheck(),
                    interval: "10s",
                    timeout: "5s",
                    retries: 6,
                    startPeriod: "60s",
                },
                labels: [contentLabel("org.elabftw-onprem.tls-sha256", args.caCertPem, args.server.certPem)],
                logDriver: "journald",
                logOpts: { tag: MYSQL_CONTAINER },
                restart: "always",
                mustRun: true,
                // Creation returns once the healthcheck passes: what comes next may use the database.
                wait: true,
                waitTimeout: 300,
                // InnoDB flushes on a clean shutdown: give it time.
                stopTimeout: 120,
                destroyGraceSeconds: 120,
            },
            // A fixed name and port: the old container must go before its replacement starts.
            { parent: this, provider: args.host.provider, dependsOn: [...files, ...(args.beforeUpgrade ? [args.beforeUpgrade] : [])], deleteBeforeReplace: true , protect: args.protect },
        );
        // Retries until the real server answers over TCP with TLS, then sets the accounts as root on the socket.
        this.operatorAccount = new command.remote.Command(
            `${name}-operator-account`,
            {
                connection: args.host.connection,
                create: scriptCommand("mysql-accounts.sh", [
                    "--container", MYSQL_CONTAINER,
                    "--web-address", args.webAddress,
                    "--tcp-config", HEALTHCHECK_CLIENT_CONFIG,
                    "--root-config", ROOT_CLIENT_CONFIG,
                ]),
                stdin: operatorAccountSql(args.operatorSubject),
            },
            { parent: this, dependsOn: [this.container] },
        );
        this.registerOutputs({});
    }
}
