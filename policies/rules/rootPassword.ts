// MySQL's root password belongs to the DB VM alone: the web VM holds the eLabFTW account's password
// (DB_PASSWORD), and root's there would hand the exposed VM every database and grant. Root's password
// is what the MySQL container reads (MYSQL_ROOT_PASSWORD, or the host file behind
// MYSQL_ROOT_PASSWORD_FILE); it is compared, by value and by the generated secret it comes from, with
// everything the web VM receives (its containers' environment, the files installed on it).
import { PolicyResource } from "@pulumi/policy";
import { hostPathOf } from "../models/dockerContainer";
import { commandHost, containerEnvValue, dockerHostAddress, installedFiles, isApplicationContainer, isDatabaseContainer, knownOrUndefined, ofType, TYPES } from "./common";

/** A secret as the policies can recognise it: its value when known, the resources it comes from. */
interface Identity {
    readonly values: string[];
    readonly sources: string[];
}

const identityOf = (value: unknown, sources: readonly PolicyResource[] = []): Identity => ({
    values: typeof value === "string" && value.trim().length >= 8 ? [value.trim()] : [],
    sources: sources.filter((r) => r.type === TYPES.randomPassword || r.type === TYPES.randomBytes).map((r) => r.urn),
});

function rootPassword(resources: readonly PolicyResource[]): Identity | undefined {
    const db = ofType(resources, TYPES.container).find((c) => isDatabaseContainer(c.props));
    const host = db && dockerHostAddress(db);
    if (!db || !host) return undefined;
    const direct = knownOrUndefined(() => containerEnvValue(db.props, "MYSQL_ROOT_PASSWORD"));
    if (direct) return identityOf(direct, db.propertyDependencies?.envs);
    const file = knownOrUndefined(() => containerEnvValue(db.props, "MYSQL_ROOT_PASSWORD_FILE"));
    const onHost = file ? hostPathOf(db.props, file, "/var/lib/docker")?.path : undefined;
    const installer = onHost ? installedFiles(resources, host).get(onHost) : undefined;
    return installer && identityOf(knownOrUndefined(() => installer.props.stdin), installer.propertyDependencies?.stdin);
}

/** Where the web VM receives MySQL's root password. */
export function rootPasswordOnWebVm(resources: readonly PolicyResource[]): { resource: PolicyResource; where: string }[] {
    const root = rootPassword(resources);
    const web = ofType(resources, TYPES.container).find((c) => isApplicationContainer(c.props));
    const webHost = web && dockerHostAddress(web);
    if (!root || !webHost) return [];
    const holds = (text: string | undefined, sources: readonly PolicyResource[] = []) =>
        (text !== undefined && root.values.some((v) => text.includes(v))) || sources.some((s) => root.sources.includes(s.urn));
    const found: { resource: PolicyResource; where: string }[] = [];
    for (const container of ofType(resources, TYPES.container).filter((c) => dockerHostAddress(c) === webHost)) {
        const envs = knownOrUndefined(() => (container.props.envs ?? []) as string[]) ?? [];
        // By index: an entry holding a generated secret is unknown in a preview (reading it throws).
        const names = Array.from({ length: envs.length }, (_, i) => knownOrUndefined(() => String(envs[i]))).filter((e): e is string => e !== undefined && holds(e)).map((e) => e.split("=")[0]);
        if (names.length > 0 || holds(undefined, container.propertyDependencies?.envs)) found.push({ resource: container, where: names.length > 0 ? `its environment (${names.join(", ")})` : "its environment" });
    }
    for (const command of ofType(resources, TYPES.command).filter((c) => commandHost(c) === webHost)) {
        if (holds(knownOrUndefined(() => command.props.stdin), command.propertyDependencies?.stdin)) found.push({ resource: command, where: "the file it installs" });
    }
    return found;
}
