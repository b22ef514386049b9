// The images a docker command line runs, as the docker CLI reads it: `docker [global options] run|
// create|pull|plugin install [options] IMAGE [command...]`, where an option either takes a value (`-v X`, `--name=X`)
// or is a switch. Also a command handed to a wrapper as one argument (`--mysql-exec "docker run …"`).
// And the daemon's own command line (`dockerd -H …`, `-D`).
import { effectiveCommand, pipelines } from "./shell";

const GLOBAL_WITH_VALUE = /^(-H|--host|-c|--context|--config|-l|--log-level|--tlscacert|--tlscert|--tlskey)$/;
const RUN_WITH_VALUE = new Set([
    "-a", "--attach", "--add-host", "--annotation", "--blkio-weight", "--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile", "-c", "--cpu-shares", "--cpus", "--cpuset-cpus",
    "--device", "--dns", "--dns-option", "--dns-search", "--domainname", "--entrypoint", "-e", "--env", "--env-file", "--expose", "--gpus", "--group-add", "--health-cmd", "--health-interval",
    "--health-retries", "--health-start-period", "--health-timeout", "-h", "--hostname", "--ip", "--ip6", "--ipc", "--isolation", "-l", "--label", "--label-file", "--link", "--log-driver",
    "--log-opt", "--mac-address", "-m", "--memory", "--memory-reservation", "--memory-swap", "--mount", "--name", "--network", "--net", "--network-alias", "--oom-score-adj", "--pid",
    "--pids-limit", "--platform", "-p", "--publish", "--pull", "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl",
    "--tmpfs", "-u", "--user", "--ulimit", "--userns", "--uts", "-v", "--volume", "--volume-driver", "--volumes-from", "-w", "--workdir",
]);

/** The image a docker argv runs, creates or pulls, or undefined. */
export function dockerImageOf(argv: readonly string[]): string | undefined {
    if (!/(^|\/)docker$/.test(argv[0] ?? "")) return undefined;
    let i = 1;
    while (i < argv.length && argv[i].startsWith("-")) i += GLOBAL_WITH_VALUE.test(argv[i]) ? 2 : 1;
    // `docker plugin install REF`: a plugin is an image too, run by the daemon with the host access it asks for.
    const verb = argv[i] === "container" || argv[i] === "image" || argv[i] === "plugin" ? `${argv[i] === "plugin" ? "plugin " : ""}${argv[++i]}` : argv[i];
    if (!["run", "create", "pull", "plugin install"].includes(verb ?? "")) return undefined;
    for (i++; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") return argv[i + 1];
        if (!a.startsWith("-") || a === "-") return a;
        if (!a.includes("=") && (RUN_WITH_VALUE.has(a) || (verb === "plugin install" && a === "--alias"))) i++;
    }
    return undefined;
}

/** Every image a script's docker commands run, with those of commands passed as one argument. */
export function imagesRunBy(script: string, depth = 0): string[] {
    return pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
        const argv = effectiveCommand(stage).argv;
        const direct = dockerImageOf(argv);
        const nested = depth < 2 ? argv.slice(1).filter((a) => /(^|[\s/])docker\s+(container\s+|image\s+|plugin\s+)?(run|create|pull|install)\s/.test(a)).flatMap((a) => imagesRunBy(a, depth + 1)) : [];
        return [...(direct ? [direct] : []), ...nested];
    });
}

const isDockerd = (argv: readonly string[]) => /(^|\/)dockerd$/.test(argv[0] ?? "");

/** The tcp:// addresses a dockerd command line listens on without --tlsverify. */
export function plainTcpListeners(argv: readonly string[]): string[] {
    if (!isDockerd(argv) || argv.some((a) => /^--tlsverify(=(true|1))?$/.test(a))) return [];
    return argv.flatMap((a, i) => {
        const value = a === "-H" || a === "--host" ? argv[i + 1] : /^(-H|--host=)(.+)$/.exec(a)?.[2];
        return value && /^tcp:\/\//.test(value) ? [value] : [];
    });
}

/** Whether a dockerd command line turns debug mode on (-D, --debug). */
export const dockerdDebug = (argv: readonly string[]): boolean => isDockerd(argv) && argv.some((a) => a === "-D" || a === "--debug" || a === "--debug=true");
