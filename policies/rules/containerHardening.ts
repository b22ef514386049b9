// Hardening: containers gain no privileges, keep fewer capabilities than Docker's default, and do not
// reach into the host (policies/models/dockerContainer.ts).
import { ResourceValidationPolicy } from "@pulumi/policy";
import { daemonConfig, DOCKER_DEFAULT_CAPS, effectiveCapabilities, hostAccess, noNewPrivileges } from "../models/dockerContainer";
import { envValueOrUndecided, isApplicationContainer, knownOrUndefined, TYPES } from "./common";
import { cloudConfig, filesWrittenBy } from "../models/programText";
import { apparmorOff } from "../models/hostAccess";
import { pipelines } from "../models/shell";
import { GRUB_DEFAULTS } from "../models/bootParameters";
import { isSysctlFile, sysctlSettings, weakenedKernel } from "../models/sysctl";
import { effectiveCommand } from "../models/shell";

/** The kernel settings a resource's files and scripts leave weaker than Debian's defaults (sysctl.d files, sysctl -w, /proc/sys writes). */
function kernelWeakenings(files: readonly { path: string; content: string }[], scripts: readonly string[]): string[] {
    const texts = new Map(files.filter((f) => isSysctlFile(f.path) || f.path.startsWith("/proc/sys/")).map((f) => [f.path, f.content] as const));
    const argvs = scripts.flatMap((s) => pipelines(s).flatMap((p) => p.stages).map((stage) => effectiveCommand(stage).argv));
    return weakenedKernel(sysctlSettings(texts, argvs));
}

const KERNEL_FIX = "Fix: keep Debian's defaults (remove the setting); debug on a copy of the VM, not on the one that serves the notebook.";

export const containerHardening: ResourceValidationPolicy = {
    name: "container-hardening",
    description:
        "Every container runs with no-new-privileges, fewer capabilities than Docker's default set (nothing added beyond it but the allowed list, never NET_RAW), not privileged, in its own network/PID/IPC/user namespaces, without host devices, the host's root or the Docker socket; no command runs docker exec --privileged; the Docker daemon's default seccomp profile is not unconfined; AppArmor stays on (no apparmor=0, security= or lsm= without it on the kernel command line, apparmor.service not stopped), and so do the kernel's CPU mitigations (no mitigations=off, nopti…) and Debian's kernel hardening (no sysctl setting, as systemd-sysctl applies them, turning off address-space randomisation, unprivileged eBPF's lock, dmesg_restrict, the protected links, or letting setuid programs dump core); docker.socket not opened to other accounts (SocketMode); eLabFTW's DEV_MODE off.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedAddedCapabilities: { type: "array", items: { type: "string" }, default: ["SYS_NICE"], description: "Capabilities beyond Docker's default set a container may have (MySQL's official example adds SYS_NICE)." },
        },
    },
    validateResource: (args, reportViolation) => {
        // A process started with `docker exec --privileged` has every capability and device of the
        // host, whatever the container was created with.
        if (args.type === TYPES.command) {
            for (const field of ["create", "update", "delete"]) {
                const script = args.props[field];
                if (typeof script !== "string") continue;
                const privileged = pipelines(script).flatMap((p) => p.stages).some((stage) => {
                    const words = stage.words.map((w) => w.text);
                    const at = words.findIndex((w, i) => /(^|\/)docker$/.test(w) && words[i + 1] === "exec");
                    if (at < 0) return false;
                    for (let i = at + 2; i < words.length && words[i].startsWith("-"); i++) if (words[i] === "--privileged" || words[i] === "--privileged=true") return true;
                    return false;
                });
                for (const weak of kernelWeakenings(filesWrittenBy(script), [script])) reportViolation(`${args.name}: its ${field} command weakens the kernel that confines the containers: ${weak}. ${KERNEL_FIX}`);
                if (privileged) reportViolation(`${args.name}: its ${field} command runs docker exec --privileged: that process has every capability and device of the VM. Fix: run it without --privileged (the container's own capabilities suffice).`);
                const grub = filesWrittenBy(script).filter((f) => GRUB_DEFAULTS.test(f.path)).map((f) => f.content);
                for (const off of apparmorOff(grub, [script])) reportViolation(`${args.name}: its ${field} command weakens the kernel's confinement of the containers (${off}): without AppArmor Docker applies no profile (mount, ptrace and /proc protections gone); without the CPU mitigations a process in a container reads other processes' memory. Fix: keep AppArmor and the mitigations on (Debian's defaults); allow what a container needs in its own profile.`);
            }
            return;
        }
        // The daemon's default seccomp profile applies to every container that names none.
        if (args.type === TYPES.snippet) {
            const config = cloudConfig(String(knownOrUndefined(() => args.props.sourceRaw?.data) ?? ""));
            for (const off of apparmorOff(config?.files.filter((f) => GRUB_DEFAULTS.test(f.path)).map((f) => f.content) ?? [], config?.commands ?? [])) {
                reportViolation(`${args.name}: the VM's cloud-init weakens the kernel's confinement of the containers (${off}): after the next boot Docker applies no AppArmor profile, or the CPU mitigations are gone and a process in a container reads other processes' memory. Fix: keep AppArmor and the mitigations on (Debian's defaults); allow what a container needs in its own profile.`);
            }
            for (const weak of kernelWeakenings(config?.files ?? [], config?.commands ?? [])) reportViolation(`${args.name}: the VM's cloud-init weakens the kernel that confines the containers: ${weak}. ${KERNEL_FIX}`);
            // Docker's socket is root's API: 0660 root:docker. Wider, any local account drives it.
            for (const unit of config?.files.filter((f) => /^\/etc\/systemd\/system\/docker\.socket(\.d\/[^/]+\.conf)?$/.test(f.path)) ?? []) {
                const mode = /^\s*SocketMode\s*=\s*(\d+)\s*$/m.exec(unit.content)?.[1];
                if (mode !== undefined && (parseInt(mode, 8) & 0o007) !== 0) {
                    reportViolation(`${args.name}: ${unit.path} sets SocketMode=${mode}: every local account, however unprivileged, drives the Docker API, root on the VM (a privileged container, the host's files). Fix: leave docker.socket's mode (0660, group docker).`);
                }
            }
            const daemon = config?.files.find((f) => f.path === "/etc/docker/daemon.json");
            if (daemon && String(daemonConfig(daemon.content)["seccomp-profile"] ?? "") === "unconfined") {
                reportViolation(`${args.name}: /etc/docker/daemon.json sets "seccomp-profile": "unconfined", so every container runs without a syscall filter. Fix: remove seccomp-profile (Docker's default profile).`);
            }
            return;
        }
        if (args.type !== TYPES.container) return;
        const { allowedAddedCapabilities } = args.getConfig<{ allowedAddedCapabilities: string[] }>();
        if (!noNewPrivileges(args.props)) {
            reportViolation(`${args.name}: processes may gain privileges (setuid). Fix: add the security option no-new-privileges:true.`);
        }
        const caps = effectiveCapabilities(args.props);
        const extra = caps.filter((c) => !DOCKER_DEFAULT_CAPS.includes(c) && !allowedAddedCapabilities.includes(c));
        if (extra.length > 0) reportViolation(`${args.name}: has the capabilities ${extra.join(", ")} beyond Docker's default set. Fix: remove them from the added capabilities.`);
        else if (DOCKER_DEFAULT_CAPS.every((c) => caps.includes(c))) {
            reportViolation(`${args.name}: keeps Docker's full default capability set. Fix: drop capabilities (eLabFTW: all but CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID; MySQL: the official list).`);
        }
        // Raw sockets let a container forge packets on Docker's bridge (ARP, spoofed sources) past
        // the host's filters: no service here needs them (eLabFTW keeps five capabilities, MySQL's
        // official list drops NET_RAW).
        if (caps.includes("NET_RAW") || caps.includes("ALL")) reportViolation(`${args.name}: keeps NET_RAW (raw sockets: forged packets on Docker's bridge). Fix: drop NET_RAW (capabilities.drops).`);
        for (const access of hostAccess(args.props)) reportViolation(`${args.name}: ${access.what}. Fix: remove it; the container needs no access to the host.`);
        // elabimg's DEV_MODE relaxes the app's own confinement: 'unsafe-eval' in its CSP, PHP's open_basedir, opcache.
        // In a preview the entries holding generated secrets are unknown as a whole (DB_PASSWORD=…, first in the
        // list): DEV_MODE set anywhere after them is read; otherwise it is decided at `up`, every entry known,
        // rather than skipping the container's other checks.
        const devMode = isApplicationContainer(args.props) ? envValueOrUndecided(args.props, "DEV_MODE") : undefined;
        if (devMode !== undefined && /^(1|true|yes|on)$/i.test(devMode.trim())) reportViolation(`${args.name}: DEV_MODE=${devMode}: elabimg adds 'unsafe-eval' to the Content-Security-Policy and relaxes PHP's open_basedir, so an injected script may eval and a file-read flaw reaches the whole container. Fix: DEV_MODE=false (the program's).`);
    },
};
