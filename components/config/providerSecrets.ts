// Secrets of the providers the program configures, set in the stack config without --secret: they
// sit readable in Pulumi.<stack>.yaml and in git. The table follows the providers' own markings (the
// SDK wraps these inputs in pulumi.secret: @muhlba91/pulumi-proxmoxve's provider.js, checked by
// test/configSecrets.test.ts), plus the fields of structured keys that hold a password or a key.
import { ConfigProblem } from "./problems";

type Holds = (value: string) => boolean;
const always: Holds = () => true;
/** A structured value (JSON, as Pulumi hands it over) with one of these fields set, at any depth. */
const holdsField = (...fields: string[]): Holds => (value) => {
    const walk = (v: unknown): boolean =>
        Array.isArray(v) ? v.some(walk) : !!v && typeof v === "object" && Object.entries(v).some(([k, x]) => (fields.includes(k) && x !== "" && x !== null) || walk(x));
    try {
        return walk(JSON.parse(value));
    } catch {
        return value !== "";
    }
};

/** Full config key -> whether its value holds a secret. */
export const PROVIDER_SECRET_KEYS: Readonly<Record<string, Holds>> = {
    "proxmoxve:apiToken": always,
    "proxmoxve:password": always,
    "proxmoxve:authTicket": always,
    "proxmoxve:csrfPreventionToken": always,
    "proxmoxve:ssh": holdsField("password", "privateKey", "socks5Password"),
    "docker:keyMaterial": always,
    "docker:registryAuth": holdsField("password"),
};

/**
 * Problems for provider secrets set in plaintext. `all`: every config key as Pulumi hands them to
 * the program (full keys, "provider:key"); `encrypted`: whether a full key was set with --secret.
 */
export function providerSecretProblems(all: Readonly<Record<string, string>>, encrypted: (fullKey: string) => boolean): ConfigProblem[] {
    return Object.entries(all)
        .filter(([key, value]) => key in PROVIDER_SECRET_KEYS && value !== "" && PROVIDER_SECRET_KEYS[key](value) && !encrypted(key))
        .map(([key]) => ({
            key,
            value: "[secret]",
            message: "is a provider secret set in plaintext: it sits readable in Pulumi.<stack>.yaml and in git (the provider stores it encrypted only when the config marks it secret)",
            fix: `pulumi config rm ${key}; pulumi config set --secret ${key}${key.endsWith(":ssh") || key.endsWith(":registryAuth") ? ` (or --path --secret for its password field)` : " <value>"}, or leave it out and use the provider's environment variable`,
        }));
}

/** Proxmox accounts that hold every privilege on every node, storage and VM of the cluster. */
const CLUSTER_ROOT = /^root@pam$/i;

/**
 * Problems for a Proxmox credential of root@pam: an API token is "USER@REALM!TOKENID=SECRET", a
 * password login names its user in proxmoxve:username. The program needs its own role only
 * (docs/deploying.md); root's token reaches every other unit's VMs and storages too.
 */
export function providerAccountProblems(all: Readonly<Record<string, string>>): ConfigProblem[] {
    const tokenUser = /^([^!]+)!/.exec(all["proxmoxve:apiToken"] ?? "")?.[1];
    const problems: ConfigProblem[] = [];
    for (const [key, user] of [["proxmoxve:apiToken", tokenUser], ["proxmoxve:username", all["proxmoxve:username"]]] as const) {
        if (user && CLUSTER_ROOT.test(user.trim())) {
            problems.push({
                key,
                value: key === "proxmoxve:apiToken" ? `${user}!…` : user,
                message: "is a credential of root@pam: whoever holds this stack's config (every workstation and CI runner of the unit) is root on the whole cluster, every other unit's VMs and storages included",
                fix: "create the unit's own API user (npm run -s proxmox-acl -- <stack file> prints its pveum commands, docs/deploying.md), then give its token to the stack: pulumi config set --secret proxmoxve:apiToken 'elabftw-<unit>@pve!pulumi=…'",
            });
        }
    }
    return problems;
}
