// Hardening: MySQL 8.4 LTS or newer, TLS only, TLS 1.2 at least.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { isDatabaseContainer, TYPES } from "./common";

const TLS_ORDER = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

const olderThan = (version: string, minimum: string) => {
    const [a, b] = [version, minimum].map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
    return false;
};

export const mysqlTlsOnly: ResourceValidationPolicy = {
    name: "mysql-tls-only",
    description: "The MySQL image is at least the configured LTS release, and mysqld runs with require_secure_transport=ON and only TLS versions from the configured minimum up.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumMysqlVersion: { type: "string", default: "8.4.0", description: "Oldest MySQL release accepted." },
            minimumTlsVersion: { type: "string", enum: ["TLSv1.2", "TLSv1.3"], default: "TLSv1.2", description: "Oldest TLS version mysqld may accept." },
        },
    },
    validateResource: (args, reportViolation) => {
        const { minimumMysqlVersion, minimumTlsVersion } = args.getConfig<{ minimumMysqlVersion: string; minimumTlsVersion: string }>();
        if (args.type === TYPES.remoteImage && typeof args.props.name === "string" && /^(docker\.io\/)?(library\/)?mysql:/.test(args.props.name)) {
            const version = args.props.name.split(":").pop()!;
            // A floating tag is the pinned-container-images rule's business.
            if (/^\d+\.\d+\.\d+$/.test(version) && olderThan(version, minimumMysqlVersion)) {
                reportViolation(`${args.name}: MySQL ${version} is older than ${minimumMysqlVersion} (8.0 is end of life). Fix: set mysqlVersion to an 8.4.x release.`);
            }
        }
        if (args.type !== TYPES.container || !isDatabaseContainer(args.props)) return;
        const command: string[] = args.props.command ?? [];
        if (!command.includes("--require-secure-transport=ON")) {
            reportViolation(`${args.name}: mysqld accepts connections without TLS. Fix: start it with --require-secure-transport=ON.`);
        }
        const versions = command.find((arg) => arg.startsWith("--tls-version="))?.slice("--tls-version=".length).split(",");
        if (!versions || versions.some((v) => TLS_ORDER.indexOf(v) < TLS_ORDER.indexOf(minimumTlsVersion))) {
            reportViolation(`${args.name}: mysqld's TLS versions (${versions?.join(",") ?? "its defaults"}) go below ${minimumTlsVersion}. Fix: start it with --tls-version=TLSv1.2,TLSv1.3.`);
        }
    },
};
