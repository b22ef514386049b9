// Traceability on production: every action in the notebook is tied to a named, authenticated user
// and recorded. eLabFTW reads its settings as PHP truthiness ("" and "0" are off); a key the
// settings component does not set keeps whatever the instance had, so it must be set.
import { StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { daemonLogDriverOf } from "../models/dockerContainer";
import { containerEnvValue, dockerHostAddress, isApplicationContainer, isProductionStack, ofType, TYPES, vmAddress } from "./common";
import { cloudInitFiles } from "./deployedText";
import { matrixAllows, stackNetwork } from "./firewallView";
import { contains, covers, describe, isEmpty, parseAddress, PRIVATE, setOf, subtract, toInt } from "../models/ipv4";
import { guestVerdict } from "../models/proxmoxFirewall";
import { discardedBeforeForwarding, forwardRules, forwardsEverything, rsyslogPaths } from "../models/rsyslog";
import { phpTruthy, settingsResources, settingsViews } from "./instanceSettings";

export const accountabilityOnProduction: StackValidationPolicy = {
    name: "accountability-on-production",
    description: "On a production stack, nginx records each client's own address (elabimg's SET_REAL_IP on, trusting X-Forwarded-For from the edge firewall only); eLabFTW's anonymous users are off (anon_users) and its audit logs are emitted (emit_audit_logs), both set by the settings component, and no fewer entry revisions kept than eLabFTW's default (max_revisions 10), users may not change their own identity (allow_users_change_identity off), to a log driver that hands them to the VM's logging (journald or syslog); every VM forwards its logs to the unit's syslog server over the protocol and port the flow matrix opens (row 7), never in clear UDP to a public address, through its own firewall rules, with no rsyslog stop before the forwarding.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        if (!isProductionStack(args.resources)) return;
        // Row 7 of the paper's matrix: every VM's logs collected by the unit's syslog server.
        const net = stackNetwork(args.resources);
        // Behind the edge, nginx sees the edge's address for every client: elabimg's real-IP module
        // (SET_REAL_IP) takes the client's from X-Forwarded-For, trusted from SET_REAL_IP_FROM only.
        const edge = net.endpoints.get("edgeFirewall") ?? [];
        for (const app of ofType(args.resources, TYPES.container).filter((c) => isApplicationContainer(c.props))) {
            let realIp: string | undefined;
            let from: string | undefined;
            try {
                [realIp, from] = [containerEnvValue(app.props, "SET_REAL_IP"), containerEnvValue(app.props, "SET_REAL_IP_FROM")];
            } catch (error) {
                if (error instanceof UnknownValueError) continue; // decided at up, every entry known
                throw error;
            }
            if (!/^(1|true|yes|on)$/i.test(realIp?.trim() ?? "")) {
                reportViolation(`${app.name}: SET_REAL_IP is ${realIp ?? "unset (elabimg's default: false)"} on a production stack: nginx and eLabFTW record the edge firewall's address for every client, so the access log, the failed logins and the audit trail no longer say from which VPN client an action came. Fix: SET_REAL_IP=true with SET_REAL_IP_FROM the edge firewall's address (the program's).`, app.urn);
            } else if (edge.length > 0) {
                const trusted = (from ?? "").split(/[\s,]+/).filter(Boolean).map(parseAddress);
                if (trusted.length === 0 || trusted.some((t) => !t) || !covers(edge, trusted.map((t) => t!))) {
                    reportViolation(`${app.name}: SET_REAL_IP_FROM is ${from ?? "unset"}, beyond the edge firewall (${describe(edge)}) on a production stack: nginx takes the client's address from an X-Forwarded-For header any of those hosts writes, so a client names itself whatever address it likes in the logs and the audit trail. Fix: SET_REAL_IP_FROM the edge firewall's address (the program's).`, app.urn);
                }
            }
        }
        const syslog = net.endpoints.get("syslog") ?? [];
        for (const vm of syslog.length > 0 ? ofType(args.resources, TYPES.vm) : []) {
            const files = cloudInitFiles(vm, args.resources);
            // rsyslogd reads /etc/rsyslog.d/*.conf in lexical order (Debian's rsyslog.conf includes them first).
            const texts = rsyslogPaths(files.keys()).map((path) => files.get(path)!);
            const rules = forwardRules(texts).filter(forwardsEverything);
            for (const discarded of discardedBeforeForwarding(texts)) {
                reportViolation(`${vm.name}: rsyslog discards ${discarded === "every line" ? "every line" : `the lines matching ${discarded}`} (stop) before its forwarding rule, so they never reach the unit's syslog server on a production stack (eLabFTW's audit log among them if it matches). Fix: remove the stop, or move the filter after the forwarding rule (a later file, 99-…).`, vm.urn);
            }
            const toSyslog = rules.filter((r) => contains(syslog, toInt(r.target)));
            for (const r of rules.filter((r) => r.protocol === "udp" && !isEmpty(subtract(setOf(r.target), PRIVATE)))) {
                reportViolation(`${vm.name}: forwards its logs in clear UDP to ${r.target}, a public address, on a production stack: the audit trail (users' emails and actions) crosses networks unprotected. Fix: forward to the unit's syslog server's private address (syslogAddress).`, vm.urn);
            }
            // The lines must also get through: the flow matrix opens the syslog flow for one protocol and port.
            const pve = net.fw.vms.find((v) => v.vmId === vm.props.vmId);
            const blocked = pve?.address ? toSyslog.filter((r) => !contains(matrixAllows(net, pve, "out", r.protocol, [r.port, r.port]), toInt(r.target))) : [];
            // And the VM's own Proxmox rules must let those packets out (its output policy drops the rest).
            const dropped = pve?.address ? toSyslog.filter((r) => guestVerdict(net.fw, pve, "out", { peer: toInt(r.target), proto: r.protocol, dport: r.port, iface: "net0" }).pass === "no") : [];
            if (toSyslog.length > 0 && blocked.length === toSyslog.length) {
                reportViolation(`${vm.name}: forwards its logs to the syslog server over ${blocked.map((r) => `${r.protocol}/${r.port}`).join(", ")}, which the flow matrix does not open (row 7), so no line arrives on a production stack. Fix: forward as the matrix's syslog flow says (the program's omfwd rule: protocol="udp" port="514").`, vm.urn);
            } else if (toSyslog.length > 0 && dropped.length === toSyslog.length) {
                reportViolation(`${vm.name}: forwards its logs to the syslog server over ${dropped.map((r) => `${r.protocol}/${r.port}`).join(", ")}, but its Proxmox firewall drops those packets (no rule of its own lets them out), so no line arrives on a production stack. Fix: keep the VM's OUT rule of row 7 (udp 514 to the syslog server).`, vm.urn);
            } else if (toSyslog.length === 0) {
                reportViolation(`${vm.name}: forwards no log line to the unit's syslog server (${describe(syslog)}) on a production stack, so its audit trail is not collected (the paper's flow matrix, row 7). Fix: keep the cloud-init rsyslog rule (*.* action(type="omfwd" target=<syslogAddress> port="514" protocol="udp")).`, vm.urn);
            }
        }
        // eLabFTW emits its audit log lines on its standard output: the container's log driver
        // (else the daemon's) decides whether they are kept; "none" discards them.
        for (const container of ofType(args.resources, TYPES.container).filter((c) => isApplicationContainer(c.props))) {
            const vm = ofType(args.resources, TYPES.vm).find((v) => vmAddress(v) === dockerHostAddress(container));
            const driver = String(container.props.logDriver || daemonLogDriverOf(vm ? cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json") : undefined));
            // journald and syslog hand the lines to the VM's logging, which forwards them; json-file and
            // local keep them in Docker's own files (rotated, never forwarded); none and the network
            // drivers (gelf, fluentd, splunk...) discard them or send them past the unit's syslog server.
            if (!["journald", "syslog"].includes(driver)) {
                reportViolation(`${container.name}: its log driver is ${driver} on a production stack, so eLabFTW's audit log lines ${driver === "none" ? "are discarded" : "never reach the VM's syslog and the unit's syslog server"}. Fix: use the journald log driver (the program's), forwarded to the unit's syslog server.`, container.urn);
            }
        }
        // A stack without managed settings is reported by saml-sso-on-production.
        for (const resource of settingsResources(args.resources)) {
            for (const { config } of settingsViews(resource, args.resources)) {
                const anon = config.anon_users;
                if (anon === undefined || phpTruthy(anon)) {
                    reportViolation(`${resource.name}: anonymous users are ${anon === undefined ? "left as the instance has them" : `on (anon_users=${JSON.stringify(anon)})`} on a production stack, so entries may be read without a named account. Fix: pulumi config set anonymousUsers false.`, resource.urn);
                }
                // Who signed an entry is who the identity provider said: users may not rename their own account.
                if (config.allow_users_change_identity !== undefined && phpTruthy(config.allow_users_change_identity)) {
                    reportViolation(`${resource.name}: users may change their own email and name (allow_users_change_identity=${JSON.stringify(config.allow_users_change_identity)}) on a production stack: the account that signs an entry no longer reflects the identity the IdP asserted, and a user can take another's email. Fix: remove allow_users_change_identity (off); the sysadmin corrects names.`, resource.urn);
                }
                // eLabFTW keeps max_revisions revisions of each entry and deletes the older ones (its default: 10).
                const revisions = config.max_revisions;
                if (revisions !== undefined && !(Number(revisions) >= 10)) {
                    reportViolation(`${resource.name}: eLabFTW keeps ${JSON.stringify(revisions)} revision(s) of each entry (max_revisions) on a production stack and deletes the older ones: an experiment's history of changes is lost. Fix: remove max_revisions from the settings (eLabFTW's default 10) or raise it.`, resource.urn);
                }
                const audit = config.emit_audit_logs;
                if (audit === undefined || !phpTruthy(audit)) {
                    reportViolation(`${resource.name}: audit logs are ${audit === undefined ? "left as the instance has them" : `off (emit_audit_logs=${JSON.stringify(audit)})`} on a production stack. Fix: pulumi config set auditLogs true.`, resource.urn);
                }
            }
        }
    },
};
