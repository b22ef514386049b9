// What a Docker container may do on its host, from the Docker provider's container properties as
// the engine reads them: privileged; the effective capabilities (Docker's default set, plus added,
// minus dropped, ALL on either side); host namespaces; devices; mounts of the host's root or of the
// Docker socket; no-new-privileges in its accepted spellings; unconfined seccomp/AppArmor.
import { isUnder, normalisePath } from "./paths";

export const DOCKER_DEFAULT_CAPS = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, "");
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** The capabilities the container's processes get; "ALL" when every capability is added. */
export function effectiveCapabilities(props: Record<string, any>): string[] {
    const adds = list(props.capabilities?.adds).map(capName);
    const drops = list(props.capabilities?.drops).map(capName);
    if (props.privileged === true || adds.includes("ALL")) return ["ALL"];
    const base = drops.includes("ALL") ? [] : DOCKER_DEFAULT_CAPS.filter((c) => !drops.includes(c));
    // Docker applies adds after drops: an added capability stays even if also dropped.
    return [...new Set([...base, ...adds])].sort();
}

export function noNewPrivileges(props: Record<string, any>): boolean {
    const opts = list(props.securityOpts).map((o) => o.replace(/\s/g, "").toLowerCase());
    let on = false;
    for (const o of opts) if (/^no-new-privileges([:=](true|false))?$/.test(o)) on = !o.endsWith("false");
    return on;
}

export interface HostAccess {
    readonly what: string;
}

const SOCKETS = ["/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock"];

/** Every bind mount or volume's host path, with its target and whether it is read-only. */
export function hostPaths(props: Record<string, any>): { source: string; target: string; readOnly: boolean }[] {
    const mounts = (Array.isArray(props.mounts) ? props.mounts : []).filter((m: any) => (m.type ?? "volume") === "bind");
    const volumes = (Array.isArray(props.volumes) ? props.volumes : []).filter((v: any) => typeof v.hostPath === "string" && v.hostPath);
    return [
        ...mounts.map((m: any) => ({ source: normalisePath(String(m.source ?? "")), target: String(m.target ?? ""), readOnly: m.readOnly === true })),
        ...volumes.map((v: any) => ({ source: normalisePath(String(v.hostPath)), target: String(v.containerPath ?? ""), readOnly: v.readOnly === true })),
    ];
}

/** Ways the container reaches past its isolation into the host. */
export function hostAccess(props: Record<string, any>): HostAccess[] {
    const found: HostAccess[] = [];
    if (props.privileged === true) found.push({ what: "runs privileged" });
    for (const [key, label] of [["networkMode", "network"], ["pidMode", "PID"], ["ipc", "IPC"], ["ipcMode", "IPC"], ["usernsMode", "user"], ["utsMode", "UTS"], ["cgroupnsMode", "cgroup"]] as const) {
        if (String(props[key] ?? "").toLowerCase() === "host") found.push({ what: `shares the host's ${label} namespace (${key}: host)` });
    }
    for (const d of Array.isArray(props.devices) ? props.devices : []) found.push({ what: `has the host device ${d.hostPath ?? d.containerPath}` });
    for (const m of hostPaths(props)) {
        if (m.source === "/") found.push({ what: `mounts the host's root file system at ${m.target}` });
        else if (SOCKETS.includes(m.source) || SOCKETS.some((s) => s.startsWith(`${m.source}/`))) found.push({ what: `mounts the container engine's socket (${m.source}) at ${m.target}` });
    }
    for (const o of list(props.securityOpts).map((x) => x.toLowerCase().replace(/\s/g, ""))) {
        if (/^(seccomp|apparmor)[:=]unconfined$/.test(o)) found.push({ what: `runs with ${o}` });
        // dockerd's "systempaths=unconfined" unmasks /proc/kcore, /proc/sysrq-trigger and the other
        // paths it masks and makes read-only by default.
        if (/^systempaths[:=]unconfined$/.test(o)) found.push({ what: `runs with ${o} (the host's /proc and /sys paths Docker masks are exposed)` });
    }
    return found;
}

/**
 * daemon.json as dockerd reads it: an object of settings. A file that does not parse stops dockerd;
 * it is read as no settings (the defaults).
 */
export function daemonConfig(daemonJson: string | undefined): Record<string, unknown> {
    try {
        const config = JSON.parse(daemonJson ?? "{}");
        return config && typeof config === "object" && !Array.isArray(config) ? config : {};
    } catch {
        return {};
    }
}

/**
 * Where dockerd keeps images, containers' writable layers and named volumes: daemon.json's
 * "data-root" (or the older "graph", still read by Debian 12's Docker 20.10), else /var/lib/docker.
 */
export function dockerDataRoot(daemonJson: string | undefined): string {
    const config = daemonConfig(daemonJson);
    return normalisePath(String(config["data-root"] ?? config.graph ?? "/var/lib/docker"));
}

/**
 * Where images and containers' writable layers live when dockerd hands them to containerd's image
 * store (daemon.json "features": {"containerd-snapshotter": true}): containerd's root, from its
 * config.toml (`root = "..."`), else /var/lib/containerd. Undefined: Docker keeps them in data-root.
 */
export function containerdLayerRoot(daemonJson: string | undefined, containerdToml: string | undefined): string | undefined {
    const features = (daemonConfig(daemonJson).features ?? {}) as Record<string, unknown>;
    const on = features["containerd-snapshotter"];
    if (on !== true && String(on).toLowerCase() !== "true") return undefined;
    const root = /^\s*root\s*=\s*["']([^"']+)["']/m.exec(containerdToml ?? "")?.[1];
    return normalisePath(root ?? "/var/lib/containerd");
}

/** The Docker daemon's default log driver (daemon.json "log-driver", else json-file). */
export function daemonLogDriverOf(daemonJson: string | undefined): string {
    return String(daemonConfig(daemonJson)["log-driver"] ?? "json-file");
}

/** Where the container's named and anonymous volumes live on the host (a local volume bound to a device path lives there). */
export function volumePaths(props: Record<string, any>, dataRoot: string): { source: string; target: string; readOnly: boolean }[] {
    const mounts = (Array.isArray(props.mounts) ? props.mounts : []).filter((m: any) => (m.type ?? "volume") === "volume");
    const volumes = (Array.isArray(props.volumes) ? props.volumes : []).filter((v: any) => !v.hostPath && !v.fromContainer);
    const place = (name: string, options: Record<string, any> | undefined) => {
        const opts = options?.driverOptions ?? options?.driverOpts ?? {};
        return /(^|,)bind(,|$)/.test(String(opts.o ?? "")) && opts.device ? normalisePath(String(opts.device)) : `${dataRoot}/volumes/${name || "<anonymous>"}`;
    };
    return [
        ...mounts.map((m: any) => ({ source: place(String(m.source ?? ""), m.volumeOptions), target: String(m.target ?? ""), readOnly: m.readOnly === true })),
        ...volumes.map((v: any) => ({ source: `${dataRoot}/volumes/${v.volumeName || "<anonymous>"}`, target: String(v.containerPath ?? ""), readOnly: v.readOnly === true })),
    ];
}

const STANDARD_STREAMS = /^\/(dev\/(stdout|stderr|fd\/[12])|proc\/self\/fd\/[12])$/;

/**
 * Where on the host a file the container writes at `path` lands: the standard streams go to the log
 * driver (json-file and local keep them under the data-root, journald, syslog and the others send
 * them off it); a path under a mount lands at the mount's source (the deepest target wins); anything
 * else is in the container's writable layer, under the data-root. Undefined: not on a disk (/dev, /proc).
 */
export function hostPathOf(props: Record<string, any>, path: string, dataRoot: string, daemonLogDriver = "json-file"): { path: string; via: string; inMemory?: boolean } | undefined {
    const clean = normalisePath(path);
    if (STANDARD_STREAMS.test(clean)) {
        const driver = String(props.logDriver || daemonLogDriver);
        return ["json-file", "local"].includes(driver) ? { path: `${dataRoot}/containers`, via: `the ${driver} log driver` } : { path: `(${driver})`, via: `the ${driver} log driver` };
    }
    if (/^\/(dev|proc|sys)(\/|$)/.test(clean)) return undefined;
    const mounts = [...hostPaths(props), ...volumePaths(props, dataRoot)].filter((m) => isUnder(clean, m.target)).sort((a, b) => normalisePath(b.target).length - normalisePath(a.target).length);
    // A tmpfs (a `tmpfs` mount, or the container's tmpfs map) keeps what is written in memory only, gone at every restart.
    const tmpfs = [...(Array.isArray(props.mounts) ? props.mounts : []).filter((m: any) => m.type === "tmpfs").map((m: any) => String(m.target ?? "")), ...Object.keys(props.tmpfs && typeof props.tmpfs === "object" ? props.tmpfs : {})]
        .filter((t) => isUnder(clean, t))
        .sort((a, b) => normalisePath(b).length - normalisePath(a).length)[0];
    if (tmpfs !== undefined && (!mounts[0] || normalisePath(tmpfs).length > normalisePath(mounts[0].target).length)) return { path: "(memory)", via: `a tmpfs at ${tmpfs}`, inMemory: true };
    if (mounts[0]) return { path: normalisePath(`${mounts[0].source}/${clean.slice(normalisePath(mounts[0].target).length)}`), via: `the mount at ${mounts[0].target}` };
    return { path: `${dataRoot}/containers`, via: "the container's writable layer" };
}

/**
 * The environment variables Docker's log drivers copy into every log record: the `env` list and the
 * `env-regex` pattern of the container's log options (json-file, journald, syslog, gelf...).
 */
export function loggedEnvironment(logOpts: unknown, envNames: readonly string[]): string[] {
    const opts = (logOpts && typeof logOpts === "object" ? logOpts : {}) as Record<string, unknown>;
    const listed = String(opts.env ?? "").split(",").map((n) => n.trim()).filter(Boolean);
    let pattern: RegExp | undefined;
    try {
        pattern = opts["env-regex"] ? new RegExp(String(opts["env-regex"])) : undefined;
    } catch {
        pattern = /.*/; // a pattern JavaScript cannot read: counted as logging everything, not nothing
    }
    return [...new Set([...listed, ...envNames.filter((n) => n && pattern?.test(n))])];
}
