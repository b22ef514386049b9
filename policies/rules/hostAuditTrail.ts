// Traceability on the VMs themselves (the paper's section 3.4: administrative actions are logged and
// dated): sshd records who logged in, sudo records what they ran, the clock stays synchronised so
// log lines, archives and audit events carry the right time, the firewall logs what it drops. Read
// as each program reads its files.
import { StackValidationPolicy } from "@pulumi/policy";
import { sudoLoggingOff, timeSyncStopped } from "../models/hostAccess";
import { sshdSettings } from "../models/sshd";
import { knownOrUndefined, ofType, TYPES, vmAddress } from "./common";
import { deployedScripts, vmFileTexts } from "./deployedText";

/** sshd's LogLevel values that still log each login (INFO: "Accepted publickey for … from …"). */
const LOGS_LOGINS = /^(info|verbose|debug[123]?)$/i;

export const hostAuditTrail: StackValidationPolicy = {
    name: "host-audit-trail",
    description: "Every VM keeps a dated trail of administrative access: sshd logs each login (LogLevel INFO or more, as sshd reads its files: the first value wins), sudo logs what it runs to syslog (no Defaults !syslog or !log_allowed), and no command masks, disables or stops the clock's synchronisation (systemd-timesyncd, chrony, ntp) or sets NTP off; each VM's Proxmox firewall logs the packets it drops (logLevelIn and logLevelOut set, not nolog).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const scripts = deployedScripts(args.resources);
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const files = vmFileTexts(vm, args.resources);
            const last = (path: string) => files.get(path)?.at(-1);
            // Debian's sshd_config includes sshd_config.d/*.conf first, in lexical order.
            const dropIns = [...files.keys()].filter((p) => /^\/etc\/ssh\/sshd_config\.d\/[^/]+\.conf$/.test(p)).sort();
            const texts = [...dropIns, "/etc/ssh/sshd_config"].map(last).filter((t): t is string => t !== undefined);
            const level = sshdSettings(texts).global.get("loglevel");
            if (level !== undefined && !LOGS_LOGINS.test(level)) {
                reportViolation(`${vm.name}: sshd runs with LogLevel ${level}, which does not log logins: who reached the VM as administrator, with which key and from where, is recorded nowhere. Fix: remove LogLevel (INFO, the default) or set VERBOSE.`, vm.urn);
            }
            for (const path of [...files.keys()].filter((p) => p === "/etc/sudoers" || /^\/etc\/sudoers\.d\/[^/.~]+$/.test(p))) {
                for (const line of sudoLoggingOff(last(path)!)) {
                    reportViolation(`${vm.name}: ${path} turns sudo's syslog record off (${line}): commands run as root leave no trace. Fix: remove the !syslog / !log_allowed default.`, vm.urn);
                }
            }
            // Proxmox logs a VM's dropped packets only at a log level; unset (or nolog) it logs none.
            const options = ofType(args.resources, TYPES.options).find((o) => knownOrUndefined(() => o.props.vmId) === vm.props.vmId);
            for (const key of ["logLevelIn", "logLevelOut"] as const) {
                const level = options ? knownOrUndefined(() => options.props[key]) : undefined;
                if (options && (level === undefined || level === null || level === "" || level === "nolog")) {
                    reportViolation(`${options.name}: ${vm.name}'s firewall logs no ${key === "logLevelIn" ? "incoming" : "outgoing"} packet it drops (${key} ${level ? level : "unset"}): attempts on the VM leave no trace. Fix: ${key} info (the program's).`, options.urn);
                }
            }
            for (const s of scripts.filter((d) => d.host === vmAddress(vm))) {
                for (const command of timeSyncStopped(s.script)) {
                    reportViolation(`${s.resource.name} (${s.where}): \`${command}\` stops ${vm.name}'s clock synchronisation: its log lines, archives and audit events drift from the real time. Fix: keep systemd-timesyncd enabled (Debian's default).`, s.resource.urn);
                }
            }
        }
    },
};
