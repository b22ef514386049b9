// Hardening: eLabFTW's first account is the program's break-glass sysadmin. eLabFTW makes the
// first account registered on an empty instance Sysadmin; the program's db:install creates the
// schema together with that account. With AUTO_DB_INIT on, the image creates an empty schema by
// itself at start (REFERENCE.md: the program sets it false), db:install then finds a schema and
// skips, and whoever opens the site first registers as Sysadmin.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { containerEnvValue, isApplicationContainer, TYPES } from "./common";

export const elabftwFirstAccount: ResourceValidationPolicy = {
    name: "elabftw-first-account",
    description: "The eLabFTW container does not create its schema by itself (AUTO_DB_INIT unset or false): the program's db:install creates it with the break-glass sysadmin, so no visitor registers as the first account, which eLabFTW makes Sysadmin.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.container || !isApplicationContainer(args.props)) return;
        const init = containerEnvValue(args.props, "AUTO_DB_INIT");
        if (init !== undefined && /^(1|true|yes|on)$/i.test(init.trim())) {
            reportViolation(`${args.name}: AUTO_DB_INIT=${init}: the image creates an empty schema at its first start, the program's db:install then skips and creates no sysadmin, and the first person to open the site registers the first account, which eLabFTW makes Sysadmin. Fix: AUTO_DB_INIT=false (the program's).`);
        }
    },
};
