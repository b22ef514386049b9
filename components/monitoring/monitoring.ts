// The daily alarms on both VMs: the status and alarm scripts installed under /usr/local/sbin, the
// alarm service and its timer, enabled once the data disk is mounted. Read-only on the VMs; what
// they log goes to syslog under stable tags (statusPlan.ts), carried by the existing forwarding.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig, Role } from "../config";
import { MYSQL_CONTAINER, MYSQL_DIR, MYSQL_EXEC, OPERATOR_CLIENT_CONFIG, OPERATOR_TLS_DIR } from "../database";
import { ELABFTW_CONTAINER, ELABFTW_DIR, ELABFTW_HTTPS_PORT, SITE_CA_ON_VM } from "../elabftw";
import { CA_RENEWAL_FACTOR } from "../pki";
import { DATA_DISK_DEVICE, LUKS_NAME, scriptText, vmFiles } from "../vm";
import { ALARMS_SCRIPT, alarmUnits, AreaConstants, SCRIPT_DIR, STATUS_SCRIPT, statusArgs, UNIT_DIR } from "./statusPlan";

/** The other areas' constants the checks need, read from their exports (the tool uses this too). */
export function areaConstants(config: PlatformConfig): AreaConstants {
    return {
        luksName: LUKS_NAME,
        luksDevice: DATA_DISK_DEVICE,
        containers: { web: ELABFTW_CONTAINER, db: MYSQL_CONTAINER },
        // As ElabftwServer and MysqlServer pull them.
        images: { web: `elabftw/elabimg:${config.versions.elabftw}`, db: `mysql:${config.versions.mysql}` },
        mysqlExec: MYSQL_EXEC,
        operatorClientConfig: OPERATOR_CLIENT_CONFIG,
        certificates: {
            // eLabFTW reads /ssl/live/<SERVER_NAME>/fullchain.pem (leaf first) from ELABFTW_DIR/ssl.
            web: { site: `${ELABFTW_DIR}/ssl/live/${config.site.fqdn}/fullchain.pem`, ca: `${ELABFTW_DIR}/tls/mysql-ca.pem` },
            // The files MysqlServer installs under its folders.
            db: { db: `${MYSQL_DIR}/tls/server-cert.pem`, operator: `${OPERATOR_TLS_DIR}/client-cert.pem`, ca: `${MYSQL_DIR}/tls/ca.pem` },
        },
        caLabels: ["ca"],
        caRenewalFactor: CA_RENEWAL_FACTOR,
        siteCa: config.tls.institutionalCertificate ? "/etc/ssl/certs/ca-certificates.crt" : SITE_CA_ON_VM,
        httpsPort: ELABFTW_HTTPS_PORT,
    };
}

export interface MonitoredVm {
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** The data disk is mounted (the checks read it). */
    readonly ready: pulumi.Resource;
}

export interface MonitoringArgs {
    readonly config: PlatformConfig;
    readonly vms: Readonly<Record<Role, MonitoredVm>>;
}

export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:monitoring:Monitoring", name, {}, opts);
        const areas = areaConstants(args.config);
        for (const role of ["web", "db"] as const) {
            const vm = args.vms[role];
            const { file } = vmFiles(`${name}-${role}`, vm, this);
            const units = alarmUnits(statusArgs(args.config, role, areas));
            const installed = [
                ...[STATUS_SCRIPT, ALARMS_SCRIPT].map((script) =>
                    file(`script-${script.replace(/\.sh$/, "")}`, `${SCRIPT_DIR}/${script}`, "0:0", "0755", `${scriptText("common.sh")}\n${scriptText(script)}`, false),
                ),
                ...units.files.map((unit) => file(`unit-${unit.name.replace(/\./g, "-")}`, `${UNIT_DIR}/${unit.name}`, "0:0", "0644", unit.content, false)),
            ];
            new command.remote.Command(
                `${name}-${role}-timer`,
                { connection: vm.connection, create: `sudo systemctl daemon-reload && sudo systemctl enable --now ${units.timer}`, triggers: units.files.map((unit) => unit.content) },
                { parent: this, dependsOn: installed },
            );
        }
        this.registerOutputs({});
    }
}
