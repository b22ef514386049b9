// Stand-in for the pulumi-resource-docker plugin 5.2.0 (what @pulumi/docker 5.2.0 asks for): the
// real one is bridged (SDKv2) from a patched kreuzwerker/terraform-provider-docker git submodule
// and cannot be built from Go modules here. Run by .toolchain/plugins/resource-docker-v5.2.0/.
//
// Reproduces, for RemoteImage and Container (and the docker.Provider resource, whose
// configuration it accepts as given), without any Docker engine:
//   - Check adds the schema defaults to the inputs, as the SDKv2 bridge does (Container: attach,
//     logs, rm, readOnly, stdinOpen, tty false; start, mustRun, removeVolumes true; wait false,
//     waitTimeout 60, restart "no", networkMode "bridge", memoryReservation 0,
//     containerReadRefreshTimeoutMilliseconds 15000; ports[].ip "0.0.0.0", ports[].protocol "tcp");
//   - in preview of a create, what the provider computes and the program did not set is unknown:
//     RemoteImage imageId and repoDigest; Container command, entrypoints, envs, labels, hostname,
//     ipcMode, logDriver, runtime, securityOpts, shmSize, stopSignal, stopTimeout, init,
//     platform, healthcheck, networkDatas, bridge, exitCode, containerLogs;
//   - after create, the values a fresh container on the default bridge network reports (id of
//     64 hex digits, hostname = its first 12, ipcMode "private", logDriver "json-file",
//     runtime "runc", shmSize 64, init false, platform "linux", empty command/entrypoints/
//     envs/labels/securityOpts when unset, one bridge networkData); RemoteImage id = imageId +
//     name as the real provider, imageId "sha256:<hex>" and repoDigest "<repository>@sha256:<hex>"
//     derived from the name (stable across runs, not a registry's digest);
//   - replacement on a change of any ForceNew input (willReplaceOnChanges in the schema of
//     pulumi-docker: for Container everything but attach, containerReadRefreshTimeoutMilliseconds,
//     cpu*/memory*, destroyGraceSeconds, device*Bps/Iops, healthcheck, logs, maxRetryCount,
//     mustRun, removeVolumes, restart, rm, start, tmpfs, wait, waitTimeout; for RemoteImage name,
//     platform, pullTriggers, triggers); other changes update in place.
// Does not: talk to a Docker daemon (nothing is pulled or run, so `wait`, healthchecks and
// uploads are not exercised), the image's own CMD/ENV/labels (unknown to it: empty lists),
// docker.Network/Volume/Image and the other types (an error names the type), invokes.
import { createHash, randomBytes } from "node:crypto";
import { serve, type Props } from "./lib/standIn";

const CONTAINER_REPLACE = [
    "capabilities", "cgroupParent", "cgroupnsMode", "command", "cpus", "deviceCgroupRules", "deviceRequests", "devices", "dns", "dnsOpts", "dnsSearches",
    "domainname", "entrypoints", "envs", "gpus", "groupAdds", "hostname", "hosts", "image", "ipcMode", "labels", "logDriver", "logOpts", "mounts", "name",
    "networkMode", "networksAdvanced", "pidMode", "platform", "ports", "privileged", "publishAllPorts", "readOnly", "runtime", "securityOpts", "shmSize",
    "stdinOpen", "stopSignal", "stopTimeout", "storageOpts", "sysctls", "tty", "ulimits", "uploads", "user", "usernsMode", "volumes", "workingDir",
];

const CONTAINER_DEFAULTS: Props = {
    attach: false,
    containerReadRefreshTimeoutMilliseconds: 15000,
    logs: false,
    memoryReservation: 0,
    mustRun: true,
    networkMode: "bridge",
    readOnly: false,
    removeVolumes: true,
    restart: "no",
    rm: false,
    start: true,
    stdinOpen: false,
    tty: false,
    wait: false,
    waitTimeout: 60,
};

function hex(seed: string): string {
    return createHash("sha256").update(seed).digest("hex");
}

function repository(name: string): string {
    const at = name.indexOf("@");
    if (at >= 0) return name.slice(0, at);
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    return colon > slash ? name.slice(0, colon) : name;
}

serve({
    name: "docker",
    version: "5.2.0",
    npmPackage: "@pulumi/docker",
    types: {
        "docker:index/remoteImage:RemoteImage": {
            checkDefaults: true,
            replaceOnChanges: ["name", "platform", "pullTriggers", "triggers"],
            create(inputs) {
                const name = String(inputs.name);
                const imageId = `sha256:${hex(`image:${name}`)}`;
                return { id: `${imageId}${name}`, outs: { imageId, repoDigest: `${repository(name)}@sha256:${hex(`digest:${name}`)}` } };
            },
        },
        "docker:index/container:Container": {
            checkDefaults: true,
            defaults: CONTAINER_DEFAULTS,
            computed: [
                "command", "entrypoints", "envs", "labels", "hostname", "ipcMode", "logDriver", "runtime", "securityOpts", "shmSize", "stopSignal",
                "stopTimeout", "init", "platform", "healthcheck",
            ],
            replaceOnChanges: CONTAINER_REPLACE,
            normalize(inputs) {
                const ports = inputs.ports;
                if (!Array.isArray(ports)) return inputs;
                return { ...inputs, ports: ports.map((p) => (typeof p === "object" && p !== null ? { ip: "0.0.0.0", protocol: "tcp", ...(p as Props) } : p)) };
            },
            create(inputs) {
                const id = randomBytes(32).toString("hex");
                const set = (k: string, v: unknown) => (inputs[k] === undefined || inputs[k] === null ? v : inputs[k]);
                const mustStop = inputs.start === false || inputs.mustRun === false;
                return {
                    id,
                    outs: {
                        command: set("command", []),
                        entrypoints: set("entrypoints", []),
                        envs: set("envs", []),
                        labels: set("labels", []),
                        hostname: set("hostname", id.slice(0, 12)),
                        ipcMode: set("ipcMode", "private"),
                        logDriver: set("logDriver", "json-file"),
                        runtime: set("runtime", "runc"),
                        securityOpts: set("securityOpts", []),
                        shmSize: set("shmSize", 64),
                        stopSignal: set("stopSignal", ""),
                        stopTimeout: set("stopTimeout", 0),
                        init: set("init", false),
                        platform: set("platform", "linux"),
                        healthcheck: set("healthcheck", null),
                        bridge: "",
                        exitCode: mustStop ? 0 : null,
                        containerLogs: null,
                        networkDatas: [
                            {
                                gateway: "172.17.0.1",
                                globalIpv6Address: "",
                                globalIpv6PrefixLength: 0,
                                ipAddress: "172.17.0.2",
                                ipPrefixLength: 16,
                                ipv6Gateway: "",
                                macAddress: "02:42:ac:11:00:02",
                                networkName: "bridge",
                            },
                        ],
                    },
                };
            },
        },
    },
});
