// Hardening: MySQL 8.4 LTS or newer, TLS only, TLS 1.2 at least — as mysqld parses its options
// (policies/models/mysqld.ts), as the server applies the SQL the program sends it (SET GLOBAL now,
// SET PERSIST at every later start too, over the command line), and as Docker parses image
// references (policies/models/imageReference.ts).
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parseImageReference, olderThan } from "../models/imageReference";
import { statements } from "../models/mysqlAccounts";
import { isOn, mysqldOptions, serverSettings, tlsVersions } from "../models/mysqld";
import { containerEnvValue, dockerHostAddress, installedFiles, isApplicationContainer, isDatabaseContainer, knownOrUndefined, ofType, runsMysqlClient, TYPES } from "./common";
import { deployedScripts } from "./deployedText";
import { hostPathOf } from "../models/dockerContainer";
import { filesWrittenBy } from "../models/programText";

const TLS_ORDER = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/** The server-wide settings of every SQL step sent to the mysql client, in the graph's order, with the step that set each. */
function sqlSettings(resources: readonly PolicyResource[]): Map<string, { value: string; step: PolicyResource }> {
    const found = new Map<string, { value: string; step: PolicyResource }>();
    for (const step of ofType(resources, TYPES.command).filter(runsMysqlClient)) {
        const sql = knownOrUndefined(() => step.props.stdin);
        if (typeof sql !== "string") continue;
        for (const [name, value] of serverSettings(statements(sql))) found.set(name, { value, step });
    }
    return found;
}

/** The text of a file a container reads, as the deployment writes it on its VM (installed, or written by a script there). */
function fileOnDockerHost(container: PolicyResource, path: string, resources: readonly PolicyResource[]): string | undefined {
    const host = dockerHostAddress(container);
    const onHost = host ? hostPathOf(container.props, path, "/var/lib/docker")?.path : undefined;
    if (!host || !onHost) return undefined;
    const installed = installedFiles(resources, host).get(onHost);
    const text = installed ? knownOrUndefined(() => installed.props.stdin) : undefined;
    if (typeof text === "string") return text;
    return deployedScripts(resources).filter((d) => d.host === host).flatMap((d) => filesWrittenBy(d.script)).find((f) => f.path === onHost)?.content;
}

/** The PEM certificate blocks of a text, whitespace-normalised. */
const pemCertificates = (text: string): string[] => (text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((b) => b.replace(/\s+/g, ""));

export const mysqlTlsOnly: StackValidationPolicy = {
    name: "mysql-tls-only",
    description: "The database image is MySQL (not MariaDB) at least the configured LTS release, and mysqld runs with require_secure_transport ON and only TLS versions from the configured minimum up: its options (last occurrence wins), then what the program's SQL sets server-wide (SET GLOBAL, SET PERSIST) and what its --init-file runs at every start; eLabFTW's DB_CERT_PATH file holds the stack's private CA and no other authority.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumMysqlVersion: { type: "string", default: "8.4.0", description: "Oldest MySQL release accepted." },
            minimumTlsVersion: { type: "string", enum: ["TLSv1.2", "TLSv1.3"], default: "TLSv1.2", description: "Oldest TLS version mysqld may accept." },
        },
    },
    validateStack: (args, reportViolation) => {
        const { minimumMysqlVersion, minimumTlsVersion } = args.getConfig<{ minimumMysqlVersion: string; minimumTlsVersion: string }>();
        for (const image of ofType(args.resources, TYPES.remoteImage)) {
            const name = knownOrUndefined(() => image.props.name);
            if (typeof name !== "string") continue;
            const parsed = parseImageReference(name);
            if (parsed?.family === "mariadb") reportViolation(`${image.name}: ${name} is MariaDB; eLabFTW needs MySQL. Fix: use the mysql image (mysqlVersion 8.4.x).`, image.urn);
            if ((parsed?.family === "mysql" || parsed?.family === "percona") && parsed.version && olderThan(parsed.version, minimumMysqlVersion.split(".").map(Number))) {
                reportViolation(`${image.name}: ${name} is MySQL ${parsed.version.join(".")}, older than ${minimumMysqlVersion} (8.0 is end of life). Fix: set mysqlVersion to an 8.4.x release.`, image.urn);
            }
        }
        const sql = sqlSettings(args.resources);
        // eLabFTW verifies MySQL against the file DB_CERT_PATH names: every certificate in it is trusted
        // to vouch for the DB host. Only the stack's own CAs may be there (a public bundle would let
        // any publicly issued certificate for that name through).
        const stackCas = ofType(args.resources, TYPES.selfSignedCert).map((c) => knownOrUndefined(() => String(c.props.certPem ?? "")));
        for (const app of stackCas.every((c) => c !== undefined) ? ofType(args.resources, TYPES.container).filter((c) => isApplicationContainer(c.props)) : []) {
            const path = knownOrUndefined(() => containerEnvValue(app.props, "DB_CERT_PATH"));
            const text = path ? fileOnDockerHost(app, path, args.resources) : undefined;
            const foreign = text === undefined ? [] : pemCertificates(text).filter((pem) => !stackCas.some((ca) => pemCertificates(ca!).includes(pem)));
            if (foreign.length > 0) {
                reportViolation(`${app.name}: DB_CERT_PATH (${path}) holds ${foreign.length} certificate${foreign.length > 1 ? "s" : ""} besides the stack's private CA: eLabFTW then accepts any certificate ${foreign.length > 1 ? "those authorities sign" : "that authority signs"} for the DB host. Fix: install the private CA's certificate alone (the program's).`, app.urn);
            }
        }
        for (const container of ofType(args.resources, TYPES.container).filter((c) => isDatabaseContainer(c.props))) {
            const options = new Map(mysqldOptions(container.props.command ?? []));
            const by = new Map<string, string>();
            for (const [name, { value, step }] of sql) {
                options.set(name, value);
                by.set(name, ` (set server-wide by ${step.name}'s SQL, over the command line)`);
            }
            // --init-file: SQL mysqld runs itself at every start, after reading its options.
            const initFile = options.get("init_file");
            const initSql = initFile ? fileOnDockerHost(container, initFile, args.resources) : undefined;
            if (initFile && initSql !== undefined) {
                for (const [name, value] of serverSettings(statements(initSql))) {
                    options.set(name, value);
                    by.set(name, ` (set at every start by the init file ${initFile})`);
                }
            }
            if (!isOn(options.get("require_secure_transport"))) {
                reportViolation(`${container.name}: mysqld accepts connections without TLS (require_secure_transport=${options.get("require_secure_transport") ?? "OFF, the default"}${by.get("require_secure_transport") ?? ""}). Fix: start it with --require-secure-transport=ON, only once, and never SET GLOBAL/PERSIST it.`, container.urn);
            }
            const versions = tlsVersions(options);
            if (versions.length === 0 || versions.some((v) => TLS_ORDER.indexOf(v) < TLS_ORDER.indexOf(minimumTlsVersion))) {
                reportViolation(`${container.name}: mysqld's TLS versions (${versions.join(",") || "none: TLS off"}${by.get("tls_version") ?? ""}) go below ${minimumTlsVersion}. Fix: start it with --tls-version=TLSv1.2,TLSv1.3.`, container.urn);
            }
        }
    },
};
