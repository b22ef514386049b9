// CNRS « 2 VM : une Docker/eLabFTW, une base de donnée dédiée (avec ou sans Docker) ».
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parseImageReference } from "../models/imageReference";
import { declaredEndpoints, HandOffRow } from "../models/handOff";
import { installedPackages } from "./deployedText";
import { contains, toInt } from "../models/ipv4";
import { cnrs, dockerHostAddress, isApplicationContainer, isDatabaseContainer, knownOrUndefined, ofType, tryKnown, TYPES, violation, vmAddress } from "./common";

const POOL = "proxmoxve:index/poolLegacy:PoolLegacy";
/** The hand-off's endpoints that are the unit's own service hosts, never a VM of the stack. */
/** Debian's database server packages (and their metapackages). */
const DATABASE_SERVER_PACKAGE = /^(default-mysql-server|mysql-server(-[\d.]+|-core-[\d.]+)?|mariadb-server(-core)?(-[\d.]+)?|percona-server-server(-[\d.]+)?|postgresql(-\d+)?|mongodb(-server)?|redis-server)$/;
const SERVICE_ENDPOINTS = ["filer", "syslog", "dns", "ntp", "proxy", "backupHost", "edgeFirewall"];
const REQUIREMENT = cnrs("2 VM : une Docker/eLabFTW, une base de donnée dédiée (avec ou sans Docker)", "two VMs: one for Docker/eLabFTW, one dedicated to the database");

/** The image name a container runs: its image when a name, else the RemoteImage whose id it is or that it comes from. */
function imageOf(container: PolicyResource, resources: readonly PolicyResource[]): string | undefined {
    const image = tryKnown(() => container.props.image);
    const images = ofType(resources, TYPES.remoteImage);
    if (image.known && typeof image.value === "string") {
        if (!/^sha256:/.test(image.value)) return image.value;
        const pulled = images.find((i) => [knownOrUndefined(() => i.props.imageId), knownOrUndefined(() => i.props.repoDigest)].includes(image.value));
        if (pulled) return String(pulled.props.name);
    }
    const source = (container.propertyDependencies?.image ?? []).find((s) => s.type === TYPES.remoteImage);
    return source ? String(source.props.name) : image.known && typeof image.value === "string" ? image.value : undefined;
}

export const cnrsTwoVms: StackValidationPolicy = {
    name: "cnrs-two-vms",
    description: "The eLabFTW and MySQL containers run on two different Docker hosts, which are two different VMs of the stack; the database VM runs no other container, and the eLabFTW VM none but those the policy config allows; both VMs are in the unit's own pool, created by the stack (a shared pool hands them to its other members); no database server package on the eLabFTW VM (mariadb-server, mysql-server, postgresql…); neither VM stands as one of the unit's service hosts in the flow matrix (filer, syslog, DNS, NTP, proxy, backup host, edge firewall).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedExtraImages: { type: "array", items: { type: "string" }, default: [], description: "Images (repository names, e.g. \"docker.io/library/redis\") a site runs beside eLabFTW on its VM; none by default." },
        },
    },
    validateStack: (args, reportViolation) => {
        const { allowedExtraImages } = args.getConfig<{ allowedExtraImages: string[] }>();
        const containers = ofType(args.resources, TYPES.container);
        const vms = ofType(args.resources, TYPES.vm);
        const vmOf = (container: PolicyResource) => vms.find((vm) => vmAddress(vm) === dockerHostAddress(container));
        const apps = containers.filter((c) => isApplicationContainer(c.props));
        const databases = containers.filter((c) => isDatabaseContainer(c.props));
        if (apps.length === 0 || databases.length === 0) {
            reportViolation(violation(REQUIREMENT, "the stack", `has ${apps.length} eLabFTW and ${databases.length} MySQL containers`, "deploy both, each on its own VM"));
            return;
        }
        for (const container of [...apps, ...databases]) {
            if (!vmOf(container)) {
                reportViolation(violation(REQUIREMENT, container.name, `runs on ${dockerHostAddress(container) ?? "an unknown Docker host"}, which is no VM of this stack`, "point its Docker provider at one of the stack's VMs"), container.urn);
            }
        }
        // « une base de donnée dédiée »: the database VM runs MySQL and nothing else (a second
        // container there, phpMyAdmin or a sidecar, shares the database's host and its exposure).
        for (const database of databases) {
            const dbVm = vmOf(database);
            if (!dbVm) continue;
            for (const other of containers) {
                // eLabFTW itself there is the shared VM reported below.
                if (isDatabaseContainer(other.props) || isApplicationContainer(other.props) || vmOf(other)?.urn !== dbVm.urn) continue;
                reportViolation(violation(REQUIREMENT, other.name, `runs on the database VM ${dbVm.name}, which must be dedicated to MySQL`, "run it on the eLabFTW VM or drop it"), other.urn);
            }
        }
        // « une Docker/eLabFTW »: the eLabFTW VM runs eLabFTW. Anything else there (a tunnel agent,
        // an admin tool) adds a service, and its own way in or out, that the flow matrix never named.
        const allowed = new Set(allowedExtraImages.map((i) => parseImageReference(i)?.repository ?? i));
        for (const app of apps) {
            const appVm = vmOf(app);
            if (!appVm) continue;
            for (const other of containers.filter((c) => !isApplicationContainer(c.props) && !isDatabaseContainer(c.props) && vmOf(c)?.urn === appVm.urn)) {
                const image = imageOf(other, args.resources);
                const repository = image ? parseImageReference(image)?.repository : undefined;
                if (repository && allowed.has(repository)) continue;
                reportViolation(violation(REQUIREMENT, other.name, `runs ${image ?? "an image"} on the eLabFTW VM ${appVm.name}, which runs eLabFTW only`, "drop it, or declare its image in the policy config's allowedExtraImages after the security officer's review"), other.urn);
            }
        }
        // A database server installed on the eLabFTW VM itself (a package, outside Docker) is a second database host.
        for (const appVm of new Set(apps.map(vmOf).filter((v): v is PolicyResource => v !== undefined))) {
            for (const name of new Set(installedPackages(appVm, args.resources).filter((p) => DATABASE_SERVER_PACKAGE.test(p)))) {
                reportViolation(violation(REQUIREMENT, appVm.name, `installs ${name}: a database server runs on the eLabFTW VM, next to the application, where the dedicated database VM should hold every database`, "drop the package; a scratch database belongs on the database VM (a drill's scratch schema) or on a workstation"), appVm.urn);
            }
        }
        for (const app of apps) {
            for (const database of databases) {
                const appVm = vmOf(app);
                const dbVm = vmOf(database);
                if (appVm && dbVm && (appVm.urn === dbVm.urn || appVm.props.vmId === dbVm.props.vmId)) {
                    reportViolation(violation(REQUIREMENT, `${app.name} and ${database.name}`, `share the VM ${appVm.name}`, "run MySQL on the dedicated database VM"), database.urn);
                }
            }
        }
        // The hand-off names the unit's services by address: a VM of the stack standing as one (the filer,
        // the syslog server, DNS, NTP, the proxy, the backup host) carries a role beside its own, and the
        // flows toward that service (NFS from the web VM, say) end on it.
        for (const handOff of ofType(args.resources, TYPES.edgeHandOff)) {
            const endpoints = declaredEndpoints(knownOrUndefined(() => handOff.props.rules as HandOffRow[]) ?? []);
            for (const vm of vms) {
                const address = vmAddress(vm);
                if (!address) continue;
                const roles = SERVICE_ENDPOINTS.filter((name) => contains(endpoints.get(name) ?? [], toInt(address)));
                if (roles.length > 0) reportViolation(violation(REQUIREMENT, vm.name, `stands as the unit's ${roles.join(", ")} in the flow matrix: the VM serves that role beside its own, and the flows toward it end on ${vm.name}`, "give the unit's service hosts their own addresses (filerAddress, syslogAddress, dnsServers, ntpServers, httpProxy, backupTarget), off the stack's VMs"), vm.urn);
            }
        }
        // The unit's own pool is where the unit's admins get their rights on these VMs (and only these):
        // a pool the stack does not create is shared with whoever else holds a role on it.
        const pools = ofType(args.resources, POOL).map((p) => knownOrUndefined(() => p.props.poolId)).filter((id) => id !== undefined);
        for (const vm of vms) {
            const pool = knownOrUndefined(() => vm.props.poolId);
            if (pool === undefined || pools.includes(pool)) continue;
            reportViolation(violation(REQUIREMENT, vm.name, `is placed in the pool ${pool || "(none)"}, which this stack does not create: whoever holds a role on that pool (other units' admins: console, backup, snapshot) reaches this VM and its vTPM state`, "keep the VMs in the unit's own pool (the program's elabftw-<unit>, the config key pool)"), vm.urn);
        }
    },
};
