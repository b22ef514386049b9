// Hardening: every channel that carries secrets verifies the host at its other end. Remote commands
// pin the VM's SSH host key (connection.hostKey: the command provider otherwise accepts any key);
// Docker providers run ssh with options that trust only the stack's pinned known_hosts file (ssh
// keeps the FIRST value given for an option); on production the Proxmox API's certificate is
// verified (insecure off). The API token and every secret the commands carry otherwise go to
// whoever answers at the address.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { assignments } from "../models/borg";
import { plainTcpListeners } from "../models/dockerCli";
import { daemonConfig } from "../models/dockerContainer";
import { commandName, effectiveCommand, pipelines } from "../models/shell";
import { hostKeyExports } from "../models/secretLeaks";
import { isProductionStack, providerList, TYPES, tryKnown, vmAddress } from "./common";
import { cloudInitFiles, deployedScripts, vmFileTexts } from "./deployedText";

const DOCKER_PROVIDER = "pulumi:providers:docker";
const LOCAL_COMMAND = "command:local:Command";
/** A JSON object's fields, or undefined for any other text. */
function jsonObject(text: string): Record<string, unknown> | undefined {
    try {
        const value = JSON.parse(text);
        return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
    } catch {
        return undefined;
    }
}
const isTrue = (v: { known: boolean; value?: unknown }) => v.known && (v.value === true || String(v.value).toLowerCase() === "true");
const PROXMOX_PROVIDER = "pulumi:providers:proxmoxve";

/** ssh's options from a word list as ssh reads them (`-o Key=Value`, `-oKey=Value`, `-o "Key Value"`): keys lower-cased, the first value kept. */
export function sshOptions(words: readonly string[]): Map<string, string> {
    const options = new Map<string, string>();
    for (let i = 0; i < words.length; i++) {
        const text = words[i] === "-o" ? words[++i] : words[i].startsWith("-o") ? words[i].slice(2) : undefined;
        const m = text === undefined ? null : /^\s*(\w+)\s*(?:=|\s)\s*(.*?)\s*$/.exec(text);
        if (m && !options.has(m[1].toLowerCase())) options.set(m[1].toLowerCase(), m[2]);
    }
    return options;
}


/** Why a Docker provider's ssh does not verify its host, or undefined. */
function dockerSshProblem(props: Record<string, any>): string | undefined {
    const host = tryKnown(() => String(props.host ?? ""));
    if (!host.known || !host.value.startsWith("ssh://")) return host.known && /^tcp:\/\//.test(host.value) && props.certPath === undefined && props.caMaterial === undefined ? `reaches the Docker daemon over plain TCP (${host.value}): no host authentication at all` : undefined;
    const words = tryKnown(() => props.sshOpts as unknown);
    if (!words.known) return undefined; // decided at `up`
    const options = sshOptions(providerList(words.value));
    const strict = (options.get("stricthostkeychecking") ?? "ask").toLowerCase();
    const file = options.get("userknownhostsfile");
    if (strict !== "yes") return `runs ssh with StrictHostKeyChecking=${strict}${strict === "ask" ? " (unset)" : ""}: ${strict === "accept-new" ? "the first key offered is trusted" : "a key no file vouches for is not refused"}`;
    if (!file || /^\/dev\/null$/.test(file) || /(^|\s)\/dev\/null(\s|$)/.test(file)) return `runs ssh with UserKnownHostsFile=${file ?? "unset (the operator's ~/.ssh/known_hosts)"}: no pinned key vouches for the VM`;
    // A folder every local account may write to (sticky or not): whoever creates the file first picks the key.
    const shared = file.split(/\s+/).find((f) => /^\/(tmp|var\/tmp|dev\/shm)(\/|$)/.test(f));
    if (shared) return `runs ssh with UserKnownHostsFile=${shared}, in a folder every local account writes to: whoever creates that file first chooses the key ssh trusts`;
    return trustsOtherFiles(options) ?? sessionProblem(options);
}

/**
 * ssh options that hand the session to someone else: ForwardAgent lends the operator's agent (the
 * keys to every VM) to the remote root; a ControlPath in a shared folder lets whoever created that
 * socket first be the connection ssh reuses, without a key exchange of its own.
 */
function sessionProblem(options: ReadonlyMap<string, string>): string | undefined {
    const agent = options.get("forwardagent");
    if (agent !== undefined && !/^no$/i.test(agent)) return `runs ssh with ForwardAgent=${agent}: the operator's ssh-agent is lent to the VM for the session, and root there signs with its keys`;
    const master = (options.get("controlmaster") ?? "no").toLowerCase();
    const path = options.get("controlpath");
    if (master !== "no" && path !== undefined && !/^none$/i.test(path) && /^\/(tmp|var\/tmp|dev\/shm)(\/|$)/.test(path)) return `runs ssh with ControlMaster=${master} and ControlPath=${path}, in a folder every local account writes to: a socket another account created there first becomes the connection, with no key exchange of its own`;
    return undefined;
}

/**
 * Files beside the pinned one that ssh would also believe: the operator's own ~/.ssh/known_hosts (an
 * old VM's key at the address, a line anyone with the account planted) and the system-wide files,
 * read unless GlobalKnownHostsFile is /dev/null.
 */
function trustsOtherFiles(options: ReadonlyMap<string, string>): string | undefined {
    // ssh_config(5): KnownHostsCommand's output is read as known_hosts lines besides the files.
    const command = options.get("knownhostscommand");
    if (command !== undefined && !/^none$/i.test(command.trim())) return `runs ssh with KnownHostsCommand=${command}: whatever key that command prints (a keyscan trusts whoever answers) vouches for the host besides the pinned file`;
    // Unset, ssh reads the account's own ~/.ssh/known_hosts (and known_hosts2).
    const files = (options.get("userknownhostsfile") ?? "~/.ssh/known_hosts").split(/\s+/).filter(Boolean);
    const own = files.find((f) => /^(~|\$\{?HOME\}?|%d)\/\.ssh\//.test(f) || /^\/(root|home\/[^/]+)\/\.ssh\//.test(f));
    if (own) return `runs ssh trusting ${own}, the account's own known_hosts: whatever line it holds for the address vouches for the host`;
    const global = options.get("globalknownhostsfile");
    if (global === undefined || !/^\/dev\/null$/.test(global)) return `runs ssh with GlobalKnownHostsFile=${global ?? "unset (/etc/ssh/ssh_known_hosts)"}: the system's known hosts vouch for the host too`;
    return undefined;
}

/** Why Borg's ssh (BORG_RSH, or borg --rsh) in a script does not verify the backup host, or undefined. */
function borgSshProblems(script: string): string[] {
    const commands = [
        ...assignments(script).filter((a) => a.name === "BORG_RSH").map((a) => a.value.text),
        ...pipelines(script).flatMap((p) => p.stages).flatMap((stage) => {
            const argv = effectiveCommand(stage).argv;
            const at = argv.findIndex((a) => a === "--rsh" || a.startsWith("--rsh="));
            return /^borg(backup)?$/.test(commandName(argv)) && at >= 0 ? [argv[at] === "--rsh" ? argv[at + 1] ?? "" : argv[at].slice(6)] : [];
        }),
    ];
    return commands.flatMap((command) => {
        const words = command.split(/\s+/).filter(Boolean);
        if (words.length === 0 || !/(^|\/)ssh$/.test(words[0])) return [];
        const options = sshOptions(words);
        const strict = (options.get("stricthostkeychecking") ?? "ask").toLowerCase();
        if (strict !== "yes") return [`Borg's ssh (${command.slice(0, 60)}…) runs with StrictHostKeyChecking=${strict}: a backup host no pinned key vouches for still receives the archives`];
        const other = trustsOtherFiles(options) ?? sessionProblem(options);
        return other ? [`Borg's ssh ${other}`] : [];
    });
}

/** Whether a remote command pins its host's key; undefined: not known in this preview. */
function commandPinsHostKey(command: PolicyResource): boolean | undefined {
    const connection = tryKnown(() => command.props.connection as Record<string, unknown> | undefined);
    if (!connection.known) return undefined;
    const key = tryKnown(() => connection.value?.hostKey);
    if (!key.known) return undefined;
    return typeof key.value === "string" && /^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa|rsa-sha2-\d+) [A-Za-z0-9+/=]+/.test(key.value.trim());
}

export const verifiedRemoteHosts: StackValidationPolicy = {
    name: "verified-remote-hosts",
    description: "Every remote command pins its VM's SSH host key; every Docker provider's ssh and Borg's ssh trust only a pinned known_hosts file (StrictHostKeyChecking=yes, not the account's ~/.ssh/known_hosts nor the system's, as ssh reads its options: the first value wins; no KnownHostsCommand adding keys, no @cert-authority line in a pinned file, no ForwardAgent, no ControlPath in a shared folder); no known_hosts file in a folder every account writes to (/tmp); the host-key reader verifies the Proxmox API as the provider does (and never with NODE_TLS_REJECT_UNAUTHORIZED=0); on production the Proxmox API's TLS certificate is verified (insecure off); no dockerd listening on tcp:// without --tlsverify. The VMs' SSH host private keys never leave them (etckeeper push, rsync of /etc). The Proxmox provider reaches its API over https only.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const command of args.resources.filter((r) => r.type === TYPES.command)) {
            if (commandPinsHostKey(command) === false) {
                reportViolation(`${command.name}: its connection pins no host key, so the command provider accepts whatever key answers at the address and sends it the command and its stdin. Fix: keep the connection's hostKey (the VM's key read through the guest agent).`, command.urn);
            }
        }
        const dockerProviders = new Map<string, { name: string; urn: string; props: Record<string, any> }>();
        for (const r of args.resources) {
            if (r.type === DOCKER_PROVIDER) dockerProviders.set(r.urn, r);
            if (r.type === TYPES.container && r.provider) dockerProviders.set(r.provider.urn, r.provider);
        }
        for (const provider of dockerProviders.values()) {
            const problem = dockerSshProblem(provider.props);
            if (problem) reportViolation(`${provider.name}: ${problem}; the containers' environment (DB_PASSWORD, SECRET_KEY) goes to whoever answers. Fix: keep the DockerHost's sshOpts (StrictHostKeyChecking=yes, UserKnownHostsFile=<the stack's pinned file>).`, provider.urn);
        }
        for (const s of deployedScripts(args.resources)) {
            for (const problem of borgSshProblems(s.script)) reportViolation(`${s.resource.name} (${s.where}): ${problem}. Fix: keep common.sh's BORG_RSH (StrictHostKeyChecking=yes, UserKnownHostsFile=$BACKUP_KNOWN_HOSTS, GlobalKnownHostsFile=/dev/null; the backupHostKey setting).`, s.resource.urn);
        }
        // A pinned known_hosts file vouches for one key; a @cert-authority line vouches for any host the CA signs.
        for (const vm of args.resources.filter((r) => r.type === TYPES.vm)) {
            for (const [path, texts] of vmFileTexts(vm, args.resources)) {
                if (!/known_hosts$/.test(path)) continue;
                for (const line of texts.at(-1)!.split("\n").filter((l) => /^\s*@cert-authority\s/.test(l))) {
                    reportViolation(`${vm.name}: ${path} trusts a host CA (${line.trim().split(/\s+/).slice(0, 2).join(" ")} …): any host presenting a certificate that CA signs for the name is accepted, not the one pinned key. Fix: pin the host's own key (the backupHostKey setting).`, vm.urn);
                }
            }
        }
        // A pinned key vouches for the VM only while its private half stays on the VM.
        for (const vm of args.resources.filter((r) => r.type === TYPES.vm)) {
            const etckeeper = vmFileTexts(vm, args.resources).get("/etc/etckeeper/etckeeper.conf")?.at(-1);
            const exports = [...hostKeyExports("", etckeeper), ...deployedScripts(args.resources).filter((d) => d.host === vmAddress(vm)).flatMap((d) => hostKeyExports(d.script))];
            for (const how of new Set(exports)) reportViolation(`${vm.name}: its SSH host private keys leave the VM (${how}): whoever reads that copy answers as the VM to the program, which then sends it the containers' secrets. Fix: never copy /etc or /etc/ssh off the VM (no etckeeper push, no rsync of /etc); back up the data folders only.`, vm.urn);
        }
        // A Docker daemon listening on TCP without --tlsverify answers anyone who reaches the port, as root.
        for (const s of deployedScripts(args.resources)) {
            for (const listener of new Set(pipelines(s.script).flatMap((p) => p.stages).flatMap((stage) => plainTcpListeners(effectiveCommand(stage).argv)))) {
                reportViolation(`${s.resource.name} (${s.where}): dockerd listens on ${listener} without --tlsverify: an unauthenticated Docker API, root on the VM for whoever reaches the port. Fix: keep the daemon on its socket only (Docker is reached over SSH).`, s.resource.urn);
            }
        }
        for (const vm of args.resources.filter((r) => r.type === TYPES.vm)) {
            const daemon = daemonConfig(cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json"));
            const hosts = Array.isArray(daemon.hosts) ? (daemon.hosts as unknown[]).map(String).filter((h) => /^tcp:\/\//.test(h)) : [];
            if (hosts.length > 0 && daemon.tlsverify !== true) reportViolation(`${vm.name}: /etc/docker/daemon.json makes dockerd listen on ${hosts.join(", ")} without tlsverify: an unauthenticated Docker API, root on the VM. Fix: remove the tcp:// hosts (Docker is reached over SSH).`, vm.urn);
        }
        // The host-key reader must verify the Proxmox API at least as the provider does: the key it
        // reads is the one every SSH channel then trusts.
        const providerInsecure = args.resources.filter((r) => r.type === PROXMOX_PROVIDER).some((p) => isTrue(tryKnown(() => p.props.insecure)));
        for (const reader of args.resources.filter((r) => r.type === LOCAL_COMMAND)) {
            const settings = tryKnown(() => jsonObject(String(reader.props.stdin ?? "")));
            if (!settings.known || !settings.value || !("vmId" in settings.value)) continue;
            // Node reads NODE_TLS_REJECT_UNAUTHORIZED=0 as "verify no certificate", for every request it makes.
            const environment = tryKnown(() => (reader.props.environment ?? {}) as Record<string, unknown>);
            if (environment.known && String(environment.value.NODE_TLS_REJECT_UNAUTHORIZED ?? "") === "0") {
                reportViolation(`${reader.name}: runs with NODE_TLS_REJECT_UNAUTHORIZED=0, so Node verifies no certificate and the VM's SSH host key is read from whoever answers at the Proxmox API's address. Fix: remove the variable; trust the cluster's CA with NODE_EXTRA_CA_CERTS instead.`, reader.urn);
            }
            if (isTrue({ known: true, value: settings.value.insecure }) && (!providerInsecure || isProductionStack(args.resources))) {
                reportViolation(`${reader.name}: reads the VM's SSH host key from the Proxmox API without verifying its certificate (insecure), so an impostor's key is pinned and every secret sent over SSH goes to it. Fix: leave insecure to the provider's setting (proxmoxve:insecure), off on production.`, reader.urn);
            }
        }
        for (const provider of args.resources.filter((r) => r.type === PROXMOX_PROVIDER)) {
            const endpoint = tryKnown(() => provider.props.endpoint);
            if (endpoint.known && typeof endpoint.value === "string" && !/^https:\/\//i.test(endpoint.value.trim())) {
                reportViolation(`${provider.name}: its endpoint ${endpoint.value} is not https: the API token goes out in clear with the first request (before any redirect), and the VMs' host keys come back unauthenticated. Fix: pulumi config set proxmoxve:endpoint https://<node>:8006/.`, provider.urn);
            }
        }
        if (isProductionStack(args.resources)) {
            for (const provider of args.resources.filter((r) => r.type === PROXMOX_PROVIDER)) {
                if (isTrue(tryKnown(() => provider.props.insecure))) {
                    reportViolation(`${provider.name}: insecure is on for a production stack, so the Proxmox API's certificate is not verified and the API token (and the VMs' host keys read through it) go to whoever answers. Fix: pulumi config rm proxmoxve:insecure, and give the nodes a certificate the workstation trusts.`, provider.urn);
                }
            }
        }
    },
};
