// Traceability on the VMs themselves (the paper's section 3.4: administrative actions are logged and
// dated): sshd records who logged in, sudo records what they ran, the clock stays synchronised so
// log lines, archives and audit events carry the right time, the firewall logs what it drops. Read
// as each program reads its files.
import { StackValidationPolicy } from "@pulumi/policy";
import { journaldSyslogGap, ratePerSecond, sudoLoggingOff, timeSyncStopped } from "../models/hostAccess";
import { daemonConfig } from "../models/dockerContainer";
import { sshdSettings, sshdTexts } from "../models/sshd";
import { commandHost, dockerHostAddress, isDatabaseContainer, knownOrUndefined, ofType, TYPES, vmAddress } from "./common";
import { unloggedDropChains } from "../models/nftables";
import { mysqldOptions } from "../models/mysqld";
import { ACCESS_LOGS, discardedBeforeForwarding, forwardRules, rsyslogPaths, selectorMatches } from "../models/rsyslog";
import { deployedScripts, snippetHost, vmFileTexts } from "./deployedText";
import { cloudConfig } from "../models/programText";

/** sshd's LogLevel values that still log each login (INFO: "Accepted publickey for … from …"). */
const LOGS_LOGINS = /^(info|verbose|debug[123]?)$/i;

export const hostAuditTrail: StackValidationPolicy = {
    name: "host-audit-trail",
    description: "Every VM keeps a dated trail of administrative access: sshd logs each login (LogLevel INFO or more, as sshd reads its files: the first value wins) and refuses root (PermitRootLogin no, root not in AllowUsers), cloud-init makes one administrator account (the stack's adminUser: no other account with SSH keys, a sudo rule or an admin group), journald hands syslog every level from info up (no ForwardToSyslog=no, no MaxLevelSyslog below info), no container log in Docker's non-blocking mode (it drops lines), sudo logs what it runs to syslog (no Defaults !syslog or !log_allowed), and no command masks, disables or stops the clock's synchronisation (systemd-timesyncd, chrony, ntp) or sets NTP off; each VM's Proxmox firewall logs the packets it drops (logLevelIn and logLevelOut set, not nolog), and the datacenter's log rate limit is not below Proxmox's default (1/second, burst 5). rsyslog forwards auth and authpriv (selectors read as rsyslogd reads them) and stops none of them before its forwarding rule.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const scripts = deployedScripts(args.resources);
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const files = vmFileTexts(vm, args.resources);
            const last = (path: string) => files.get(path)?.at(-1);
            // Debian's sshd_config includes sshd_config.d/*.conf first, in lexical order.
            const sshd = sshdSettings(sshdTexts(new Map([...files.keys()].map((p) => [p, last(p)] as const)))).global;
            const level = sshd.get("loglevel");
            // Imputability: administrators log in under their own names and act through sudo, which
            // records each command; root's own login (sshd's default: prohibit-password) bypasses both.
            const rootLogin = sshd.get("permitrootlogin") ?? "prohibit-password (sshd's default)";
            if (!/^no$/i.test(rootLogin)) {
                reportViolation(`${vm.name}: sshd lets root log in (PermitRootLogin ${rootLogin}): an administrator working as root leaves no sudo record and no named identity behind each command. Fix: PermitRootLogin no (the program's), and sudo from the named admin account.`, vm.urn);
            }
            const allowUsers = (sshd.get("allowusers") ?? "").split(/\s+/).filter((u) => /^root(@|$)/.test(u));
            if (allowUsers.length > 0) {
                reportViolation(`${vm.name}: sshd's AllowUsers admits root (${allowUsers.join(" ")}): logins as root are not imputable to a person. Fix: AllowUsers the named admin account only.`, vm.urn);
            }
            // journald hands syslog what rsyslog forwards to the syslog server (matrix row 7).
            const journald = ["/etc/systemd/journald.conf", ...[...files.keys()].filter((p) => /^\/(etc|run|usr\/lib)\/systemd\/journald\.conf\.d\/[^/]+\.conf$/.test(p)).sort((a, b) => a.split("/").at(-1)!.localeCompare(b.split("/").at(-1)!))];
            const gap = journaldSyslogGap(journald.map(last).filter((t): t is string => t !== undefined));
            if (gap) {
                reportViolation(`${vm.name}: journald is configured with ${gap}: logins (sshd, info), sudo's commands (notice) and the containers' output (info) never reach rsyslog, so the syslog server (matrix row 7) does not receive them. Fix: remove ${gap.split("=")[0]} from journald.conf and its drop-ins.`, vm.urn);
            }
            // rsyslog's forwarding must carry the logins and the sudo commands (matrix row 7): a selector
            // that leaves auth or authpriv out keeps them on the VM, where root erases them.
            const rsyslog = rsyslogPaths(files.keys()).map((p) => last(p)!);
            const forwards = forwardRules(rsyslog);
            const missing = ACCESS_LOGS.filter(([facility, severity]) => !forwards.some((r) => selectorMatches(r.selector, facility, severity)));
            if (forwards.length > 0 && missing.length > 0) {
                reportViolation(`${vm.name}: rsyslog forwards ${forwards.map((r) => `${r.selector} to ${r.target}`).join(", ")}, which leaves out ${missing.map(([f]) => f).join(" and ")}: sshd's logins and sudo's commands stay on the VM, where whoever becomes root erases them. Fix: forward *.* (the program's rule) or at least auth,authpriv.*.`, vm.urn);
            }
            // One named administrator per VM, the one the stack declares (adminUser, adminSshKeys): another account
            // with keys or sudo is an administrator nobody reviewed, whose actions the trail ties to no listed person.
            for (const snippet of ofType(args.resources, TYPES.snippet).filter((s) => snippetHost(s, args.resources) === vmAddress(vm))) {
                const admins = cloudConfig(String(knownOrUndefined(() => snippet.props.sourceRaw?.data) ?? ""))?.administrators ?? [];
                if (admins.length > 1) reportViolation(`${vm.name}: its cloud-init makes ${admins.length} administrator accounts (${admins.join(", ")}): the stack declares one (adminUser with adminSshKeys), so who may administer the VM is no longer the reviewed list, and the others' actions are tied to no person the unit lists. Fix: one admin account, with every administrator's key in adminSshKeys.`, vm.urn);
            }
            // A stop read before the forwarding rule discards the lines it takes: logins and sudo's records among them, they never leave the VM.
            const dropped = discardedBeforeForwarding(rsyslog).filter((d) => d === "every line" || (/^\S+\.\S+$/.test(d) ? ACCESS_LOGS.some(([facility, severity]) => selectorMatches(d, facility, severity)) : /\b(auth|authpriv|sshd|sudo)\b/.test(d)));
            if (forwards.length > 0 && dropped.length > 0) {
                reportViolation(`${vm.name}: rsyslog stops ${dropped.join(", ")} before its forwarding rule: sshd's logins and sudo's commands are discarded there and never reach the syslog server, and on the VM root erases them. Fix: remove the stop, or move it after the forwarding rule (a later file, 99-…).`, vm.urn);
            }
            // The sshd settings that let someone in without a key the deployment installed.
            const keysCommand = sshd.get("authorizedkeyscommand");
            if (keysCommand !== undefined && !/^none$/i.test(keysCommand)) {
                reportViolation(`${vm.name}: sshd asks AuthorizedKeysCommand (${keysCommand}) which keys may log in: whoever controls that command's answer (a web service, the path to it) adds keys the deployment never installed. Fix: remove AuthorizedKeysCommand; the program installs the admins' keys (adminSshKeys).`, vm.urn);
            }
            const userCa = sshd.get("trustedusercakeys");
            if (userCa !== undefined && !/^none$/i.test(userCa) && sshd.get("authorizedprincipalsfile") === undefined) {
                reportViolation(`${vm.name}: sshd trusts the user CA in ${userCa} with no AuthorizedPrincipalsFile: any certificate that CA signs for the principal of an account logs in as it, whoever it was issued to. Fix: remove TrustedUserCAKeys, or add an AuthorizedPrincipalsFile naming the people allowed.`, vm.urn);
            }
            // Docker's non-blocking log mode drops a container's lines whenever its buffer is full.
            const daemonMode = daemonConfig(last("/etc/docker/daemon.json"))["log-opts"];
            if (daemonMode && typeof daemonMode === "object" && (daemonMode as Record<string, unknown>).mode === "non-blocking") {
                reportViolation(`${vm.name}: /etc/docker/daemon.json sets log-opts mode non-blocking: Docker drops every container's output lines whenever the buffer is full, eLabFTW's audit lines included. Fix: remove the mode (blocking, Docker's default).`, vm.urn);
            }
            for (const container of ofType(args.resources, TYPES.container).filter((c) => dockerHostAddress(c) === vmAddress(vm))) {
                const mode = knownOrUndefined(() => container.props.logOpts?.mode);
                if (mode === "non-blocking") {
                    reportViolation(`${container.name}: its log options set mode non-blocking: Docker drops the container's output lines whenever the buffer is full (busy moments: logins, exports), before journald and the syslog server see them. Fix: remove the mode option (blocking, Docker's default).`, container.urn);
                }
            }
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
            // The drops the matrix names are logged: each DROP/REJECT rule of the VM, and the guest layer's chains.
            const ruleList = ofType(args.resources, TYPES.rules).find((r) => knownOrUndefined(() => r.props.vmId) === vm.props.vmId);
            for (const rule of ((ruleList ? knownOrUndefined(() => ruleList.props.rules) : undefined) ?? []) as { action?: string; log?: string | null; enabled?: boolean; comment?: string }[]) {
                if (rule.enabled !== false && /^(DROP|REJECT)$/i.test(rule.action ?? "") && (!rule.log || rule.log === "nolog")) {
                    reportViolation(`${ruleList!.name}: the ${rule.action} rule "${rule.comment ?? ""}" logs nothing (log ${rule.log ?? "unset"}): the attempts the flow matrix denies by name leave no trace (the options' log level covers the final policy only). Fix: log info (the program's).`, ruleList!.urn);
                }
            }
            for (const ruleset of ofType(args.resources, TYPES.command).filter((c) => commandHost(c) === vmAddress(vm) && /guest-firewall-nftables$/.test(c.name))) {
                const text = knownOrUndefined(() => ruleset.props.stdin);
                for (const chain of typeof text === "string" ? unloggedDropChains(text) : []) {
                    reportViolation(`${ruleset.name}: ${vm.name}'s nftables chain ${chain} drops by policy without a log rule: what reaches the guest layer and is refused there leaves no line in the kernel log nor at the syslog server. Fix: keep the chain's rate-limited log rule before its end (limit rate 10/second log prefix "elabftw-${chain}-drop ").`, ruleset.urn);
                }
            }
            for (const s of scripts.filter((d) => d.host === vmAddress(vm))) {
                for (const command of timeSyncStopped(s.script)) {
                    reportViolation(`${s.resource.name} (${s.where}): \`${command}\` stops ${vm.name}'s clock synchronisation: its log lines, archives and audit events drift from the real time. Fix: keep systemd-timesyncd enabled (Debian's default).`, s.resource.urn);
                }
            }
        }
        // MySQL's error log (TLS failures, aborted connections, crashes, recoveries) goes to the container's output unless redirected.
        for (const db of ofType(args.resources, TYPES.container).filter((c) => isDatabaseContainer(c.props))) {
            const target = mysqldOptions(knownOrUndefined(() => db.props.command) ?? []).get("log_error");
            if (target !== undefined && /^\/dev\/(null|zero)$/.test(target.trim())) {
                reportViolation(`${db.name}: mysqld writes its error log to ${target}: its errors and warnings (TLS failures, aborted connections, crashes and recoveries) reach neither the journal nor the syslog server. Fix: remove --log-error (the official image logs to the container's output).`, db.urn);
            }
        }
        // The nodes log dropped packets at most at the datacenter's log rate (Proxmox's default: 1/second, burst 5).
        for (const datacenter of ofType(args.resources, TYPES.datacenterFirewall)) {
            const limit = knownOrUndefined(() => datacenter.props.logRatelimit) as { enabled?: boolean; rate?: string; burst?: number } | undefined;
            if (!limit || limit.enabled === false) continue;
            const perSecond = limit.rate === undefined ? 1 : ratePerSecond(String(limit.rate));
            if (perSecond === undefined || perSecond < 1 || (limit.burst !== undefined && limit.burst < 5)) {
                reportViolation(`${datacenter.name}: the datacenter firewall logs at most ${limit.rate ?? "1/second"} (burst ${limit.burst ?? 5}): below Proxmox's default of 1/second, burst 5, scans of the VMs and attempts on MySQL are almost never recorded. Fix: logRatelimit rate 5/second, burst 10 (the program's), or keep the default.`, datacenter.urn);
            }
        }
    },
};
