// Reads the stack's config from Pulumi and validates it; components receive the result and
// never read pulumi.Config themselves.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, PROJECT, PlatformConfig, validateConfig } from "./validate";

// Internal to @pulumi/pulumi (no typing) but what its own Config uses: the language host hands the
// names of the keys set with --secret to the program (PULUMI_CONFIG_SECRET_KEYS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(fullKey: string): boolean };

export * from "./validate";
export { KEYS, KEY_NAMES, STORAGE_KINDS } from "./keys";
export type { KeyName, StorageKind } from "./keys";

export interface LoadedConfig {
    readonly config: PlatformConfig;
    /** The SSH key the program uses to reach the VMs; undefined means the workstation's ssh-agent. */
    readonly sshPrivateKey?: pulumi.Output<string>;
    /** The key of the institutional HTTPS certificate, when one is configured. */
    readonly httpsPrivateKey?: pulumi.Output<string>;
    /** An escrowed SECRET_KEY, when a unit is rebuilt from its backups. */
    readonly elabftwSecretKey?: pulumi.Output<string>;
    /** Passwords of the mail relay and of the timestamping authority (instance settings). */
    readonly smtpPassword?: pulumi.Output<string>;
    readonly timestampPassword?: pulumi.Output<string>;
    /** The Proxmox provider's API settings, for reading the VMs' host keys through the guest agent. */
    readonly proxmoxApi: ProxmoxApiAccess;
}

/** Unset values fall back, in the reader, to PROXMOX_VE_ENDPOINT / _API_TOKEN / _INSECURE, as the provider does. */
export interface ProxmoxApiAccess {
    readonly endpoint?: string;
    readonly apiToken?: pulumi.Output<string>;
    readonly insecure?: boolean;
}

function proxmoxApi(): ProxmoxApiAccess {
    const provider = new pulumi.Config("proxmoxve");
    return { endpoint: provider.get("endpoint"), apiToken: provider.getSecret("apiToken"), insecure: provider.getBoolean("insecure") };
}

/** The project's keys from the stack config, without their "elabftw-onprem:" prefix. */
export function projectConfig(): Record<string, string> {
    const prefix = `${PROJECT}:`;
    return Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig())
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}

/** Validates the stack config; a bad one stops the program before any resource is registered. */
export function loadConfig(): LoadedConfig {
    try {
        const raw = projectConfig();
        const encrypted = new Set(Object.keys(raw).filter((key) => isConfigSecret(`${PROJECT}:${key}`)));
        const providers = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).filter(([key]) => !key.startsWith(`${PROJECT}:`)));
        const { config, secrets } = validateConfig(raw, undefined, encrypted, { values: providers, encrypted: isConfigSecret });
        const secret = (value?: string) => (value === undefined ? undefined : pulumi.secret(value));
        return {
            config,
            sshPrivateKey: secret(secrets.sshPrivateKey),
            httpsPrivateKey: secret(secrets.httpsPrivateKey),
            elabftwSecretKey: secret(secrets.elabftwSecretKey),
            smtpPassword: secret(secrets.smtpPassword),
            timestampPassword: secret(secrets.timestampPassword),
            proxmoxApi: proxmoxApi(),
        };
    } catch (error) {
        // RunError: Pulumi shows the message alone, without a stack trace the admin has no use for.
        if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
        throw error;
    }
}
