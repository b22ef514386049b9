// Traceability on production: every action in the notebook is tied to a named, authenticated user
// and recorded. eLabFTW reads its settings as PHP truthiness ("" and "0" are off); a key the
// settings component does not set keeps whatever the instance had, so it must be set.
import { StackValidationPolicy } from "@pulumi/policy";
import { daemonLogDriverOf } from "../models/dockerContainer";
import { dockerHostAddress, isApplicationContainer, isProductionStack, ofType, TYPES, vmAddress } from "./common";
import { cloudInitFiles } from "./deployedText";
import { stackNetwork } from "./firewallView";
import { contains, describe, toInt } from "../models/ipv4";
import { forwardTargets } from "../models/rsyslog";
import { phpTruthy, settingsResources, settingsViews } from "./instanceSettings";

export const accountabilityOnProduction: StackValidationPolicy = {
    name: "accountability-on-production",
    description: "On a production stack, eLabFTW's anonymous users are off (anon_users) and its audit logs are emitted (emit_audit_logs), both set by the settings component, to a log driver that keeps them (not none); every VM forwards its logs to the unit's syslog server (row 7).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        if (!isProductionStack(args.resources)) return;
        // Row 7 of the paper's matrix: every VM's logs collected by the unit's syslog server.
        const syslog = stackNetwork(args.resources).endpoints.get("syslog") ?? [];
        for (const vm of syslog.length > 0 ? ofType(args.resources, TYPES.vm) : []) {
            const files = cloudInitFiles(vm, args.resources);
            const targets = forwardTargets([...files].filter(([path]) => /^\/etc\/rsyslog\.(conf|d\/[^/]+\.conf)$/.test(path)).map(([, text]) => text));
            if (!targets.some((t) => contains(syslog, toInt(t)))) {
                reportViolation(`${vm.name}: forwards no log line to the unit's syslog server (${describe(syslog)}) on a production stack, so its audit trail is not collected (the paper's flow matrix, row 7). Fix: keep the cloud-init rsyslog rule (*.* action(type="omfwd" target=<syslogAddress> port="514" protocol="udp")).`, vm.urn);
            }
        }
        // eLabFTW emits its audit log lines on its standard output: the container's log driver
        // (else the daemon's) decides whether they are kept; "none" discards them.
        for (const container of ofType(args.resources, TYPES.container).filter((c) => isApplicationContainer(c.props))) {
            const vm = ofType(args.resources, TYPES.vm).find((v) => vmAddress(v) === dockerHostAddress(container));
            const driver = String(container.props.logDriver || daemonLogDriverOf(vm ? cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json") : undefined));
            if (driver === "none") {
                reportViolation(`${container.name}: its log driver is none on a production stack, so eLabFTW's audit log lines are discarded. Fix: leave the container's logDriver unset (the daemon's journald, forwarded to the unit's syslog server).`, container.urn);
            }
        }
        // A stack without managed settings is reported by saml-sso-on-production.
        for (const resource of settingsResources(args.resources)) {
            for (const { config } of settingsViews(resource, args.resources)) {
                const anon = config.anon_users;
                if (anon === undefined || phpTruthy(anon)) {
                    reportViolation(`${resource.name}: anonymous users are ${anon === undefined ? "left as the instance has them" : `on (anon_users=${JSON.stringify(anon)})`} on a production stack, so entries may be read without a named account. Fix: pulumi config set anonymousUsers false.`, resource.urn);
                }
                const audit = config.emit_audit_logs;
                if (audit === undefined || !phpTruthy(audit)) {
                    reportViolation(`${resource.name}: audit logs are ${audit === undefined ? "left as the instance has them" : `off (emit_audit_logs=${JSON.stringify(audit)})`} on a production stack. Fix: pulumi config set auditLogs true.`, resource.urn);
                }
            }
        }
    },
};
