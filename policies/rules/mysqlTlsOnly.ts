// Hardening: MySQL 8.4 LTS or newer, TLS only, TLS 1.2 at least — as mysqld parses its options
// (policies/models/mysqld.ts) and as Docker parses image references (policies/models/imageReference.ts).
import { ResourceValidationPolicy } from "@pulumi/policy";
import { parseImageReference, olderThan } from "../models/imageReference";
import { isOn, mysqldOptions, tlsVersions } from "../models/mysqld";
import { isDatabaseContainer, TYPES } from "./common";

const TLS_ORDER = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

export const mysqlTlsOnly: ResourceValidationPolicy = {
    name: "mysql-tls-only",
    description: "The database image is MySQL (not MariaDB) at least the configured LTS release, and mysqld runs with require_secure_transport ON and only TLS versions from the configured minimum up (last occurrence of an option wins).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumMysqlVersion: { type: "string", default: "8.4.0", description: "Oldest MySQL release accepted." },
            minimumTlsVersion: { type: "string", enum: ["TLSv1.2", "TLSv1.3"], default: "TLSv1.2", description: "Oldest TLS version mysqld may accept." },
        },
    },
    validateResource: (args, reportViolation) => {
        const { minimumMysqlVersion, minimumTlsVersion } = args.getConfig<{ minimumMysqlVersion: string; minimumTlsVersion: string }>();
        if (args.type === TYPES.remoteImage && typeof args.props.name === "string") {
            const image = parseImageReference(args.props.name);
            if (image?.family === "mariadb") reportViolation(`${args.name}: ${args.props.name} is MariaDB; eLabFTW needs MySQL. Fix: use the mysql image (mysqlVersion 8.4.x).`);
            if ((image?.family === "mysql" || image?.family === "percona") && image.version && olderThan(image.version, minimumMysqlVersion.split(".").map(Number))) {
                reportViolation(`${args.name}: ${args.props.name} is MySQL ${image.version.join(".")}, older than ${minimumMysqlVersion} (8.0 is end of life). Fix: set mysqlVersion to an 8.4.x release.`);
            }
        }
        if (args.type !== TYPES.container || !isDatabaseContainer(args.props)) return;
        const options = mysqldOptions(args.props.command ?? []);
        if (!isOn(options.get("require_secure_transport"))) {
            reportViolation(`${args.name}: mysqld accepts connections without TLS (require_secure_transport=${options.get("require_secure_transport") ?? "OFF, the default"}). Fix: start it with --require-secure-transport=ON, and only once.`);
        }
        const versions = tlsVersions(options);
        if (versions.length === 0 || versions.some((v) => TLS_ORDER.indexOf(v) < TLS_ORDER.indexOf(minimumTlsVersion))) {
            reportViolation(`${args.name}: mysqld's TLS versions (${versions.join(",") || "none: TLS off"}) go below ${minimumTlsVersion}. Fix: start it with --tls-version=TLSv1.2,TLSv1.3.`);
        }
    },
};
