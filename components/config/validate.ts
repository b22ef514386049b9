// Turns the raw stack config (strings, as Pulumi hands them over) into one typed, checked object,
// or throws a ConfigError listing every problem with the key, the bad value and the fix.
import { z } from "zod";
import { addressInNetwork, isDocumentationAddress, isPublicAddress, isUsableHostIn, networksOverlap, prefixLength } from "../net";
import { buildMatrix, Flow, FlowMatrix, parseExtraFlow } from "../flowMatrix";
import { isIpv4 } from "../net";
import { KEYS, KEY_NAMES, KeyName, KeySpec, STORAGE_KINDS, StorageKind } from "./keys";
import { MFA_LEVELS, PASSWORD_COMPLEXITY, TS_AUTHORITIES, TsAuthority } from "./settingsKeys";

const spec = (key: string): KeySpec | undefined => (KEYS as Record<string, KeySpec>)[key];

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
    readonly backupTarget: string;
    readonly backup: {
        readonly target: BackupTarget;
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
    readonly firewall: { readonly guest: boolean; readonly manageCluster: boolean };
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
    readonly saml?: { readonly idp: SamlIdp; readonly spEntityId: string };
    readonly localLogin: "sysadmin-only" | "everyone";
    readonly mfa: (typeof MFA_LEVELS)[number];
    readonly password: { readonly minLength: number; readonly complexity: keyof typeof PASSWORD_COMPLEXITY; readonly maxAgeDays: number };
    readonly loginAttempts: number;
    readonly sessionMinutes: number;
    readonly rememberMe: boolean;
    readonly auditLogs: boolean;
    readonly localRegistration: boolean;
    readonly adminsCreateUsers: boolean;
    readonly anonymousUsers: boolean;
    readonly allowedEmailDomain?: string;
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

export interface ConfigProblem {
    readonly key: string;
    readonly value: unknown;
    readonly message: string;
    readonly fix: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:\n` +
                problems
                    .map((p) => `  - ${PROJECT}:${p.key}${p.value === undefined ? " (not set)" : ` = ${JSON.stringify(p.value)}`}: ${p.message}.\n      Fix: ${p.fix}`)
                    .join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Converts Pulumi's string values to the key's declared type; leaves unparsable text for zod to reject. */
function coerce(key: KeyName, text: string): unknown {
    switch (spec(key)!.type) {
        case "integer":
            return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
        case "boolean":
            return text === "true" ? true : text === "false" ? false : text;
        case "array":
            try {
                return JSON.parse(text);
            } catch {
                return text;
            }
        default:
            return text;
    }
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

function unknownKeyProblem(key: string, value: string): ConfigProblem {
    const nearest = KEY_NAMES.map((known) => ({ known, distance: editDistance(key, known) })).sort((x, y) => x.distance - y.distance)[0];
    const hint = nearest.distance <= 3 ? `did you mean ${nearest.known}? ` : "";
    return {
        key,
        value: spec(nearest.known)?.secret ? "[secret]" : value,
        message: `is not a setting of this program (${hint}the README lists every key)`,
        fix: `pulumi config rm ${key}${hint ? `; pulumi config set ${nearest.known} ...` : ""}`,
    };
}

type Parsed = { [K in KeyName]: z.output<(typeof KEYS)[K]["schema"]> };

type Report = (key: KeyName, message: string) => void;

export type BackupTarget =
    | { readonly kind: "ssh"; readonly user: string; readonly host: string; readonly port: number; readonly path: string }
    | { readonly kind: "filer"; readonly path: string };

export function parseBackupTarget(target: string): BackupTarget {
    const ssh = /^ssh:\/\/([^@]+)@([^:/]+)(?::(\d+))?(\/.*)$/.exec(target);
    return ssh ? { kind: "ssh", user: ssh[1], host: ssh[2], port: Number(ssh[3] ?? 22), path: ssh[4] } : { kind: "filer", path: target };
}

function parseProxy(url: string): { address: string; port: number } {
    const { hostname, port } = new URL(url);
    return { address: hostname, port: Number(port || 80) };
}

function extraFlows(texts: readonly string[]): Flow[] {
    return texts.map((text, index) => parseExtraFlow(text, index) as Flow);
}

function matrixOf(c: Parsed): FlowMatrix {
    const backup = parseBackupTarget(c.backupTarget);
    return buildMatrix({
        vpnClients: c.vpnClientRange,
        edgeFirewall: c.edgeFirewallAddress,
        web: c.webAddress,
        db: c.dbAddress,
        filer: c.filerAddress,
        syslog: c.syslogAddress,
        labSubnet: c.labSubnet,
        adminNetwork: c.adminNetwork,
        dnsServers: c.dnsServers,
        ntpServers: c.ntpServers,
        proxy: c.httpProxy ? parseProxy(c.httpProxy) : undefined,
        egressNetworks: c.egressNetworks,
        backup: backup.kind === "ssh" ? { kind: "ssh", address: backup.host, port: backup.port } : { kind: "filer" },
        extraFlows: extraFlows(c.extraFlows),
    });
}

/** A check that spans several keys; it runs only when each key it reads is valid on its own. */
interface CrossCheck {
    readonly reads: readonly KeyName[];
    readonly check: (c: Parsed, problem: Report) => void;
}

function placements(datastores: readonly string[]): Map<string, string[]> {
    const placed = new Map<string, string[]>();
    for (const entry of datastores) {
        const [id, kinds] = entry.split("=");
        for (const kind of kinds.split(",").map((k) => k.trim())) placed.set(kind, [...(placed.get(kind) ?? []), id]);
    }
    return placed;
}

const CROSS_CHECKS: readonly CrossCheck[] = [
    ...(["gateway", "webAddress", "dbAddress"] as const).map(
        (key): CrossCheck => ({
            reads: [key, "serverSubnet"],
            check: (c, problem) => {
                if (!isUsableHostIn(c[key], c.serverSubnet)) problem(key, `is not a usable host address inside serverSubnet ${c.serverSubnet}`);
            },
        }),
    ),
    {
        reads: ["webAddress", "dbAddress", "gateway", "edgeFirewallAddress"],
        check: (c, problem) => {
            if (c.webAddress === c.dbAddress) problem("dbAddress", "is the same address as webAddress: the CNRS architecture needs two distinct VMs");
            for (const key of ["webAddress", "dbAddress"] as const) {
                if (c[key] === c.gateway) problem(key, "is the gateway's address");
                if (c[key] === c.edgeFirewallAddress) problem(key, "is the edge firewall's address");
            }
        },
    },
    {
        reads: ["webVmId", "dbVmId"],
        check: (c, problem) => {
            if (c.webVmId === c.dbVmId) problem("dbVmId", "is the same VM ID as webVmId: each VM needs its own ID");
        },
    },
    {
        reads: ["webVmId", "dbVmId", "vmIdRange"],
        check: (c, problem) => {
            if (!c.vmIdRange) return;
            const [first, last] = c.vmIdRange.split("-").map(Number);
            for (const key of ["webVmId", "dbVmId"] as const) {
                if (c[key] < first || c[key] > last) problem(key, `is outside the unit's vmIdRange ${c.vmIdRange}`);
            }
        },
    },
    {
        reads: ["proxmoxNode", "webNode", "dbNode", "clusterNodes", "allowSameNode"],
        check: (c, problem) => {
            const web = c.webNode ?? c.proxmoxNode;
            const db = c.dbNode ?? c.proxmoxNode;
            if (c.clusterNodes.length > 0) {
                for (const [key, node] of [["webNode", web], ["dbNode", db]] as const) {
                    if (!c.clusterNodes.includes(node)) problem(key, `puts the VM on ${node}, which is not in clusterNodes (${c.clusterNodes.join(", ")})`);
                }
            }
            if (c.clusterNodes.length >= 2 && web === db && !c.allowSameNode) {
                problem("dbNode", `puts the MySQL VM on ${db}, the eLabFTW VM's node, on a cluster of ${c.clusterNodes.length} nodes: one node's failure would stop both (or set allowSameNode true)`);
            }
        },
    },
    ...(["labSubnet", "vpnClientRange"] as const).map(
        (key): CrossCheck => ({
            reads: [key, "serverSubnet"],
            check: (c, problem) => {
                if (networksOverlap(c[key], c.serverSubnet)) problem(key, `overlaps serverSubnet ${c.serverSubnet}: ${key === "labSubnet" ? "the lab's users" : "VPN clients"} must sit outside the server segment`);
            },
        }),
    ),
    {
        reads: ["edgeFirewallAddress", "labSubnet"],
        check: (c, problem) => {
            if (addressInNetwork(c.edgeFirewallAddress, c.labSubnet)) problem("edgeFirewallAddress", `is inside labSubnet ${c.labSubnet}`);
        },
    },
    {
        reads: ["egressPublicAddress", "stackKind"],
        check: (c, problem) => {
            if (!isPublicAddress(c.egressPublicAddress) && !(c.stackKind === "test" && isDocumentationAddress(c.egressPublicAddress))) {
                problem("egressPublicAddress", "is not a public unicast address (documentation addresses are accepted on test stacks only)");
            }
        },
    },
    {
        reads: ["datastores"],
        check: (c, problem) => {
            const placed = placements(c.datastores);
            for (const kind of STORAGE_KINDS) {
                const ids = placed.get(kind) ?? [];
                if (ids.length === 0) problem("datastores", `leaves the "${kind}" kind unplaced: add it to one entry`);
                if (ids.length > 1) problem("datastores", `places the "${kind}" kind on several storages (${ids.join(", ")}): keep one`);
            }
        },
    },
    {
        reads: ["datastores", "diskEncryption", "encryptedDatastores"],
        check: (c, problem) => {
            if (c.diskEncryption !== "host-datastore") return;
            const placed = placements(c.datastores);
            for (const kind of ["os", "data", "efi", "tpm", "cloudinit"] as const) {
                const id = placed.get(kind)?.[0];
                if (id && !c.encryptedDatastores.includes(id)) {
                    problem("encryptedDatastores", `does not list "${id}", which holds the ${kind} volumes, while diskEncryption is host-datastore`);
                }
            }
        },
    },
    {
        reads: ["httpProxy", "egressNetworks"],
        check: (c, problem) => {
            if (!c.httpProxy && c.egressNetworks.length === 0) {
                problem("httpProxy", "is not set, nor is egressNetworks: the VMs could reach no package mirror or registry (the firewall drops everything else)");
            }
        },
    },
    {
        reads: ["backupTarget"],
        check: (c, problem) => {
            const target = parseBackupTarget(c.backupTarget);
            if (target.kind === "ssh" && !isIpv4(target.host)) problem("backupTarget", `names the host "${target.host}": give its IPv4 address, which the firewall rules need`);
        },
    },
    {
        reads: ["serverSubnet", "serviceNetworks", "edgeFirewallAddress", "filerAddress", "syslogAddress", "dnsServers", "ntpServers", "httpProxy", "backupTarget"],
        check: (c, problem) => {
            const known = [c.serverSubnet, ...c.serviceNetworks];
            const target = parseBackupTarget(c.backupTarget);
            const hosts: [KeyName, string | undefined][] = [
                ["edgeFirewallAddress", c.edgeFirewallAddress],
                ["filerAddress", c.filerAddress],
                ["syslogAddress", c.syslogAddress],
                ...c.dnsServers.map((address): [KeyName, string] => ["dnsServers", address]),
                ...c.ntpServers.map((address): [KeyName, string] => ["ntpServers", address]),
                ["httpProxy", c.httpProxy ? parseProxy(c.httpProxy).address : undefined],
                ["backupTarget", target.kind === "ssh" && isIpv4(target.host) ? target.host : undefined],
            ];
            for (const [key, address] of hosts) {
                if (address && !known.some((network) => addressInNetwork(address, network))) {
                    problem(key, `holds ${address}, which is in no known network (serverSubnet or serviceNetworks: ${known.join(", ")})`);
                }
            }
        },
    },
    {
        reads: ["extraFlows", "httpProxy", "egressNetworks", "backupTarget"],
        check: (c, problem) => {
            const present = new Set(["vpnClients", "edgeFirewall", "web", "db", "filer", "syslog", "labSubnet", "adminNetwork", "dns", "ntp"]);
            if (c.httpProxy) present.add("proxy");
            if (c.egressNetworks.length) present.add("egressNetworks");
            if (parseBackupTarget(c.backupTarget).kind === "ssh") present.add("backupHost");
            for (const flow of extraFlows(c.extraFlows)) {
                for (const name of [...flow.from, ...flow.to]) {
                    if (!present.has(name) && !/^\d/.test(name)) problem("extraFlows", `${flow.id} names ${name}, which this stack does not define`);
                }
            }
        },
    },
    {
        reads: ["certValidityDays", "caValidityDays", "certRenewBeforeDays"],
        check: (c, problem) => {
            if (c.caValidityDays <= c.certValidityDays) problem("caValidityDays", `must be longer than certValidityDays (${c.certValidityDays})`);
            if (c.certRenewBeforeDays * 2 > c.certValidityDays) problem("certRenewBeforeDays", `must be at most half of certValidityDays (${c.certValidityDays})`);
            if (c.certRenewBeforeDays * 4 * 2 > c.caValidityDays) problem("certRenewBeforeDays", `times 4 (the CA's renewal window) must be at most half of caValidityDays (${c.caValidityDays})`);
        },
    },
    {
        reads: ["httpsCertificate", "httpsPrivateKey"],
        check: (c, problem) => {
            if (c.httpsCertificate !== undefined && c.httpsPrivateKey === undefined) problem("httpsPrivateKey", "is required with httpsCertificate");
            if (c.httpsCertificate === undefined && c.httpsPrivateKey !== undefined) problem("httpsCertificate", "is required with httpsPrivateKey");
        },
    },
    {
        reads: ["cloudImageUrl", "cloudImageVolume", "cloudImageChecksum"],
        check: (c, problem) => {
            const hasUrl = c.cloudImageUrl !== undefined;
            if (hasUrl && c.cloudImageVolume !== undefined) problem("cloudImageVolume", "is set together with cloudImageUrl: keep only one image source");
            if (!hasUrl && c.cloudImageVolume === undefined) {
                problem("cloudImageVolume", "is not set, nor is cloudImageUrl: give a dated image URL with its checksum, or an image already on the node");
            }
            if (hasUrl && c.cloudImageChecksum === undefined) problem("cloudImageChecksum", "is required with cloudImageUrl: an image is only imported after its checksum matches");
            if (!hasUrl && c.cloudImageChecksum !== undefined) problem("cloudImageChecksum", "is only used with cloudImageUrl");
        },
    },
    {
        reads: ["samlEnabled", "samlIdpMetadataUrl", "samlIdpEntityId", "samlIdpSsoUrl", "samlIdpCertificate", "samlIdpSloUrl", "localLogin"],
        check: (c, problem) => {
            const manual = (["samlIdpEntityId", "samlIdpSsoUrl", "samlIdpCertificate", "samlIdpSloUrl"] as const).filter((key) => c[key] !== undefined);
            if (!c.samlEnabled) {
                if (c.localLogin !== "everyone") problem("localLogin", "limits local login to the sysadmin while samlEnabled is false: nobody else could log in");
                return;
            }
            if (c.samlIdpMetadataUrl !== undefined) {
                for (const key of manual) problem(key, "is set together with samlIdpMetadataUrl: keep either the metadata URL or the manual samlIdp* keys");
                return;
            }
            for (const key of ["samlIdpEntityId", "samlIdpSsoUrl", "samlIdpCertificate"] as const) {
                if (c[key] === undefined) problem(key, "is required with samlEnabled true when samlIdpMetadataUrl is not set (manual identity provider)");
            }
        },
    },
    {
        reads: ["timestampAuthority", "timestampUrl", "timestampLogin", "timestampPassword"],
        check: (c, problem) => {
            const custom = c.timestampAuthority === "custom";
            if (custom && c.timestampUrl === undefined) problem("timestampUrl", "is required with timestampAuthority custom");
            if (!custom && c.timestampUrl !== undefined) problem("timestampUrl", `is only used with timestampAuthority custom (not ${c.timestampAuthority})`);
            const needsCredentials = TS_AUTHORITIES[c.timestampAuthority];
            for (const key of ["timestampLogin", "timestampPassword"] as const) {
                if (needsCredentials && c[key] === undefined) problem(key, `is required with timestampAuthority ${c.timestampAuthority}`);
                if (!needsCredentials && c.timestampAuthority !== "custom" && c[key] !== undefined) problem(key, `is not used by timestampAuthority ${c.timestampAuthority}`);
            }
        },
    },
    {
        reads: ["smtpHost", "smtpFrom", "smtpUser", "smtpPassword", "smtpPort", "extraFlows"],
        check: (c, problem) => {
            if (c.smtpHost === undefined) {
                for (const key of ["smtpFrom", "smtpUser", "smtpPassword"] as const) {
                    if (c[key] !== undefined) problem(key, "is set but smtpHost is not: set smtpHost too, or remove it");
                }
                return;
            }
            if (c.smtpFrom === undefined) problem("smtpFrom", "is required with smtpHost");
            if (c.smtpPassword !== undefined && c.smtpUser === undefined) problem("smtpUser", "is required with smtpPassword");
            // The relay is a name: the flow to its address is the sysadmin's to declare.
            const flows = extraFlows(c.extraFlows);
            if (!flows.some((f) => f.action === "allow" && f.from.includes("web") && f.protocols.includes("tcp") && f.ports.includes(c.smtpPort))) {
                problem("smtpHost", `has no flow from the web VM to the relay: add "allow tcp web -> <relay address> ${c.smtpPort} # SMTP relay" to extraFlows`);
            }
        },
    },
];

function settingsOf(c: Parsed, siteUrl: string): InstanceSettings {
    const idp: SamlIdp = c.samlIdpMetadataUrl
        ? { kind: "metadata", name: c.samlIdpName, metadataUrl: c.samlIdpMetadataUrl }
        : {
              kind: "manual",
              name: c.samlIdpName,
              entityId: c.samlIdpEntityId!,
              ssoUrl: c.samlIdpSsoUrl!,
              sloUrl: c.samlIdpSloUrl,
              certificate: c.samlIdpCertificate!,
              attributes: { email: c.samlEmailAttribute, firstName: c.samlFirstNameAttribute, lastName: c.samlLastNameAttribute },
          };
    return {
        saml: c.samlEnabled ? { idp, spEntityId: c.samlSpEntityId ?? siteUrl } : undefined,
        localLogin: c.localLogin,
        mfa: c.mfaEnforcement,
        password: { minLength: c.passwordMinLength, complexity: c.passwordComplexity, maxAgeDays: c.passwordMaxAgeDays },
        loginAttempts: c.loginAttempts,
        sessionMinutes: c.sessionMinutes,
        rememberMe: c.rememberMe,
        auditLogs: c.auditLogs,
        localRegistration: c.localRegistration,
        adminsCreateUsers: c.adminsCreateUsers,
        anonymousUsers: c.anonymousUsers,
        allowedEmailDomain: c.allowedEmailDomain,
        loginAnnouncement: c.loginAnnouncement,
        timestamping: { authority: c.timestampAuthority, url: c.timestampUrl, hash: c.timestampHash, login: c.timestampLogin },
        smtp: c.smtpHost ? { host: c.smtpHost, port: c.smtpPort, from: c.smtpFrom!, user: c.smtpUser, verifyCert: c.smtpVerifyCert } : undefined,
    };
}

function vmSpec(c: Parsed, role: Role): VmSpec {
    const sizing = role === "web"
        ? { vmId: c.webVmId, address: c.webAddress, cores: c.webCores, memoryMiB: c.webMemoryMiB, osDiskGiB: c.webOsDiskGiB, dataDiskGiB: c.webDataDiskGiB }
        : { vmId: c.dbVmId, address: c.dbAddress, cores: c.dbCores, memoryMiB: c.dbMemoryMiB, osDiskGiB: c.dbOsDiskGiB, dataDiskGiB: c.dbDataDiskGiB };
    return { role, name: `${c.unit}-elabftw-${role}`, node: (role === "web" ? c.webNode : c.dbNode) ?? c.proxmoxNode, ...sizing };
}

function datastoreMap(entries: readonly string[]): Record<StorageKind, string> {
    const map = {} as Record<StorageKind, string>;
    for (const entry of entries) {
        const [id, kinds] = entry.split("=");
        for (const kind of kinds.split(",")) map[kind.trim() as StorageKind] = id;
    }
    return map;
}

function build(c: Parsed): PlatformConfig {
    const searchDomain = c.searchDomain ?? c.fqdn.split(".").slice(1).join(".");
    const siteUrl = c.siteUrl ?? `https://${c.fqdn}`;
    const cloudImage: CloudImage = c.cloudImageUrl
        ? { kind: "download", url: c.cloudImageUrl, sha512: c.cloudImageChecksum!, fileName: c.cloudImageUrl.split("/").pop()!.replace(/\.img$/, ".qcow2") }
        : { kind: "volume", volumeId: c.cloudImageVolume! };
    return {
        stackKind: c.stackKind,
        unit: c.unit,
        proxmoxNode: c.proxmoxNode,
        highAvailability: c.highAvailability,
        pool: `elabftw-${c.unit}`,
        datastores: datastoreMap(c.datastores),
        encryptedDatastores: c.encryptedDatastores,
        diskEncryption: c.diskEncryption,
        cloudImage,
        network: {
            bridge: c.bridge,
            vlanId: c.vlanId === 0 ? undefined : c.vlanId,
            subnet: c.serverSubnet,
            prefixLength: prefixLength(c.serverSubnet),
            gateway: c.gateway,
            dnsServers: c.dnsServers,
            searchDomain,
        },
        vms: { web: vmSpec(c, "web"), db: vmSpec(c, "db") },
        endpoints: {
            edgeFirewall: c.edgeFirewallAddress,
            vpnClients: c.vpnClientRange,
            labSubnet: c.labSubnet,
            adminNetwork: c.adminNetwork,
            syslog: c.syslogAddress,
            filer: c.filerAddress,
            egressPublic: c.egressPublicAddress,
        },
        site: { fqdn: c.fqdn, siteUrl, timezone: c.timezone },
        versions: { elabftw: c.elabftwVersion, mysql: c.mysqlVersion },
        backupTarget: c.backupTarget,
        backup: {
            target: parseBackupTarget(c.backupTarget),
            time: c.backupTime,
            keepDaily: c.backupKeepDaily,
            keepMonthly: c.backupKeepMonthly,
            drillCalendar: c.restoreDrillCalendar,
        },
        admin: { user: c.adminUser, sshKeys: c.adminSshKeys },
        dbHost: c.dbHost ?? `${c.unit}-elabftw-db.${searchDomain}`,
        flows: matrixOf(c),
        firewall: { guest: c.guestFirewall, manageCluster: c.manageClusterFirewall },
        httpProxy: c.httpProxy,
        sysadmin: { email: c.sysadminEmail, firstName: c.sysadminFirstName, lastName: c.sysadminLastName },
        tls: {
            certValidityDays: c.certValidityDays,
            caValidityDays: c.caValidityDays,
            renewBeforeDays: c.certRenewBeforeDays,
            institutionalCertificate: c.httpsCertificate,
        },
        settings: settingsOf(c, siteUrl),
    };
}

/**
 * Validates the project's config (short keys without the "elabftw-onprem:" prefix, string values).
 * Returns the typed platform config and, separately, the secret settings, so that the caller
 * wraps them as secrets before anything else sees them.
 */
export function validateConfig(raw: Readonly<Record<string, string>>): { config: PlatformConfig; secrets: SecretSettings } {
    const problems: ConfigProblem[] = [];
    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(raw)) {
        if (text === "") continue; // `pulumi config set key ""` means "not set"
        if (key in KEYS) values[key] = coerce(key as KeyName, text);
        else problems.push(unknownKeyProblem(key, text));
    }
    const shown = (key: string) => (spec(key)?.secret ? "[secret]" : values[key]);
    const report: Report = (key, message) => problems.push({ key, value: shown(key), message, fix: KEYS[key].fix });

    const parsed: Record<string, unknown> = {};
    const invalid = new Set<KeyName>();
    for (const key of KEY_NAMES) {
        const result = (KEYS[key].schema as z.ZodType).safeParse(values[key]);
        if (result.success) {
            parsed[key] = result.data;
            continue;
        }
        invalid.add(key);
        for (const issue of result.error.issues) {
            const where = issue.path.length > 0 ? ` (item ${issue.path.join(".")})` : "";
            report(key, key in values ? `${issue.message}${where}` : "is required and not set");
        }
    }
    for (const { reads, check } of CROSS_CHECKS) {
        if (reads.every((key) => !invalid.has(key))) check(parsed as Parsed, report);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    const config = parsed as Parsed;
    return {
        config: build(config),
        secrets: { sshPrivateKey: config.sshPrivateKey, httpsPrivateKey: config.httpsPrivateKey, elabftwSecretKey: config.elabftwSecretKey,
            smtpPassword: config.smtpPassword,
            timestampPassword: config.timestampPassword,
        },
    };
}
