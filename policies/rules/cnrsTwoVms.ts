// CNRS « 2 VM : une Docker/eLabFTW, une base de donnée dédiée (avec ou sans Docker) ».
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { cnrs, dockerHostAddress, isApplicationContainer, isDatabaseContainer, ofType, TYPES, violation, vmAddress } from "./common";

const REQUIREMENT = cnrs("2 VM : une Docker/eLabFTW, une base de donnée dédiée (avec ou sans Docker)", "two VMs: one for Docker/eLabFTW, one dedicated to the database");

export const cnrsTwoVms: StackValidationPolicy = {
    name: "cnrs-two-vms",
    description: "The eLabFTW and MySQL containers run on two different Docker hosts, which are two different VMs of the stack; the database VM runs no other container.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
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
        for (const app of apps) {
            for (const database of databases) {
                const appVm = vmOf(app);
                const dbVm = vmOf(database);
                if (appVm && dbVm && (appVm.urn === dbVm.urn || appVm.props.vmId === dbVm.props.vmId)) {
                    reportViolation(violation(REQUIREMENT, `${app.name} and ${database.name}`, `share the VM ${appVm.name}`, "run MySQL on the dedicated database VM"), database.urn);
                }
            }
        }
    },
};
