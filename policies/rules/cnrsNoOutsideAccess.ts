// CNRS « Pas d'accès depuis l'extérieur : accès via VPN pour utilisateurs en télétravail ».
import { StackValidationPolicy } from "@pulumi/policy";
import { cnrs, isAnywhere, isPrivateAddress, ofType, resolveReference, TYPES, violation, vmAddress } from "./common";

const REQUIREMENT = cnrs("Pas d'accès depuis l'extérieur : accès via VPN pour utilisateurs en télétravail", "no access from outside; remote users through the VPN");
const DB_PORT = 3306;
const HTTPS_PORT = 443;

const hasPort = (dport: string | undefined, port: number) =>
    dport === undefined || dport.split(",").some((range) => {
        const [low, high = low] = range.split(":").map(Number);
        return port >= low && port <= high;
    });

export const cnrsNoOutsideAccess: StackValidationPolicy = {
    name: "cnrs-no-access-from-outside",
    description: "No inbound allow from any or public address; HTTPS only from the edge firewall / reverse proxy (one address); the MySQL port published on a VM's private address only.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const list of ofType(args.resources, TYPES.rules)) {
            for (const rule of (list.props.rules ?? []) as Record<string, string>[]) {
                if (rule.type !== "in" || rule.action !== "ACCEPT") continue;
                const sources = resolveReference(rule.source, args.resources);
                const outside = sources.filter((cidr) => isAnywhere(cidr) || !isPrivateAddress(cidr));
                if (outside.length > 0) {
                    reportViolation(violation(REQUIREMENT, `${list.name}: the rule "${rule.comment ?? ""}"`, `accepts from ${outside.join(", ")}`, "accept only from the unit's private networks; remote users come through the VPN and the edge firewall"), list.urn);
                }
                if (hasPort(rule.dport, HTTPS_PORT) && rule.proto !== "udp" && !sources.every((cidr) => !cidr.includes("/") || cidr.endsWith("/32"))) {
                    reportViolation(violation(REQUIREMENT, `${list.name}: the rule "${rule.comment ?? ""}"`, `opens HTTPS to ${sources.join(", ")}`, "let only the edge firewall / reverse proxy address (edgeFirewallAddress) reach 443"), list.urn);
                }
            }
        }
        const vmAddresses = new Set(ofType(args.resources, TYPES.vm).map(vmAddress));
        for (const container of ofType(args.resources, TYPES.container)) {
            for (const port of (container.props.ports ?? []) as Record<string, any>[]) {
                if (port.internal !== DB_PORT && port.external !== DB_PORT) continue;
                if (!port.ip || isAnywhere(port.ip) || !vmAddresses.has(port.ip)) {
                    reportViolation(violation(REQUIREMENT, `${container.name}`, `publishes the MySQL port on ${port.ip || "every address"}`, "publish 3306 on the database VM's private address only"), container.urn);
                }
            }
        }
    },
};
