// Hardening: the operator account (backups, healthcheck) has no password: its client certificate is
// its credential, so the server must require that certificate's subject. Decided on the SQL the
// program sends to mysql (the standard input of each command that runs the mysql client), as the
// server leaves the accounts after it, on a new or an existing server.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { accountsAfter, grants, oneLineSubject } from "../models/mysqlAccounts";
import { containerEnvValue, isDatabaseContainer, knownOrUndefined, ofType, runsMysqlClient, TYPES } from "./common";

const CERT_REQUEST = "tls:index/certRequest:CertRequest";
/** What a logical backup reads (mysqldump --single-transaction --routines --events --triggers). */
const BACKUP_PRIVILEGES = ["SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES", "SHOW_ROUTINE", "PROCESS", "RELOAD", "REPLICATION CLIENT"];

/** The subjects of the client certificates the stack issues (client_auth), as the server will see them. */
function clientSubjects(resources: readonly PolicyResource[]): string[] {
    return ofType(resources, TYPES.locallySignedCert)
        .filter((cert) => ((cert.props.allowedUses ?? []) as string[]).includes("client_auth"))
        .flatMap((cert) => cert.dependencies.filter((d) => d.type === CERT_REQUEST).map((csr) => oneLineSubject(csr.props.subject ?? {})));
}

export const mysqlOperatorCertificate: StackValidationPolicy = {
    name: "mysql-operator-certificate-bound",
    description: "Every MySQL account the program's SQL leaves without a password requires (REQUIRE SUBJECT) the exact subject of a client certificate the stack issues, whatever the account had before, and is granted only what a dump reads (no GRANT OPTION); the operator account exists; the SQL adds no password account reachable from another host; no account gets server-wide (*.*) privileges beyond a dump's, nor GRANT OPTION; the MySQL container's MYSQL_ROOT_HOST keeps root on the local host.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const subjects = clientSubjects(args.resources);
        if (subjects.length === 0) return;
        const steps = ofType(args.resources, TYPES.command).filter(runsMysqlClient);
        let passwordless = 0;
        for (const step of steps) {
            for (const [name, state] of accountsAfter(String(step.props.stdin ?? ""))) {
                if (state.password) continue;
                passwordless++;
                const fix = `end the SQL with ALTER USER ${name.replace(/^(.*)@(.*)$/, "'$1'@'$2'")} REQUIRE SUBJECT '${subjects[0]}'`;
                if (state.require === "unknown") {
                    reportViolation(`${step.name}: the account ${name} has no password and keeps whatever REQUIRE an existing server gave it (CREATE USER IF NOT EXISTS changes nothing there). Fix: ${fix}.`, step.urn);
                } else if (state.require.kind !== "SPECIFIED" || state.require.subject === undefined) {
                    reportViolation(`${step.name}: the account ${name} has no password and requires ${state.require.kind === "SPECIFIED" ? "no subject" : state.require.kind}: any certificate the CA signs, or none, logs in. Fix: ${fix}.`, step.urn);
                } else if (!subjects.includes(state.require.subject)) {
                    reportViolation(`${step.name}: the account ${name} requires SUBJECT '${state.require.subject}', which no client certificate of the stack has (they have ${subjects.join(", ")}). Fix: ${fix}.`, step.urn);
                }
            }
        }
        // What the certificate's holder may do: read the database for the dumps, nothing that changes
        // the server (require_secure_transport, accounts, grants) or the data.
        const certificateAccounts = new Set(steps.flatMap((step) => [...accountsAfter(String(step.props.stdin ?? ""))].filter(([, state]) => !state.password).map(([name]) => name)));
        for (const step of steps) {
            const sql = String(step.props.stdin ?? "");
            // Any other account (eLabFTW's) keeps to its database: server-wide rights or GRANT OPTION
            // let whoever holds its password (the web VM) administer the server.
            for (const grant of grants(sql).filter((g) => !g.to.some((name) => certificateAccounts.has(name)) && !g.to.every((name) => /^root@(localhost|127\.0\.0\.1|::1)$/.test(name)))) {
                const serverWide = grant.on === "*.*" ? grant.privileges.filter((p) => !BACKUP_PRIVILEGES.includes(p)) : [];
                if (serverWide.length > 0 || grant.grantOption) {
                    reportViolation(`${step.name}: grants ${[...serverWide, ...(grant.grantOption ? ["GRANT OPTION"] : [])].join(", ")} on ${grant.on ?? "(a role)"} to ${grant.to.join(", ")}: that account's password then administers the whole server (accounts, require_secure_transport). Fix: grant an application account its own database only (the MySQL image gives eLabFTW's ALL on its database), never *.* nor GRANT OPTION.`, step.urn);
                }
            }
            for (const grant of grants(sql).filter((g) => g.to.some((name) => certificateAccounts.has(name)))) {
                const beyond = grant.privileges.filter((p) => !BACKUP_PRIVILEGES.includes(p));
                if (beyond.length > 0 || grant.grantOption) {
                    reportViolation(`${step.name}: grants ${[...beyond, ...(grant.grantOption ? ["GRANT OPTION"] : [])].join(", ")} on ${grant.on ?? "(a role)"} to ${grant.to.join(", ")}, the certificate account: whoever holds its certificate can then change the server, its accounts or the data. Fix: grant the operator only what the dumps need (${BACKUP_PRIVILEGES.slice(0, 6).join(", ")}).`, step.urn);
                }
            }
            // Password logins are eLabFTW's account (made by the MySQL image, reached from the web VM
            // only) and root's on the socket: an account the SQL adds with a password from a remote
            // host is one more door, with a password the firewall is then the only guard of.
            for (const [name, state] of accountsAfter(sql)) {
                const host = name.slice(name.lastIndexOf("@") + 1);
                if (state.password && !["localhost", "127.0.0.1", "::1"].includes(host)) {
                    reportViolation(`${step.name}: creates the account ${name}, which logs in with a password from ${host === "%" ? "any host" : host}. Fix: no password account beyond eLabFTW's; a tool that needs data reads it through eLabFTW's API or a certificate-bound account.`, step.urn);
                }
            }
        }
        // The MySQL image creates root@MYSQL_ROOT_HOST at initialisation (docker-entrypoint.sh:
        // `file_env 'MYSQL_ROOT_HOST' '%'`, so unset means '%'), with the root password: any value but
        // the local ones is a root login over TCP from those hosts.
        for (const container of ofType(args.resources, TYPES.container).filter((c) => isDatabaseContainer(c.props))) {
            const env = (name: string) => knownOrUndefined(() => containerEnvValue(container.props, name));
            const rootHost = env("MYSQL_ROOT_HOST") ?? (env("MYSQL_ROOT_HOST_FILE") === undefined ? "%" : undefined);
            if (rootHost !== undefined && !["localhost", "127.0.0.1", "::1"].includes(rootHost)) {
                reportViolation(`${container.name}: MYSQL_ROOT_HOST=${rootHost}${env("MYSQL_ROOT_HOST") === undefined ? " (the image's default)" : ""} makes the MySQL image create root@'${rootHost}' at initialisation: root logs in with its password over TCP from ${rootHost === "%" ? "any host" : rootHost}, not only on the socket. Fix: MYSQL_ROOT_HOST=localhost (the program's).`, container.urn);
            }
        }
        if (passwordless === 0) {
            reportViolation(`The stack issues a client certificate (${subjects.join(", ")}) but no command creates the MySQL account it logs into. Fix: keep the MysqlServer's operator-account step (CREATE USER ... REQUIRE SUBJECT).`);
        }
    },
};
