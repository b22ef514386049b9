// The typed, validated platform config that the components receive (pure: no Pulumi import).
import type { FlowMatrix } from "../network/flowMatrix";
import type { StorageKind } from "./keys";
import type { MFA_LEVELS, PASSWORD_COMPLEXITY, TsAuthority } from "./settingsKeys";

export const PROJECT = "elabftw-onprem";

export type Role = "web" | "db";

export interface VmSpec {
    readonly role: Role;
    readonly name: string;
    /** The Proxmox node the VM runs on. */
    readonly node: string;
    readonly vmId: number;
    readonly address: string;
    readonly cores: number;
    readonly memoryMiB: number;
    readonly osDiskGiB: number;
    readonly dataDiskGiB: number;
}

export type CloudImage =
    | { readonly kind: "download"; readonly url: string; readonly sha512: string; readonly fileName: string }
    | { readonly kind: "volume"; readonly volumeId: string };

export interface PlatformConfig {
    readonly stackKind: "test" | "production";
    readonly unit: string;
    readonly proxmoxNode: string;
    /** Proxmox HA resources for both VMs. */
    readonly highAvailability: boolean;
    /** The unit's resource pool: all its VMs, and what a cluster administrator sees per unit. */
    readonly pool: string;
    readonly datastores: Readonly<Record<StorageKind, string>>;
    readonly encryptedDatastores: readonly string[];
    /** Storages every node reaches: what HA and a single image download rely on. */
    readonly sharedDatastores: readonly string[];
    readonly diskEncryption: "guest-luks" | "host-datastore";
    readonly cloudImage: CloudImage;
    readonly network: {
        readonly bridge: string;
        readonly vlanId?: number;
        readonly subnet: string;
        readonly prefixLength: number;
        readonly gateway: string;
        readonly dnsServers: readonly string[];
        readonly searchDomain: string;
    };
    readonly vms: Readonly<Record<Role, VmSpec>>;
    readonly endpoints: {
        readonly edgeFirewall: string;
        readonly vpnClients: string;
        readonly labSubnet: string;
        readonly adminNetwork: string;
        readonly syslog: string;
        readonly filer: string;
        readonly egressPublic: string;
    };
    readonly site: { readonly fqdn: string; readonly siteUrl: string; readonly timezone: string };
    readonly versions: { readonly elabftw: string; readonly mysql: string };
    /** Registry digests the images are pinned to (name:tag@digest), when set. */
    readonly imageDigests: { readonly elabftw?: string; readonly mysql?: string };
    readonly backupTarget: string;
    readonly backup: {
        readonly target: BackupTarget;
        /** The backup host's public host key (one line), pinned for ssh:// targets. */
        readonly hostKey?: string;
        readonly time: string;
        readonly keepDaily: number;
        readonly keepMonthly: number;
        readonly drillCalendar: string;
    };
    readonly admin: { readonly user: string; readonly sshKeys: readonly string[] };
    /** DB_HOST: the name eLabFTW connects to, carried by the MySQL server certificate. */
    readonly dbHost: string;
    readonly sysadmin: { readonly email: string; readonly firstName: string; readonly lastName: string };
    /** The network flow matrix: the Proxmox rules, the VMs' nftables and the edge hand-off derive from it. */
    readonly flows: FlowMatrix;
    readonly firewall: { readonly guest: boolean; readonly manageCluster: boolean; readonly importManagementIpset: boolean };
    /** The HTTP proxy the VMs use, when the site has one. */
    readonly httpProxy?: string;
    readonly tls: {
        readonly certValidityDays: number;
        readonly caValidityDays: number;
        readonly renewBeforeDays: number;
        /** The institution's certificate chain for the site; its key comes as a secret beside the config. */
        readonly institutionalCertificate?: string;
    };
    readonly settings: InstanceSettings;
}

/** The identity provider: imported from its metadata, or described by hand. */
export type SamlIdp =
    | { readonly kind: "metadata"; readonly name: string; readonly metadataUrl: string }
    | {
          readonly kind: "manual";
          readonly name: string;
          readonly entityId: string;
          readonly ssoUrl: string;
          readonly sloUrl?: string;
          readonly certificate: string;
          readonly attributes: { readonly email: string; readonly firstName: string; readonly lastName: string };
      };

/** eLabFTW's instance settings, applied through its API (the secrets come apart, in SecretSettings). */
export interface InstanceSettings {
    readonly saml?: { readonly idp: SamlIdp; readonly spEntityId: string; readonly teamDefault: number; readonly teamCreate: boolean };
    /** eLabFTW's own outgoing proxy (IdP metadata, timestamping): the site's httpProxy, or none. */
    readonly proxy?: string;
    readonly localLogin: "sysadmin-only" | "everyone";
    /** The local form hidden; the sysadmin reaches it at /login.php?letmein. */
    readonly localLoginHidden: boolean;
    readonly mfa: (typeof MFA_LEVELS)[number];
    readonly password: { readonly minLength: number; readonly complexity: keyof typeof PASSWORD_COMPLEXITY; readonly maxAgeDays: number };
    readonly loginAttempts: number;
    readonly rememberMeMinutes: number;
    readonly rememberMe: boolean;
    readonly auditLogs: boolean;
    readonly localRegistration: boolean;
    readonly adminsCreateUsers: boolean;
    readonly anonymousUsers: boolean;
    readonly allowedEmailDomains?: readonly string[];
    readonly loginAnnouncement?: string;
    readonly timestamping: { readonly authority: TsAuthority; readonly url?: string; readonly hash: string; readonly login?: string };
    readonly smtp?: { readonly host: string; readonly port: number; readonly from: string; readonly user?: string; readonly verifyCert: boolean };
}

/** Secret config values, returned apart so the caller wraps them as secrets before anything else sees them. */
export interface SecretSettings {
    readonly sshPrivateKey?: string;
    readonly httpsPrivateKey?: string;
    readonly elabftwSecretKey?: string;
    readonly smtpPassword?: string;
    readonly timestampPassword?: string;
}

export type BackupTarget =
    | { readonly kind: "ssh"; readonly user: string; readonly host: string; readonly port: number; readonly path: string }
    | { readonly kind: "filer"; readonly path: string };
