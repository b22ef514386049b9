// Hardening: every channel that carries secrets verifies the host at its other end. Remote commands
// pin the VM's SSH host key (connection.hostKey: the command provider otherwise accepts any key);
// Docker providers run ssh with options that trust only the stack's pinned known_hosts file (ssh
// keeps the FIRST value given for an option); on production the Proxmox API's certificate is
// verified (insecure off). The API token and every secret the commands carry otherwise go to
// whoever answers at the address.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isProductionStack, TYPES, tryKnown } from "./common";

const DOCKER_PROVIDER = "pulumi:providers:docker";
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

/** A provider's list setting: the engine passes provider configuration as strings (a list as its JSON text). */
function providerList(value: unknown): string[] {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value !== "string" || value === "") return [];
    try {
        const parsed = JSON.parse(value);
        return Array.isArray(parsed) ? parsed.map(String) : [value];
    } catch {
        return [value];
    }
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
    return undefined;
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
    description: "Every remote command pins its VM's SSH host key; every Docker provider's ssh trusts only a pinned known_hosts file (StrictHostKeyChecking=yes, as ssh reads its options: the first value wins); on production the Proxmox API's TLS certificate is verified (insecure off).",
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
        if (isProductionStack(args.resources)) {
            for (const provider of args.resources.filter((r) => r.type === PROXMOX_PROVIDER)) {
                const insecure = tryKnown(() => provider.props.insecure);
                if (insecure.known && (insecure.value === true || String(insecure.value).toLowerCase() === "true")) {
                    reportViolation(`${provider.name}: insecure is on for a production stack, so the Proxmox API's certificate is not verified and the API token (and the VMs' host keys read through it) go to whoever answers. Fix: pulumi config rm proxmoxve:insecure, and give the nodes a certificate the workstation trusts.`, provider.urn);
                }
            }
        }
    },
};
